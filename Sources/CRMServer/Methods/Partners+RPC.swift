import CRMProtocol

/// Partner relationship management. A unit grants partners its products (groups, discount,
/// prices) and leads; a partner searches the catalog of every unit that granted it in one call,
/// registers deals, and answers and works the leads offered to it. The rules and the isolation
/// live in SQL (60_partner_grants.sql, 60_partner_deals.sql, 60_partner_lead_offers.sql, the policies
/// of 0007_baseline_partners.sql); each method is one function of SQL/api/partners.sql.
enum PartnerMethods {
    static let granters = Access.roles([.manager, .director])

    static func all() -> [RPCMethod] {
        unitSide() + partnerSide()
    }

    static func unitSide() -> [RPCMethod] {
        [
            RPCMethod("partners.grant", summary: "Grants a partner this unit's products (all, or some product groups) at a discount, a commission on the revenue credited to it, and optionally leads (by region and weight); changes an existing grant.",
                      params: [.string("partner", required: true, max: 100), ParamSpec("may_see_products", .boolean),
                               ParamSpec("product_groups", .array(of: .string(maxLength: 100), maxItems: 100), "null or absent: every group"),
                               ParamSpec("discount_pct", .decimalWithin(maxScale: 2, min: 0, max: 100)),
                               ParamSpec("commission_pct", .decimalWithin(maxScale: 2, min: 0, max: 100)),
                               ParamSpec("may_receive_leads", .boolean),
                               .string("region", max: 100), ParamSpec("lead_weight", .integer(min: 1, max: 1000))],
                      access: granters, function: "api.partners_grant", binding: .object),
            RPCMethod("partners.revoke", summary: "Ends a partner's grant: it no longer sees this unit's products or receives its leads.",
                      params: [.string("partner", required: true, max: 100)], access: granters, function: "api.partners_revoke"),
            RPCMethod("partners.set_price", summary: "Sets the price a partner pays for a product (instead of list price less its discount).",
                      params: [.string("partner", required: true, max: 100), .id("product_id", required: true), .amount("price", required: true, min: 0)],
                      access: granters, function: "api.partners_set_price"),
            RPCMethod("partners.list", summary: "The partners this unit granted, with their grants.", params: [], access: .unit, function: "api.partners_list"),
            RPCMethod("deals.decide", summary: "Approves a partner's deal (it becomes a quote at the partner's prices, credited to the partner) or rejects it with a comment.",
                      params: [.id("id", required: true), ParamSpec("decision", .oneOf(["approved", "rejected"]), required: true),
                               .string("comment", max: 2000)], access: granters, function: "api.deals_decide"),
            RPCMethod("deals.close", summary: "Closes an open deal as lost (its quote is cancelled).",
                      params: [.id("id", required: true), .string("comment", max: 2000)], access: granters, function: "api.deals_close"),
            RPCMethod("leads.reassign", summary: "Expires unanswered lead offers and passes expired or declined leads to the next partner (the server also does this on its schedule). Answers how many moved.",
                      params: [], access: .unitWrite, function: "api.leads_reassign"),
        ] + shared()
    }

    /// Methods both sides call: each sees what its policies let it see.
    static func shared() -> [RPCMethod] {
        [
            RPCMethod("deals.list", summary: "Deals, newest first: a partner its own (in every unit), a unit all of its partners'; optionally by status; paged.",
                      params: [ParamSpec("status", .oneOf(["registered", "approved", "rejected", "won", "lost"])), .limit(), .cursor()],
                      access: .roles(Access.unitRoles.union([.partner])), function: "api.deals_list",
                      partnerFunction: "api.partner_deals_list", answer: .page(.newest)),
            RPCMethod("deals.get", summary: "One deal (a partner's own, or one registered with this unit).",
                      params: [.id("id", required: true)], access: .roles(Access.unitRoles.union([.partner])), function: "api.deals_get",
                      partnerFunction: "api.partner_deals_get", answer: .json(notFound: "deal")),
            RPCMethod("reports.partner_scorecard", summary: "Per partner and month: deals registered, conflicting, approved, won; orders, units, revenue and commission credited (and, for the unit, margin); lead acceptance rate and time. A unit sees its partners; a partner sees itself, without cost or margin.",
                      params: [.string("partner", max: 100), .limit(), .cursor()], access: .roles(Access.unitRoles.union([.partner])), function: "api.reports_partner_scorecard",
                      partnerFunction: "api.reports_partner_own_scorecard", answer: .page(.key)),
        ]
    }

    static func partnerSide() -> [RPCMethod] {
        [
            RPCMethod("catalog.search", summary: "Products of every unit that granted you, with your price (no cost), availability and service information; optionally by text (name or SKU), unit or product group; paged.",
                      params: [.string("query", max: 100), .string("unit", max: 100), .string("product_group", max: 100),
                               ParamSpec("available_only", .boolean), .limit(), .cursor()],
                      access: .partner, function: "api.catalog_search", answer: .page(.id)),
            RPCMethod("catalog.get", summary: "One product of a unit that granted you, with your price and service information.",
                      params: [.id("id", required: true)], access: .partner, function: "api.catalog_get", answer: .json(notFound: "product")),
            RPCMethod("deals.register", summary: "Registers a deal with a unit that granted you: a prospect and products. Another partner's registration of the same prospect and a product within the unit's window flags it as a conflict.",
                      params: [.string("unit", required: true, max: 100),
                               ParamSpec("prospect", .object(properties: [.string("name", required: true, max: 200), .string("email", max: 320),
                                                                          .string("phone", max: 40), .string("company", max: 200), .string("region", max: 100)]),
                                         required: true),
                               ParamSpec("products", .array(of: .object(properties: [.id("product_id", required: true),
                                                                                      ParamSpec("quantity", .decimalWithin(maxScale: 3, min: 0.001, max: 1e9), required: true)]), maxItems: 100),
                                         required: true),
                               .string("note", max: 2000)],
                      access: .partner, function: "api.deals_register", binding: .object),
            RPCMethod("partner_leads.list", summary: "The leads offered or given to you, in every unit, by id; optionally by status; paged.",
                      params: [ParamSpec("status", .oneOf(LeadMethods.statuses)), .limit(), .cursor()], access: .partner, function: "api.partner_leads_list", answer: .page(.id)),
            RPCMethod("partner_leads.accept", summary: "Accepts a lead offered to you, before the offer expires.",
                      params: [.id("id", required: true)], access: .partner, function: "api.partner_leads_accept"),
            RPCMethod("partner_leads.decline", summary: "Declines a lead offered to you; it goes to the next partner.",
                      params: [.id("id", required: true), .string("reason", max: 2000)], access: .partner, function: "api.partner_leads_decline"),
            RPCMethod("partner_leads.update", summary: "Works a lead you accepted: contacted, qualified, or closed as converted (won) or disqualified (lost); and its score.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               ParamSpec("status", .oneOf(["contacted", "qualified", "converted", "disqualified"])),
                               ParamSpec("score", .integer(min: 0, max: 100))], access: .partner, function: "api.partner_leads_update"),
        ]
    }
}
