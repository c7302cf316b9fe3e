import CRMProtocol
import CRMCore
import PQ

/// `leads.*` and `quotes.*`: prospects from campaign lists, assigned by rule, qualified and
/// converted; quotes that become orders attributed to their campaign.
enum LeadMethods {
    static let statuses = ["new", "assigned", "contacted", "qualified", "disqualified", "converted"]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("leads.create", summary: "Adds one lead (a prospect), optionally to a campaign; an email or phone another lead has is a conflict.",
                      params: [.string("name", required: true, max: 200), .string("email", max: 320), .string("phone", max: 40),
                               .string("company", max: 200), .string("region", max: 100), ParamSpec("score", .integer(min: 0, max: 100)),
                               .id("campaign_id"), .string("source", max: 100)],
                      access: .unitWrite) { p, ctx in
                guard p.has("email") || p.has("phone") else { throw CRMError.invalidParams("email", "a lead needs an email or a phone") }
                return try await ctx.json("select crm.create_lead(\(PQJSON(JSON.object(p.object).serialized))::jsonb) as json")
            },
            RPCMethod("leads.get", summary: "One lead.", params: [.id("id", required: true)], access: .unit) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("select crm.lead_json(\(id)) as json")
                guard found != .null else { throw CRMError.notFound("lead \(id)") }
                return found
            },
            RPCMethod("leads.list", summary: "Leads by id, optionally of a campaign, status or staff member; paged.",
                      params: [.id("campaign_id"), ParamSpec("status", .oneOf(statuses)), .id("assigned_staff_id"), .limit(), .cursor()],
                      access: .unit) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select l.id::text as key, crm.lead_json(l.id)::text as json from crm.lead l
                    where l.tenant_id = crm.current_tenant() and l.id > \(after)
                      and (\(p.id("campaign_id"))::bigint is null or l.campaign_id = \(p.id("campaign_id")))
                      and (\(p.string("status"))::text is null or l.status = \(p.string("status")))
                      and (\(p.id("assigned_staff_id"))::bigint is null or l.assigned_staff_id = \(p.id("assigned_staff_id")))
                    order by l.id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("leads.assign", summary: "Assigns a campaign's new leads (all open ones with reassign) by rule: round_robin among staff_ids or the team, region (staff of the lead's region), or partner (partners the unit lets receive leads, by region and weight). Answers how many.",
                      params: [.id("campaign_id", required: true), ParamSpec("rule", .oneOf(["round_robin", "region", "partner"]), required: true),
                               ParamSpec("staff_ids", .array(of: .id, maxItems: 1000)), ParamSpec("reassign", .boolean)],
                      access: .roles([.marketing, .manager, .director])) { p, ctx in
                let staff = p.idArray("staff_ids")
                return try await ctx.json("""
                    select json_build_object('assigned', crm.assign_leads(\(try p.requiredID("campaign_id")), \(try p.requiredString("rule")),
                                             \(staff)::bigint[], \(p.bool("reassign") ?? false))) as json
                    """)
            },
            RPCMethod("leads.qualify", summary: "Sets a lead's status (contacted, qualified, disqualified, ...) and score.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               ParamSpec("status", .oneOf(statuses.filter { $0 != "converted" })), ParamSpec("score", .integer(min: 0, max: 100))],
                      access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    select crm.qualify_lead(\(try p.requiredID("id")), \(p.int("version"))::int, \(p.string("status")), \(p.int("score"))::int) as json
                    """)
            },
            RPCMethod("leads.convert", summary: "Converts a lead into a customer (the one it is linked to, or a new one); answers the lead.",
                      params: [.id("id", required: true)], access: .unitWrite) { p, ctx in
                let id = try p.requiredID("id")
                return try await ctx.json("select case when crm.convert_lead(\(id)) is not null then crm.lead_json(\(id)) end as json")
            },
            RPCMethod("quotes.create", summary: "A quote for a customer or a lead (converted on the way), attributed to its campaign: an order in status quoted.",
                      params: [.id("customer_id"), .id("lead_id"), .id("campaign_id"), .id("staff_id"),
                               ParamSpec("lines", .array(of: OrderMethods.line.kind, maxItems: 500), required: true),
                               .string("idempotency_key", max: 100)],
                      access: .unitWrite) { p, ctx in
                guard let lines = p.object["lines"]?.arrayValue, !lines.isEmpty else { throw CRMError.invalidParams("lines", "needs at least one line") }
                guard p.has("customer_id") || p.has("lead_id") else { throw CRMError.invalidParams("customer_id", "give customer_id or lead_id") }
                return try await ctx.json("""
                    select crm.order_json(crm.create_quote(\(p.id("customer_id")), \(p.id("lead_id")), \(p.id("campaign_id")), \(p.id("staff_id")),
                                                          \(PQJSON(JSON.array(lines).serialized))::jsonb, \(p.string("idempotency_key")))) as json
                    """)
            },
            RPCMethod("quotes.accept", summary: "The customer accepts a quote: the order is confirmed and counts as a sale of its campaign.",
                      params: [.id("id", required: true)], access: .unitWrite) { p, ctx in
                let id = try p.requiredID("id")
                return try await ctx.json("select crm.order_json(crm.accept_quote(\(id))) as json")
            },
        ]
    }
}
