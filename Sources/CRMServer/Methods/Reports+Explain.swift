import CRMProtocol

/// `reports.explain`: where a figure comes from (SQL/repeatable/38_report_explain.sql).
enum ExplainReportMethods {
    static let reports = ["profit_contribution", "tier", "commission", "campaign_roi", "rfm"]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.explain", summary: "For one row of a report, the figure, the source rows it was computed from, the formula, and the figure recomputed from those rows (matches: true when they agree). Keys: profit_contribution {customer_id, month YYYY-MM}, tier {customer_id, year}, commission {staff_id, month}, campaign_roi {campaign_id}, rfm {customer_id, as_of?, period? day|week}. At most 500 source rows.",
                      params: [ParamSpec("report", .oneOf(reports), required: true),
                               ParamSpec("key", .object(properties: [
                                   .id("customer_id"), .id("staff_id"), .id("campaign_id"),
                                   .month("month"), ParamSpec("year", .integer(min: 1900, max: 9999)),
                                   ParamSpec("as_of", .date), ParamSpec("period", .oneOf(["day", "week"])),
                               ]), required: true, "Which row of the report")],
                      access: .unit, function: "api.reports_explain"),
        ]
    }
}
