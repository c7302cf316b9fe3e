import CRMProtocol

/// `reports.*` of complaints and quality (the reliability and repair cost report): cases per
/// category, product and month, service per agent, repair cost per product against sales.
/// Each is one SQL function (SQL/api/reports.sql, over report.*_json in
/// SQL/repeatable/33_reports_quality.sql) a DBA can call in psql after `SET ROLE` and
/// `SET crm.tenant`; unit methods only (cost and margin).
enum QualityReportMethods {
    static let limitParam = ParamSpec("limit", .integer(min: 1, max: 1000), "at most this many rows (default 100)")
    static let yearParam = ParamSpec("year", .integer(min: 1900, max: 9999), "calendar year (default: the current one)")
    static let monthParam = ParamSpec.month("month", "YYYY-MM (default: the current month)")

    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.complaints", summary: "Service cases per category and product for one month: cases, open, SLA breaches, repair cost.",
                      params: [monthParam, limitParam], access: .unit, function: "api.reports_complaints"),
            RPCMethod("reports.agent_service", summary: "Per agent for one month: cases, responded, resolved, SLA breaches, minutes to first response and to resolution.",
                      params: [monthParam, limitParam], access: .unit, function: "api.reports_agent_service"),
            RPCMethod("reports.repair_costs", summary: "Per product for one year: cases and repair cost against units sold, revenue and gross margin; highest repair cost first.",
                      params: [yearParam, limitParam], access: .unit, function: "api.reports_repair_costs"),
        ]
    }
}
