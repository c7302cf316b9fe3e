import CRMProtocol

/// `reports.campaign_*`: the campaign views of schema `report`.
enum CampaignReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.campaign_results", summary: "Per campaign: cost, leads, qualified leads, conversions, orders, units, revenue, gross margin, response rate and ROI on margin; by campaign id; paged.",
                      params: [.id("campaign_id"), .limit(), .cursor()], access: .unit, function: "api.reports_campaign_results", answer: .page(.idDescending)),
            RPCMethod("reports.campaign_weekly", summary: "A campaign's orders, units, revenue and margin per week (the timeline of its peaks); paged by week.",
                      params: [.id("campaign_id", required: true), .limit(), .cursor()], access: .unit, function: "api.reports_campaign_weekly", answer: .page(.key)),
        ]
    }
}
