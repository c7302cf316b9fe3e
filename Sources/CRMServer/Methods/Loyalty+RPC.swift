import CRMProtocol
import CRMCore
import PQ

/// `tasks.*` and `surveys.record`: the loyalty work of a unit.
enum LoyaltyMethods {
    static let taskJSON = """
        json_build_object('id', t.id::text, 'kind', t.kind, 'customer_id', t.customer_id::text, 'owner_id', t.owner_id::text,
                          'due_at', t.due_at, 'done_at', t.done_at, 'note', t.note, 'rule', split_part(t.rule_key, ':', 1))
        """

    static func all() -> [RPCMethod] {
        [
            RPCMethod("tasks.schedule", summary: "Schedules a visit, call or greeting for a customer, with a due date and an owner.",
                      params: [ParamSpec("kind", .oneOf(["call", "visit", "greeting", "care_call", "other"]), required: true),
                               .id("customer_id"), .id("owner_id"), ParamSpec("due_at", .timestamp, required: true), .string("note", max: 4000)],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    with t as (insert into crm.task (tenant_id, kind, customer_id, owner_id, due_at, note)
                               values (crm.current_tenant(), \(p.string("kind")), \(p.id("customer_id")), \(p.id("owner_id")),
                                       \(p.string("due_at"))::timestamptz, \(p.string("note"))) returning *)
                    select \(unsafeSQL: taskJSON) as json from t
                    """)
            },
            RPCMethod("tasks.complete", summary: "Marks a task done.", params: [.id("id", required: true), .string("note", max: 4000)],
                      access: .unitWrite) { p, ctx in
                let id = try p.requiredID("id")
                let done = try await ctx.json("""
                    with t as (update crm.task set done_at = coalesce(done_at, now()), note = coalesce(\(p.string("note")), note)
                               where tenant_id = crm.current_tenant() and id = \(id) returning *)
                    select \(unsafeSQL: taskJSON) as json from t
                    """)
                guard done != .null else { throw CRMError.notFound("task \(id)") }
                return done
            },
            RPCMethod("tasks.list_due", summary: "Open tasks due before a time (default: the end of today), optionally of one owner; soonest first; paged.",
                      params: [ParamSpec("before", .timestamp), .id("owner_id"), .limit(), .cursor()], access: .unit) { p, ctx in
                let after = try Paging.decode(p.string("cursor"))
                return try await ctx.page("""
                    select to_char(t.due_at at time zone 'UTC', 'YYYYMMDDHH24MISSUS') || lpad(t.id::text, 19, '0') as key,
                           \(unsafeSQL: taskJSON) as json
                    from crm.task t
                    where t.tenant_id = crm.current_tenant() and t.done_at is null
                      and t.due_at < coalesce(\(p.string("before"))::timestamptz, date_trunc('day', now()) + interval '1 day')
                      and (\(p.id("owner_id"))::bigint is null or t.owner_id = \(p.id("owner_id")))
                      and to_char(t.due_at at time zone 'UTC', 'YYYYMMDDHH24MISSUS') || lpad(t.id::text, 19, '0') > coalesce(\(after), '')
                    order by 1 limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("tasks.run_rules", summary: "Runs the unit's task rules now (care calls, holiday greetings, top-tier visits); idempotent. The server also runs them on a schedule.",
                      access: .roles([.manager, .director])) { _, ctx in
                try await ctx.json("select json_build_object('tiers', crm.refresh_customer_tiers(), 'created', crm.run_task_rules()) as json")
            },
            RPCMethod("surveys.record", summary: "Records a 0-10 score for a product or a service, would-recommend and a comment.",
                      params: [.id("customer_id", required: true), .id("product_id"), .string("service", max: 100),
                               ParamSpec("score", .integer(min: 0, max: 10), required: true), ParamSpec("would_recommend", .boolean),
                               .string("comment", max: 4000), ParamSpec("responded_at", .timestamp)],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    with s as (insert into crm.survey_response (tenant_id, customer_id, product_id, service, score, would_recommend, comment, responded_at)
                               values (crm.current_tenant(), \(try p.requiredID("customer_id")), \(p.id("product_id")), \(p.string("service")),
                                       \(p.int("score")!), \(p.bool("would_recommend")), \(p.string("comment")),
                                       coalesce(\(p.string("responded_at"))::timestamptz, now())) returning *)
                    select json_build_object('id', id::text, 'customer_id', customer_id::text, 'product_id', product_id::text,
                                             'score', score, 'would_recommend', would_recommend) as json from s
                    """)
            },
        ]
    }
}
