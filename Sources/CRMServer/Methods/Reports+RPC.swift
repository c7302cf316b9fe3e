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
            RPCMethod("reports.customer_tiers", summary: "Customer tiers for a year by the previous year's profit contribution, with the tier before; best first; paged.",
                      params: [ParamSpec("year", .integer(min: 1900, max: 3000), required: true),
                               ParamSpec("tier", .oneOf(["A", "B", "C", "D"])), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let (margin, id) = try RankCursor.decode(p.string("cursor"))
                return try await ctx.page("""
                    select r.basis_gross_margin::text || '|' || r.customer_id as key, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text as json
                    from report.customer_tier r
                    where r.year = \(p.int("year")!)
                      and (\(p.string("tier"))::text is null or r.tier = \(p.string("tier")))
                      and (\(margin)::numeric is null or (r.basis_gross_margin, r.customer_id) < (\(margin)::numeric, \(id)::bigint))
                    order by r.basis_gross_margin desc, r.customer_id desc
                    limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}

/// A cursor for lists ranked by an amount: "amount|id" of the last row of the page.
enum RankCursor {
    static func decode(_ cursor: String?) throws(CRMError) -> (PQDecimal?, Int64?) {
        guard let key = try Paging.decode(cursor) else { return (nil, nil) }
        let parts = key.split(separator: "|")
        guard parts.count == 2, let amount = PQDecimal(String(parts[0])), let id = Int64(parts[1]) else {
            throw CRMError.invalidParams("cursor", "is not a cursor this server issued")
        }
        return (amount, id)
    }
}
