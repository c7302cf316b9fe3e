import CRMProtocol
import CRMCore
import PQ

/// `cases.*`: complaints, quality problems, replacements, refunds and questions, with SLA due
/// times from the unit's settings and the times to first response and to resolution.
enum CaseMethods {
    static let statuses = ["open", "in_progress", "waiting", "resolved", "closed"]
    static let priorities = ["low", "normal", "high", "urgent"]
    /// What repairing or replacing the product cost (the repair cost report); not negative.
    static let repairCost = ParamSpec.amount("repair_cost", "what repairing or replacing the product cost, >= 0")

    /// update, assign and resolve are one SQL function with different params.
    static func change(_ name: String, _ summary: String, _ params: [ParamSpec], status: String? = nil) -> RPCMethod {
        RPCMethod(name, summary: summary,
                  params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)))] + params,
                  access: .unitWrite) { p, ctx in
            try await ctx.json("""
                select crm.change_case(\(try p.requiredID("id")), \(p.int("version"))::int, \(status ?? p.string("status")),
                                       \(p.id("assigned_to")), \(p.string("priority")), \(p.string("resolution")), \(p.string("note")),
                                       \(p.decimal("repair_cost"))::numeric) as json
                """)
        }
    }

    static func all() -> [RPCMethod] {
        [
            RPCMethod("cases.open", summary: "Opens a service case; its SLA due time comes from the unit's sla_hours per priority.",
                      params: [.id("customer_id", required: true),
                               ParamSpec("category", .oneOf(["complaint", "quality", "replacement", "refund", "question"]), required: true),
                               ParamSpec("priority", .oneOf(priorities)), .string("subject", required: true, max: 300),
                               .string("description", max: 8000), .id("order_id"), .id("product_id"), .id("assigned_to"),
                               ParamSpec("opened_at", .timestamp), repairCost],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("select crm.open_case(\(PQJSON(JSON.object(p.object).serialized))::jsonb) as json")
            },
            change("cases.update", "Changes a case's status or priority, with a note for the history.",
                   [ParamSpec("status", .oneOf(statuses)), ParamSpec("priority", .oneOf(priorities)), .string("note", max: 4000), repairCost]),
            change("cases.assign", "Assigns a case to a staff member.", [.id("assigned_to", required: true), .string("note", max: 4000)]),
            change("cases.resolve", "Resolves a case with its resolution.", [.string("resolution", required: true, max: 4000), .string("note", max: 4000), repairCost],
                   status: "resolved"),
            RPCMethod("cases.list", summary: "Cases, oldest due first: open ones by default, optionally of one customer or assignee; paged.",
                      params: [.id("customer_id"), .id("assigned_to"), ParamSpec("status", .oneOf(statuses)), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select c.id::text as key, crm.case_json(c.id) as json from crm.service_case c
                    where c.tenant_id = crm.current_tenant() and c.id > \(after)
                      and (\(p.id("customer_id"))::bigint is null or c.customer_id = \(p.id("customer_id")))
                      and (\(p.id("assigned_to"))::bigint is null or c.assigned_to = \(p.id("assigned_to")))
                      and case when \(p.string("status"))::text is null then c.status not in ('resolved', 'closed')
                               else c.status = \(p.string("status")) end
                    order by c.id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}
