import CRMProtocol
import CRMCore
import PQ

/// `reports.*`: the views of schema `report`, read under the caller's role (security_invoker),
/// so an API user sees the same figures a DBA sees in psql, for one unit only.
enum ReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.customer_profit", summary: "Profit contribution per customer for one month (YYYY-MM) or year (YYYY), best first; paged.",
                      params: [ParamSpec("granularity", .oneOf(["month", "year"]), required: true),
                               .string("period", required: true, max: 7, "YYYY-MM for a month, YYYY for a year"),
                               .id("customer_id"), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let granularity = try p.requiredString("granularity")
                let period = try p.requiredString("period")
                let (margin, id) = try RankCursor.decode(p.string("cursor"))
                if granularity == "month" {
                    guard period.count == 7, DateText.isDate(period + "-01") else { throw CRMError.invalidParams("period", "must be YYYY-MM") }
                    return try await ctx.page("""
                        select r.gross_margin::text || '|' || r.customer_id as key, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text as json
                        from report.customer_profit_monthly r
                        where r.month = (\(period) || '-01')::date
                          and (\(p.id("customer_id"))::bigint is null or r.customer_id = \(p.id("customer_id")))
                          and (\(margin)::numeric is null or (r.gross_margin, r.customer_id) < (\(margin)::numeric, \(id)::bigint))
                        order by r.gross_margin desc, r.customer_id desc
                        limit \(p.limit + 1)
                        """, limit: p.limit)
                }
                guard period.count == 4, let year = Int(period) else { throw CRMError.invalidParams("period", "must be YYYY") }
                return try await ctx.page("""
                    select r.gross_margin::text || '|' || r.customer_id as key, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text as json
                    from report.customer_profit_yearly r
                    where r.year = \(year)
                      and (\(p.id("customer_id"))::bigint is null or r.customer_id = \(p.id("customer_id")))
                      and (\(margin)::numeric is null or (r.gross_margin, r.customer_id) < (\(margin)::numeric, \(id)::bigint))
                    order by r.gross_margin desc, r.customer_id desc
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("reports.customer_tiers", summary: "Customer tiers for a year by the previous year's profit contribution, with the tier before; best first; paged. From the tier snapshot (refreshed hourly, or by reports.refresh_tiers); a year never refreshed is computed live (refreshed_at null) and nothing is written.",
                      params: [ParamSpec("year", .integer(min: 1900, max: 3000), required: true),
                               ParamSpec("tier", .oneOf(["A", "B", "C", "D"])), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let (margin, id) = try RankCursor.decode(p.string("cursor"))
                return try await ctx.page("""
                    select r.basis_gross_margin::text || '|' || r.customer_id as key, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text as json
                    from crm.customer_tiers_page(\(p.int("year")!)::int, \(p.string("tier"))::text, \(margin)::numeric, \(id)::bigint, \(p.limit + 1)::int) r
                    order by r.basis_gross_margin desc, r.customer_id desc
                    """, limit: p.limit)
            },
            RPCMethod("reports.refresh_tiers", summary: "Recomputes the tier snapshot of a year (default: this year) for the unit now, instead of waiting for the hourly job; answers how many customers were tiered. Managers and directors.",
                      params: [ParamSpec("year", .integer(min: 1900, max: 3000))],
                      access: .roles([.manager, .director]), lane: .report) { p, ctx in
                let rows = try await ctx.query("select crm.refresh_customer_tiers(coalesce(\(p.int("year"))::int, extract(year from now())::int)) as tiered")
                do { return .number(try rows[0].get("tiered", as: Int.self)) } catch { throw CRMError.from(error) }
            },
            RPCMethod("reports.product_profitability", summary: "Each product's units, revenue, cost, gross margin, margin rate and profit tier; by product id; paged.",
                      params: [ParamSpec("profit_tier", .oneOf(["A", "B", "C"])), .limit(), .cursor()], access: .unit) { p, ctx in
                try await ctx.page("""
                    select r.product_id::text as key, (to_jsonb(r) || jsonb_build_object('product_id', r.product_id::text))::text as json
                    from report.product_profitability r
                    where r.product_id > \(try IDCursor.after(p.string("cursor")))
                      and (\(p.string("profit_tier"))::text is null or r.profit_tier = \(p.string("profit_tier")))
                    order by r.product_id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("reports.staff_commission", summary: "Commission per staff member, month and product tier.",
                      params: [.month("month", required: true), .limit(), .cursor()], access: .roles([.manager, .director])) { p, ctx in
                let month = try p.requiredString("month")
                return try await ctx.page("""
                    select r.staff_id::text || r.product_tier as key,
                           (to_jsonb(r) || jsonb_build_object('staff_id', r.staff_id::text))::text as json
                    from report.staff_commission r
                    where r.month = (\(month) || '-01')::date and r.staff_id::text || r.product_tier > \(try Paging.decode(p.string("cursor")) ?? "")
                    order by 1 limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("reports.rfm", summary: "RFM per customer (Fader, Hardie and Lee; lifetimes) as of a date, in days or weeks; by customer id; paged.",
                      params: [ParamSpec("as_of", .date), ParamSpec("period", .oneOf(["day", "week"])), .limit(), .cursor()], access: .unit) { p, ctx in
                try await ctx.page("""
                    select r.customer_id::text as key, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text as json
                    from report.rfm(coalesce(\(p.string("as_of"))::date, current_date), coalesce(\(p.string("period")), 'day')) r
                    where r.customer_id > \(try IDCursor.after(p.string("cursor")))
                    order by r.customer_id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("reports.goals", summary: "Every goal against what was achieved; sales quotas are the revenue goals of one staff member.",
                      params: [.limit(), .cursor()], access: .unit) { p, ctx in
                try await ctx.page("""
                    select r.goal_id::text as key,
                           (to_jsonb(r) || jsonb_build_object('goal_id', r.goal_id::text, 'staff_id', r.staff_id::text))::text as json
                    from report.goal_progress r
                    where r.goal_id > \(try IDCursor.after(p.string("cursor")))
                    order by r.goal_id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("reports.crm_roi", summary: "The CRM's return on investment for the unit, from its settings and the last 12 months' margin.",
                      access: .roles([.manager, .director, .marketing])) { _, ctx in
                try await ctx.json("select row_to_json(r) as json from report.crm_roi r")
            },
        ]
    }
}
