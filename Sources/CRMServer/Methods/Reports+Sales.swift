import CRMProtocol
import CRMCore
import PQ

/// `reports.*` of sales: basket affinity, existing versus new customers, referrals, adoption and
/// the sales forecast. Each statement is one SQL function (SQL/repeatable/34_reports_sales.sql) a
/// DBA can call in psql after `SET ROLE` and `SET crm.tenant`; unit methods only (margin).
enum SalesReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.basket_affinity", summary: "Products bought together in the same order (last 365 days, refreshed daily): support, confidence both ways and lift; highest lift first.",
                      params: [ParamSpec("min_support", .decimal(maxScale: 6), "least share of orders holding the pair (default: setting basket_min_support, else 0.001)"),
                               QualityReportMethods.limitParam], access: .unit) { p, ctx in
                try await ctx.json("select report.basket_affinity_json(\(p.decimal("min_support"))::numeric, \(p.int("limit"))::int) as json")
            },
            RPCMethod("reports.existing_vs_new", summary: "Profit contribution of existing customers (a sale more than 12 months before the month) against new ones, per month of a year and for the year.",
                      params: [QualityReportMethods.yearParam], access: .unit) { p, ctx in
                try await ctx.json("select report.existing_vs_new_json(\(p.int("year"))::int) as json")
            },
            RPCMethod("reports.referrals", summary: "Per referrer: referred customers and their orders, revenue and gross margin; most margin first.",
                      params: [QualityReportMethods.limitParam], access: .unit) { p, ctx in
                try await ctx.json("select report.referrals_json(\(p.int("limit"))::int) as json")
            },
            RPCMethod("reports.adoption", summary: "Per week and role: the unit's live keys and users, those that logged in, and their share.",
                      params: [ParamSpec("weeks", .integer(min: 1, max: 104), "how many weeks back, the current one included (default 12)")],
                      access: .unit) { p, ctx in
                try await ctx.json("select report.adoption_json(\(p.int("weeks"))::int) as json")
            },
            RPCMethod("reports.sales_forecast", summary: "Open quotes and partner deals weighted by stage probability, and a run-rate forecast per month from the last 12 months' sales.",
                      params: [ParamSpec("months", .integer(min: 1, max: 12), "forecast months (default 6)")], access: .unit) { p, ctx in
                try await ctx.json("select report.sales_forecast_json(\(p.int("months"))::int) as json")
            },
        ]
    }
}
