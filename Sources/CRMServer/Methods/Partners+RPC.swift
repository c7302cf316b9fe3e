import CRMProtocol
import CRMCore
import PQ

/// Partner relationship management. A unit grants partners its products (groups, discount,
/// prices) and leads; a partner searches the catalog of every unit that granted it in one call,
/// registers deals, and answers and works the leads offered to it. The rules and the isolation
/// live in SQL (60_partner_grants.sql, 60_partner_deals.sql, 60_partner_lead_offers.sql, the policies of 0007_baseline_partners.sql).
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
                      access: granters) { p, ctx in
                var fields = p.object
                fields["partner"] = nil
                return try await ctx.json("select crm.grant_partner(\(try p.requiredString("partner")), \(PQJSON(JSON.object(fields).serialized))::jsonb) as json")
            },
            RPCMethod("partners.revoke", summary: "Ends a partner's grant: it no longer sees this unit's products or receives its leads.",
                      params: [.string("partner", required: true, max: 100)], access: granters) { p, ctx in
                try await ctx.json("select crm.revoke_partner(\(try p.requiredString("partner"))) as json")
            },
            RPCMethod("partners.set_price", summary: "Sets the price a partner pays for a product (instead of list price less its discount).",
                      params: [.string("partner", required: true, max: 100), .id("product_id", required: true), .amount("price", required: true, min: 0)],
                      access: granters) { p, ctx in
                return try await ctx.json("""
                    select crm.set_partner_price(\(try p.requiredString("partner")), \(try p.requiredID("product_id")), \(p.decimal("price"))::numeric) as json
                    """)
            },
            RPCMethod("partners.list", summary: "The partners this unit granted, with their grants.", params: [], access: .unit) { _, ctx in
                try await ctx.json("""
                    select coalesce(json_agg(crm.partner_grant_json(g.partner_id) order by g.partner_id), '[]') as json
                    from crm.partner_grant g where g.tenant_id = crm.current_tenant()
                    """)
            },
            RPCMethod("deals.decide", summary: "Approves a partner's deal (it becomes a quote at the partner's prices, credited to the partner) or rejects it with a comment.",
                      params: [.id("id", required: true), ParamSpec("decision", .oneOf(["approved", "rejected"]), required: true),
                               .string("comment", max: 2000)], access: granters) { p, ctx in
                try await ctx.json("""
                    select crm.decide_deal(\(try p.requiredID("id")), \(try p.requiredString("decision")), \(p.string("comment"))) as json
                    """)
            },
            RPCMethod("deals.close", summary: "Closes an open deal as lost (its quote is cancelled).",
                      params: [.id("id", required: true), .string("comment", max: 2000)], access: granters) { p, ctx in
                try await ctx.json("select crm.close_deal(\(try p.requiredID("id")), \(p.string("comment"))) as json")
            },
            RPCMethod("leads.reassign", summary: "Expires unanswered lead offers and passes expired or declined leads to the next partner (the server also does this on its schedule). Answers how many moved.",
                      params: [], access: .unitWrite) { _, ctx in
                try await ctx.json("select json_build_object('reassigned', crm.reassign_partner_leads()) as json")
            },
        ] + shared()
    }

    /// Methods both sides call: each sees what its policies let it see.
    static func shared() -> [RPCMethod] {
        [
            RPCMethod("deals.list", summary: "Deals, newest first: a partner its own (in every unit), a unit all of its partners'; optionally by status; paged.",
                      params: [ParamSpec("status", .oneOf(["registered", "approved", "rejected", "won", "lost"])), .limit(), .cursor()],
                      access: .roles(Access.unitRoles.union([.partner]))) { p, ctx in
                let (at, id) = try TimeCursor.decode(p.string("cursor"))
                return try await ctx.page("""
                    select d.registered_at::text || '|' || d.id as key, \(unsafeSQL: dealJSON(ctx))(d.tenant_id, d.id)::text as json from crm.deal d
                    where (\(at)::timestamptz is null or (d.registered_at, d.id) < (\(at)::timestamptz, \(id)::bigint))
                      and (\(p.string("status"))::text is null or d.status = \(p.string("status")))
                      and (crm.current_tenant() is null or d.tenant_id = crm.current_tenant())
                    order by d.registered_at desc, d.id desc limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("deals.get", summary: "One deal (a partner's own, or one registered with this unit).",
                      params: [.id("id", required: true)], access: .roles(Access.unitRoles.union([.partner]))) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("""
                    select \(unsafeSQL: dealJSON(ctx))(d.tenant_id, d.id) as json from crm.deal d
                    where d.id = \(id) and (crm.current_tenant() is null or d.tenant_id = crm.current_tenant())
                    """)
                guard found != .null else { throw CRMError.notFound("deal \(id)") }
                return found
            },
            RPCMethod("reports.partner_scorecard", summary: "Per partner and month: deals registered, conflicting, approved, won; orders, units, revenue and commission credited (and, for the unit, margin); lead acceptance rate and time. A unit sees its partners; a partner sees itself, without cost or margin.",
                      params: [.string("partner", max: 100), .limit(), .cursor()], access: .roles(Access.unitRoles.union([.partner]))) { p, ctx in
                let after = try Paging.decode(p.string("cursor")) ?? ""
                // Partners read a view without cost or margin: they may not read the unit's one.
                let view = ctx.principal?.kind == .partner ? "report.partner_own_scorecard" : "report.partner_scorecard"
                return try await ctx.page("""
                    select r.tenant || '|' || r.partner || '|' || r.month as key, to_jsonb(r)::text as json
                    from \(unsafeSQL: view) r
                    where (\(p.string("partner"))::text is null or r.partner = \(p.string("partner")))
                      and r.tenant || '|' || r.partner || '|' || r.month > \(after)
                    order by 1 limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }

    /// A unit sees which other deal a deal conflicts with; a partner only that it does.
    static func dealJSON(_ ctx: RequestContext) -> String {
        ctx.principal?.kind == .partner ? "crm.deal_json" : "crm.unit_deal_json"
    }

    static func partnerSide() -> [RPCMethod] {
        [
            RPCMethod("catalog.search", summary: "Products of every unit that granted you, with your price (no cost), availability and service information; optionally by text (name or SKU), unit or product group; paged.",
                      params: [.string("query", max: 100), .string("unit", max: 100), .string("product_group", max: 100),
                               ParamSpec("available_only", .boolean), .limit(), .cursor()],
                      access: .partner) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                let unit = p.string("unit"), group = p.string("product_group")
                let availableOnly = p.bool("available_only") ?? false
                if let query = p.string("query") {
                    // By text: the keys come from crm.search_catalog_keys (trigram index, the
                    // partner's grants applied inside), the rows under the partner's policies.
                    return try await ctx.page("""
                        select p.id::text as key, crm.catalog_json(p.tenant_id, p.id)::text as json
                        from crm.search_catalog_keys(\(query), \(unit), \(group), \(availableOnly), \(after), \(p.limit + 1)) k
                        join crm.product p on p.tenant_id = k.tenant_id and p.id = k.id
                        order by p.id limit \(p.limit + 1)
                        """, limit: p.limit)
                }
                return try await ctx.page("""
                    select p.id::text as key, crm.catalog_json(p.tenant_id, p.id)::text as json
                    from crm.product p
                    where p.id > \(after)
                      and (\(unit)::text is null or p.tenant_id = (select t.id from crm.tenant t where t.slug = \(unit)))
                      and (\(group)::text is null or p.product_group = \(group))
                      and (not \(availableOnly) or p.active)
                    order by p.id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("catalog.get", summary: "One product of a unit that granted you, with your price and service information.",
                      params: [.id("id", required: true)], access: .partner) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("select crm.catalog_json(p.tenant_id, p.id) as json from crm.product p where p.id = \(id)")
                guard found != .null else { throw CRMError.notFound("product \(id)") }
                return found
            },
            RPCMethod("deals.register", summary: "Registers a deal with a unit that granted you: a prospect and products. Another partner's registration of the same prospect and a product within the unit's window flags it as a conflict.",
                      params: [.string("unit", required: true, max: 100),
                               ParamSpec("prospect", .object(properties: [.string("name", required: true, max: 200), .string("email", max: 320),
                                                                          .string("phone", max: 40), .string("company", max: 200), .string("region", max: 100)]),
                                         required: true),
                               ParamSpec("products", .array(of: .object(properties: [.id("product_id", required: true),
                                                                                      ParamSpec("quantity", .decimal(maxScale: 3), required: true)]), maxItems: 100),
                                         required: true),
                               .string("note", max: 2000)],
                      access: .partner) { p, ctx in
                guard let products = p.object["products"]?.arrayValue, !products.isEmpty else {
                    throw CRMError.invalidParams("products", "needs at least one product")
                }
                for (i, item) in products.enumerated() {
                    var text: String?
                    switch item["quantity"] {
                    case .number(let n)?: text = n
                    case .string(let s)?: text = s
                    default: text = nil
                    }
                    if let q = text, let v = Double(q), v <= 0 {
                        throw CRMError.invalidParams("products[\(i)].quantity", "must be positive")
                    }
                }
                var fields = p.object
                fields["unit"] = nil
                return try await ctx.json("select crm.register_deal(\(try p.requiredString("unit")), \(PQJSON(JSON.object(fields).serialized))::jsonb) as json")
            },
            RPCMethod("partner_leads.list", summary: "The leads offered or given to you, in every unit, by id; optionally by status; paged.",
                      params: [ParamSpec("status", .oneOf(LeadMethods.statuses)), .limit(), .cursor()], access: .partner) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select l.id::text as key, crm.partner_lead_json(l.tenant_id, l.id)::text as json from crm.lead l
                    where l.id > \(after) and (\(p.string("status"))::text is null or l.status = \(p.string("status")))
                    order by l.id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("partner_leads.accept", summary: "Accepts a lead offered to you, before the offer expires.",
                      params: [.id("id", required: true)], access: .partner) { p, ctx in
                try await ctx.json("select crm.answer_lead_offer(\(try p.requiredID("id")), 'accepted', null) as json")
            },
            RPCMethod("partner_leads.decline", summary: "Declines a lead offered to you; it goes to the next partner.",
                      params: [.id("id", required: true), .string("reason", max: 2000)], access: .partner) { p, ctx in
                try await ctx.json("select crm.answer_lead_offer(\(try p.requiredID("id")), 'declined', \(p.string("reason"))) as json")
            },
            RPCMethod("partner_leads.update", summary: "Works a lead you accepted: contacted, qualified, or closed as converted (won) or disqualified (lost); and its score.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               ParamSpec("status", .oneOf(["contacted", "qualified", "converted", "disqualified"])),
                               ParamSpec("score", .integer(min: 0, max: 100))], access: .partner) { p, ctx in
                try await ctx.json("""
                    select crm.work_partner_lead(\(try p.requiredID("id")), \(p.int("version"))::int, \(p.string("status")), \(p.int("score"))::int) as json
                    """)
            },
        ]
    }
}
