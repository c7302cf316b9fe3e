import CRMProtocol
import CRMCore
import PQ

/// `interactions.log / list` and `calls.record`: every contact, what it cost, what was quoted.
enum InteractionMethods {
    static let channels = ["phone", "email", "web", "store", "call_centre", "mail", "partner", "visit"]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("interactions.log", summary: "Records a contact with a customer, its cost and any prices quoted (the next lookup shows them as the last quoted price).",
                      params: [.id("customer_id", required: true), ParamSpec("channel", .oneOf(channels), required: true),
                               ParamSpec("direction", .oneOf(["inbound", "outbound"])), .id("staff_id"),
                               .string("outcome", max: 200), .string("summary", max: 4000), .amount("cost"),
                               ParamSpec("occurred_at", .timestamp), .id("campaign_id"),
                               ParamSpec("quotes", .array(of: .object(properties: [.id("product_id", required: true), .amount("price", required: true)]), maxItems: 100)),
                               .string("idempotency_key", max: 100)],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("select crm.log_interaction(\(PQJSON(JSON.object(p.object).serialized))::jsonb) as json")
            },
            RPCMethod("interactions.list", summary: "A customer's contacts, newest first; paged.",
                      params: [.id("customer_id", required: true), ParamSpec("channel", .oneOf(channels)), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let (at, id) = try TimeCursor.decode(p.string("cursor"))
                return try await ctx.page("""
                    select i.occurred_at::text || '|' || i.id as key, crm.interaction_json(i.id) as json
                    from crm.interaction i
                    where i.tenant_id = any(crm.visible_tenants()) and i.customer_id = \(try p.requiredID("customer_id"))
                      and (\(at)::timestamptz is null or (i.occurred_at, i.id) < (\(at)::timestamptz, \(id)::bigint))
                      and (\(p.string("channel"))::text is null or i.channel = \(p.string("channel")))
                    order by i.occurred_at desc, i.id desc
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("calls.record", summary: "Records an inbound call of the call centre: who answered, wait, abandoned or not, reason.",
                      params: [.id("customer_id"), .string("phone", max: 40), .id("answered_by"),
                               ParamSpec("wait_seconds", .integer(min: 0, max: 86_400), required: true),
                               ParamSpec("abandoned", .boolean), ParamSpec("duration_seconds", .integer(min: 0, max: 86_400)),
                               ParamSpec("reason", .oneOf(["question", "complaint", "quality", "replacement", "refund", "order", "other"]), required: true),
                               ParamSpec("started_at", .timestamp)],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    with c as (
                        insert into crm.call_record (tenant_id, customer_id, phone, answered_by, wait_seconds, abandoned, reason, started_at, duration_seconds)
                        values (crm.current_tenant(), \(p.id("customer_id")), crm.normalize_unit_phone(\(p.string("phone"))), \(p.id("answered_by")),
                                \(p.int("wait_seconds")!), coalesce(\(p.bool("abandoned"))::boolean, false), \(p.string("reason")),
                                coalesce(\(p.string("started_at"))::timestamptz, now()), coalesce(\(p.int("duration_seconds"))::int, 0))
                        returning *)
                    select json_build_object('id', id::text, 'customer_id', customer_id::text, 'reason', reason, 'abandoned', abandoned,
                                             'wait_seconds', wait_seconds, 'started_at', started_at) as json from c
                    """)
            },
        ]
    }
}
