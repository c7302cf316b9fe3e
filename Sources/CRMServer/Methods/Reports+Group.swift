import CRMProtocol

/// `reports.group_customer_value`: a guest across the units that share customers (issue
/// "[5/7] One customer across units"): for each customer the unit sees, its own or shared with
/// it, the profit contribution and tier in its unit and across the units where the same guest is
/// known. One function of SQL/api/reports_group.sql over report.group_customer_value.
enum GroupReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.group_customer_value", summary: "Each customer this unit sees (its own and those other units share with it): the unit it belongs to (slug and name), its 12-month gross margin, revenue and tier there, and the same guest across the units this unit sees (a phone or email in common): the units, the group's 12-month margin and revenue, the best tier and each unit's tier, and this record's share of the group's margin; by customer id; paged.",
                      params: [.limit(), .cursor()], access: .unit, function: "api.reports_group_customer_value", answer: .page(.id)),
        ]
    }
}
