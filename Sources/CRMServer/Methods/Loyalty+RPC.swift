import CRMProtocol

/// `tasks.*` and `surveys.record`: the loyalty work of a unit (SQL/api/loyalty.sql).
enum LoyaltyMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("tasks.schedule", summary: "Schedules a visit, call or greeting for a customer, with a due date and an owner.",
                      params: [ParamSpec("kind", .oneOf(["call", "visit", "greeting", "care_call", "other"]), required: true),
                               .id("customer_id"), .id("owner_id"), ParamSpec("due_at", .timestamp, required: true), .string("note", max: 4000)],
                      access: .unitWrite, function: "api.tasks_schedule"),
            RPCMethod("tasks.complete", summary: "Marks a task done.", params: [.id("id", required: true), .string("note", max: 4000)],
                      access: .unitWrite, function: "api.tasks_complete"),
            RPCMethod("tasks.list_due", summary: "Open tasks due before a time (default: the end of today), optionally of one owner; soonest first; paged.",
                      params: [ParamSpec("before", .timestamp), .id("owner_id"), .limit(), .cursor()], access: .unit,
                      function: "api.tasks_list_due", answer: .page(.key)),
            RPCMethod("tasks.run_rules", summary: "Runs the unit's task rules now (care calls, holiday greetings, top-tier visits); idempotent. The server also runs them on a schedule.",
                      access: .roles([.manager, .director]), function: "api.tasks_run_rules"),
            RPCMethod("surveys.record", summary: "Records a 0-10 score for a product or a service, would-recommend and a comment.",
                      params: [.id("customer_id", required: true), .id("product_id"), .string("service", max: 100),
                               ParamSpec("score", .integer(min: 0, max: 10), required: true), ParamSpec("would_recommend", .boolean),
                               .string("comment", max: 4000), ParamSpec("responded_at", .timestamp)],
                      access: .unitWrite, function: "api.surveys_record"),
        ]
    }
}
