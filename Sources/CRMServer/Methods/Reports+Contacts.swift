import CRMProtocol
import CRMCore
import PQ

/// `reports.*` over contacts, the call centre, satisfaction, the lifecycle and customer value.
enum ContactReportMethods {
    static let monthParam = ParamSpec.month("month", "YYYY-MM (default: all months)")

    /// The month param (checked by its declaration) as its first day.
    static func month(_ p: Params) -> String? {
        p.string("month").map { $0 + "-01" }
    }

    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.channel_effectiveness", summary: "Per channel and month: contacts, cost per contact, conversions and their margin.",
                      params: [monthParam], access: .unit) { p, ctx in
                try await ctx.json("""
                    select coalesce(json_agg(r order by r.month, r.channel), '[]') as json from report.channel_effectiveness r
                    where \(month(p))::date is null or r.month = \(month(p))::date
                    """)
            },
            RPCMethod("reports.call_centre_daily", summary: "Calls per day and agent: answered, abandoned, waits, reasons.",
                      params: [ParamSpec("day", .date, required: true)], access: .unit) { p, ctx in
                try await ctx.json("""
                    select coalesce(json_agg(to_jsonb(r) || jsonb_build_object('agent_id', r.agent_id::text) order by r.agent_id), '[]') as json
                    from report.call_centre_daily r where r.day = \(try p.requiredString("day"))::date
                    """)
            },
            RPCMethod("reports.satisfaction", summary: "Average score and NPS per product or service and month.",
                      params: [monthParam], access: .unit) { p, ctx in
                try await ctx.json("""
                    select coalesce(json_agg(to_jsonb(r) || jsonb_build_object('product_id', r.product_id::text) order by r.month, r.product_id), '[]') as json
                    from report.satisfaction r where \(month(p))::date is null or r.month = \(month(p))::date
                    """)
            },
            RPCMethod("reports.lifecycle_funnel", summary: "Customers per lifecycle stage, and the data-capture rates per phase.", access: .unit) { _, ctx in
                try await ctx.json("""
                    select json_build_object(
                        'funnel', (select coalesce(json_agg(r order by r.position), '[]') from report.lifecycle_funnel r),
                        'data_capture', (select row_to_json(d) from report.data_capture d)) as json
                    """)
            },
            RPCMethod("reports.customer_value", summary: "The customer value evaluation report: one row per customer with profit contribution, tier, RFM, satisfaction, preferred channels and contact details; by customer id; paged.",
                      params: [.limit(), .cursor()], access: .unit) { p, ctx in
                try await ctx.page("""
                    select r.customer_id::text as key, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text as json
                    from report.customer_value r
                    where r.customer_id > \(try IDCursor.after(p.string("cursor")))
                    order by r.customer_id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}
