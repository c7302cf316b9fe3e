import CRMProtocol
import CRMCore
import PQ

/// `reports.campaign_*`: the campaign views of schema `report`.
enum CampaignReportMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("reports.campaign_results", summary: "Per campaign: cost, leads, qualified leads, conversions, orders, units, revenue, gross margin, response rate and ROI on margin; by campaign id; paged.",
                      params: [.id("campaign_id"), .limit(), .cursor()], access: .unit) { p, ctx in
                let before = try IDCursor.before(p.string("cursor"))
                return try await ctx.page("""
                    select r.campaign_id::text as key, (to_jsonb(r) || jsonb_build_object('campaign_id', r.campaign_id::text))::text as json
                    from report.campaign_results r
                    where r.campaign_id < \(before) and (\(p.id("campaign_id"))::bigint is null or r.campaign_id = \(p.id("campaign_id")))
                    order by r.campaign_id desc limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("reports.campaign_weekly", summary: "A campaign's orders, units, revenue and margin per week (the timeline of its peaks); paged by week.",
                      params: [.id("campaign_id", required: true), .limit(), .cursor()], access: .unit) { p, ctx in
                let after = try Paging.decode(p.string("cursor")) ?? "0001-01-01"
                guard DateText.isDate(after) else { throw Paging.notIssued }
                return try await ctx.page("""
                    select r.week::text as key, (to_jsonb(r) || jsonb_build_object('campaign_id', r.campaign_id::text))::text as json
                    from report.campaign_weekly r
                    where r.campaign_id = \(try p.requiredID("campaign_id")) and r.week > \(after)::date
                    order by r.week limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}
