import CRMProtocol

/// `cases.*`: complaints, quality problems, replacements, refunds and questions, with SLA due
/// times from the unit's settings and the times to first response and to resolution
/// (SQL/api/cases.sql).
enum CaseMethods {
    static let statuses = ["open", "in_progress", "waiting", "resolved", "closed"]
    static let priorities = ["low", "normal", "high", "urgent"]
    /// What repairing or replacing the product cost (the repair cost report); not negative.
    static let repairCost = ParamSpec.amount("repair_cost", min: 0, "what repairing or replacing the product cost")

    /// update, assign and resolve: crm.change_case with different params.
    static func change(_ name: String, _ summary: String, _ params: [ParamSpec], function: String) -> RPCMethod {
        RPCMethod(name, summary: summary,
                  params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)))] + params,
                  access: .unitWrite, function: function)
    }

    static func all() -> [RPCMethod] {
        [
            RPCMethod("cases.open", summary: "Opens a service case; its SLA due time comes from the unit's sla_hours per priority.",
                      params: [.id("customer_id", required: true),
                               ParamSpec("category", .oneOf(["complaint", "quality", "replacement", "refund", "question"]), required: true),
                               ParamSpec("priority", .oneOf(priorities)), .string("subject", required: true, max: 300),
                               .string("description", max: 8000), .id("order_id"), .id("product_id"), .id("assigned_to"),
                               ParamSpec("opened_at", .timestamp), repairCost],
                      access: .unitWrite, function: "api.cases_open", binding: .object),
            change("cases.update", "Changes a case's status or priority, with a note for the history.",
                   [ParamSpec("status", .oneOf(statuses)), ParamSpec("priority", .oneOf(priorities)), .string("note", max: 4000), repairCost],
                   function: "api.cases_update"),
            change("cases.assign", "Assigns a case to a staff member.", [.id("assigned_to", required: true), .string("note", max: 4000)],
                   function: "api.cases_assign"),
            change("cases.resolve", "Resolves a case with its resolution.", [.string("resolution", required: true, max: 4000), .string("note", max: 4000), repairCost],
                   function: "api.cases_resolve"),
            RPCMethod("cases.list", summary: "Cases, oldest due first: open ones by default, optionally of one customer or assignee; paged.",
                      params: [.id("customer_id"), .id("assigned_to"), ParamSpec("status", .oneOf(statuses)), .limit(), .cursor()],
                      access: .unit, function: "api.cases_list", answer: .page(.id)),
        ]
    }
}
