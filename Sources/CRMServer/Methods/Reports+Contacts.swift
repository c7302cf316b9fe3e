import CRMProtocol

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
                      params: [monthParam], access: .unit, function: "api.reports_channel_effectiveness"),
            RPCMethod("reports.call_centre_daily", summary: "Calls per day and agent: answered, abandoned, waits, reasons.",
                      params: [ParamSpec("day", .date, required: true)], access: .unit, function: "api.reports_call_centre_daily"),
            RPCMethod("reports.satisfaction", summary: "Average score and NPS per product or service and month.",
                      params: [monthParam], access: .unit, function: "api.reports_satisfaction"),
            RPCMethod("reports.lifecycle_funnel", summary: "Customers per lifecycle stage, and the data-capture rates per phase.", access: .unit, function: "api.reports_lifecycle_funnel"),
            RPCMethod("reports.customer_value", summary: "The customer value evaluation report: one row per customer with profit contribution, tier, RFM, satisfaction, preferred channels and contact details; by customer id; paged.",
                      params: [.limit(), .cursor()], access: .unit, function: "api.reports_customer_value", answer: .page(.id)),
        ]
    }
}
