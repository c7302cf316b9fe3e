import CRMProtocol

/// `leads.*` and `quotes.*`: prospects from campaign lists, assigned by rule, qualified and
/// converted; quotes that become orders attributed to their campaign (SQL/api/leads.sql).
enum LeadMethods {
    static let statuses = ["new", "assigned", "contacted", "qualified", "disqualified", "converted"]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("leads.create", summary: "Adds one lead (a prospect), optionally to a campaign; an email or phone another lead has is a conflict.",
                      params: [.string("name", required: true, max: 200), .string("email", max: 320), .string("phone", max: 40),
                               .string("company", max: 200), .string("region", max: 100), ParamSpec("score", .integer(min: 0, max: 100)),
                               .id("campaign_id"), .string("source", max: 100)],
                      access: .unitWrite, function: "api.leads_create", binding: .object),
            RPCMethod("leads.get", summary: "One lead.", params: [.id("id", required: true)], access: .unit,
                      lane: .standard, function: "api.leads_get", answer: .json(notFound: "lead")),
            RPCMethod("leads.list", summary: "Leads by id, optionally of a campaign, status or staff member; paged.",
                      params: [.id("campaign_id"), ParamSpec("status", .oneOf(statuses)), .id("assigned_staff_id"), .limit(), .cursor()],
                      access: .unit, function: "api.leads_list", answer: .page(.id)),
            RPCMethod("leads.assign", summary: "Assigns a campaign's new leads (all open ones with reassign) by rule: round_robin among staff_ids or the team, region (staff of the lead's region), or partner (partners the unit lets receive leads, by region and weight). Answers how many.",
                      params: [.id("campaign_id", required: true), ParamSpec("rule", .oneOf(["round_robin", "region", "partner"]), required: true),
                               ParamSpec("staff_ids", .array(of: .id, maxItems: 1000)), ParamSpec("reassign", .boolean)],
                      access: .roles([.marketing, .manager, .director]), function: "api.leads_assign"),
            RPCMethod("leads.qualify", summary: "Sets a lead's status (contacted, qualified, disqualified, ...) and score.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               ParamSpec("status", .oneOf(statuses.filter { $0 != "converted" })), ParamSpec("score", .integer(min: 0, max: 100))],
                      access: .unitWrite, function: "api.leads_qualify"),
            RPCMethod("leads.convert", summary: "Converts a lead into a customer (the one it is linked to, or a new one); answers the lead.",
                      params: [.id("id", required: true)], access: .unitWrite, function: "api.leads_convert"),
            RPCMethod("quotes.create", summary: "A quote for a customer or a lead (converted on the way), attributed to its campaign: an order in status quoted.",
                      params: [.id("customer_id"), .id("lead_id"), .id("campaign_id"), .id("staff_id"),
                               ParamSpec("lines", .array(of: OrderMethods.line.kind, maxItems: 500), required: true),
                               .string("idempotency_key", max: 100)],
                      access: .unitWrite, function: "api.quotes_create"),
            RPCMethod("quotes.accept", summary: "The customer accepts a quote: the order is confirmed and counts as a sale of its campaign.",
                      params: [.id("id", required: true)], access: .unitWrite, function: "api.quotes_accept"),
        ]
    }
}
