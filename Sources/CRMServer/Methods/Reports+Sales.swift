import CRMProtocol

/// `reports.*` of sales: basket affinity, existing versus new customers, referrals, adoption and
/// the sales forecast. Each is one SQL function (SQL/api/reports.sql, over report.*_json in
/// SQL/repeatable/34_reports_sales.sql) a DBA can call in psql after `SET ROLE` and
/// `SET crm.tenant`; unit methods only (margin).
enum SalesReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.basket_affinity", summary: "Products bought together in the same order (last 365 days, refreshed daily): support, confidence both ways and lift; highest lift first.",
                      params: [ParamSpec("min_support", .decimal(maxScale: 6), "least share of orders holding the pair (default: setting basket_min_support, else 0.001)"),
                               QualityReportMethods.limitParam], access: .unit, function: "api.reports_basket_affinity"),
            RPCMethod("reports.existing_vs_new", summary: "Profit contribution of existing customers (a sale more than 12 months before the month) against new ones, per month of a year and for the year.",
                      params: [QualityReportMethods.yearParam], access: .unit, function: "api.reports_existing_vs_new"),
            RPCMethod("reports.referrals", summary: "Per referrer: referred customers and their orders, revenue and gross margin; most margin first.",
                      params: [QualityReportMethods.limitParam], access: .unit, function: "api.reports_referrals"),
            RPCMethod("reports.adoption", summary: "Per week and role: the unit's live keys and users, those that logged in, and their share.",
                      params: [ParamSpec("weeks", .integer(min: 1, max: 104), "how many weeks back, the current one included (default 12)")],
                      access: .unit, function: "api.reports_adoption"),
            RPCMethod("reports.sales_forecast", summary: "Open quotes and partner deals weighted by stage probability, and a run-rate forecast per month from the last 12 months' sales.",
                      params: [ParamSpec("months", .integer(min: 1, max: 12), "forecast months (default 6)")], access: .unit,
                      function: "api.reports_sales_forecast"),
        ]
    }
}
