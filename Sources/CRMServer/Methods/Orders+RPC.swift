import CRMCore
import PQ

/// `orders.*`, `payments.record`, `goals.set`: sales with the price and cost of the day, status
/// history, the balance, and goals to measure against. Writes go through SQL functions.
enum OrderMethods {
    static let statuses = ["quoted", "confirmed", "shipped", "delivered", "cancelled", "returned"]

    static let line = ParamSpec("line", .object(properties: [
        .id("product_id", required: true),
        ParamSpec("quantity", .decimal(maxScale: 3), required: true),
        .amount("unit_price", "defaults to the product's list price"),
    ]))

    static func all() -> [RPCMethod] {
        [
            RPCMethod("orders.create", summary: "Creates an order; each line keeps the product's price and cost of the day. An idempotency_key makes retries safe.",
                      params: [.id("customer_id", required: true), .id("staff_id"), .id("campaign_id"),
                               ParamSpec("lines", .array(of: line.kind, maxItems: 500), required: true),
                               ParamSpec("status", .oneOf(["quoted", "confirmed"])), ParamSpec("ordered_at", .timestamp),
                               .string("idempotency_key", max: 100)],
                      access: .unitWrite) { p, ctx in
                guard let lines = p.object["lines"]?.arrayValue, !lines.isEmpty else { throw CRMError.invalidParams("lines", "needs at least one line") }
                return try await ctx.json("""
                    select crm.order_json(crm.create_order(\(try p.requiredID("customer_id")), \(p.id("staff_id")), \(p.id("campaign_id")),
                                                  \(PQJSON(JSON.array(lines).serialized))::jsonb, coalesce(\(p.string("status")), 'confirmed'),
                                                  coalesce(\(p.string("ordered_at"))::timestamptz, now()), \(p.string("idempotency_key")))) as json
                    """)
            },
            RPCMethod("orders.get", summary: "One order with its lines and total.", params: [.id("id", required: true)], access: .unit) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("select crm.order_json(\(id)) as json")
                guard found != .null else { throw CRMError.notFound("order \(id)") }
                return found
            },
            RPCMethod("orders.list", summary: "Orders, newest first, optionally of one customer or status; paged.",
                      params: [.id("customer_id"), ParamSpec("status", .oneOf(statuses)), .limit(), .cursor()], access: .unit) { p, ctx in
                let (at, id) = try TimeCursor.decode(p.string("cursor"))
                return try await ctx.page("""
                    select o.ordered_at::text || '|' || o.id as key, crm.order_json(o.id) as json from crm.sales_order o
                    where o.tenant_id = any(crm.visible_tenants())
                      and (\(at)::timestamptz is null or (o.ordered_at, o.id) < (\(at)::timestamptz, \(id)::bigint))
                      and (\(p.id("customer_id"))::bigint is null or o.customer_id = \(p.id("customer_id")))
                      and (\(p.string("status"))::text is null or o.status = \(p.string("status")))
                    order by o.ordered_at desc, o.id desc
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("orders.set_status", summary: "Moves an order along quoted → confirmed → shipped → delivered (or cancelled / returned); history kept.",
                      params: [.id("id", required: true), ParamSpec("status", .oneOf(statuses), required: true),
                               ParamSpec("version", .integer(min: 1, max: Int64(Int32.max)))],
                      access: .unitWrite) { p, ctx in
                let id = try p.requiredID("id")
                return try await ctx.json("""
                    select case when crm.set_order_status(\(id), \(try p.requiredString("status")), \(p.int("version"))::int)
                                then crm.order_json(\(id)) end as json
                    """)
            },
            RPCMethod("payments.record", summary: "Records a payment by a customer (optionally against an invoice); the balance is invoiced minus paid.",
                      params: [.id("customer_id", required: true), .amount("amount", required: true), .id("invoice_id"),
                               .string("method", max: 50), ParamSpec("paid_at", .timestamp), .string("idempotency_key", max: 100)],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    select json_build_object('id', crm.record_payment(\(try p.requiredID("customer_id")), \(p.decimal("amount"))::numeric,
                        \(p.id("invoice_id")), \(p.string("method")), coalesce(\(p.string("paid_at"))::timestamptz, now()),
                        \(p.string("idempotency_key")))::text) as json
                    """)
            },
            RPCMethod("goals.set", summary: "Sets a goal: a metric, a target, a period, optionally for a staff member or team.",
                      params: [.string("metric", required: true, max: 50), ParamSpec("target", .decimal(maxScale: 2), required: true),
                               ParamSpec("period_start", .date, required: true), ParamSpec("period_end", .date, required: true),
                               .id("staff_id"), .string("team", max: 100)],
                      access: .roles([.manager, .director])) { p, ctx in
                try await ctx.json("""
                    with g as (
                        insert into crm.goal (tenant_id, metric, target, period_start, period_end, staff_id, team)
                        values (crm.current_tenant(), \(p.string("metric")), \(p.decimal("target"))::numeric,
                                \(p.string("period_start"))::date, \(p.string("period_end"))::date, \(p.id("staff_id")), \(p.string("team")))
                        returning *)
                    select json_build_object('id', g.id::text, 'metric', g.metric, 'target', g.target::text,
                        'period_start', g.period_start, 'period_end', g.period_end, 'staff_id', g.staff_id::text, 'team', g.team) as json
                    from g
                    """)
            },
        ]
    }
}
