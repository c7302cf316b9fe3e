import CRMProtocol

/// `reports.*`: the views of schema `report`, read under the caller's role (security_invoker),
/// so an API user sees the same figures a DBA sees in psql, for one unit only.
enum ReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.customer_profit", summary: "Profit contribution per customer for one month (YYYY-MM) or year (YYYY), best first; paged.",
                      params: [ParamSpec("granularity", .oneOf(["month", "year"]), required: true),
                               .string("period", required: true, max: 7, "YYYY-MM for a month, YYYY for a year"),
                               .id("customer_id"), .limit(), .cursor()],
                      access: .unit, function: "api.reports_customer_profit", answer: .page(.rank)),
            RPCMethod("reports.customer_tiers", summary: "Customer tiers for a year by the previous year's profit contribution, with the tier before; best first; paged. From the tier snapshot (refreshed hourly, or by reports.refresh_tiers); a year never refreshed is computed live (refreshed_at null) and nothing is written.",
                      params: [ParamSpec("year", .integer(min: 1900, max: 3000), required: true),
                               ParamSpec("tier", .oneOf(["A", "B", "C", "D"])), .limit(), .cursor()],
                      access: .unit, function: "api.reports_customer_tiers", answer: .page(.rank)),
            RPCMethod("reports.refresh_tiers", summary: "Recomputes the tier snapshot of a year (default: this year) for the unit now, instead of waiting for the hourly job; answers how many customers were tiered. Managers and directors.",
                      params: [ParamSpec("year", .integer(min: 1900, max: 3000))],
                      access: .roles([.manager, .director]), function: "api.reports_refresh_tiers"),
            RPCMethod("reports.product_profitability", summary: "Each product's units, revenue, cost, gross margin, margin rate and profit tier; by product id; paged.",
                      params: [ParamSpec("profit_tier", .oneOf(["A", "B", "C"])), .limit(), .cursor()], access: .unit, function: "api.reports_product_profitability", answer: .page(.id)),
            RPCMethod("reports.staff_commission", summary: "Commission per staff member, month and product tier.",
                      params: [.month("month", required: true), .limit(), .cursor()], access: .roles([.manager, .director]), function: "api.reports_staff_commission", answer: .page(.key)),
            RPCMethod("reports.rfm", summary: "RFM per customer (Fader, Hardie and Lee; lifetimes) as of a date, in days or weeks; by customer id; paged.",
                      params: [ParamSpec("as_of", .date), ParamSpec("period", .oneOf(["day", "week"])), .limit(), .cursor()], access: .unit, function: "api.reports_rfm", answer: .page(.id)),
            RPCMethod("reports.goals", summary: "Every goal against what was achieved; sales quotas are the revenue goals of one staff member.",
                      params: [.limit(), .cursor()], access: .unit, function: "api.reports_goals", answer: .page(.id)),
            RPCMethod("reports.crm_roi", summary: "The CRM's return on investment for the unit, from its settings and the last 12 months' margin.",
                      access: .roles([.manager, .director, .marketing]), function: "api.reports_crm_roi"),
        ]
    }
}
