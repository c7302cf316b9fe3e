import CRMProtocol
import CRMCore
import PQ

/// `campaigns.*`: a campaign from plan to close: products, goal, budget, team; designs and the
/// budget approved by the roles the unit names; costs; leads imported from lists; call lists.
/// Every rule lives in the SQL functions (50_campaigns_api.sql, 51_leads_api.sql).
enum CampaignMethods {
    static let statuses = ["draft", "pending_approval", "approved", "active", "closed"]
    static let planners = Access.roles([.marketing, .manager, .director])

    static let fields: [ParamSpec] = [
        .string("name", max: 200),
        .string("description", max: 4000),
        ParamSpec("goal", .object(properties: [
            ParamSpec("metric", .oneOf(["revenue", "gross_margin", "orders", "units", "leads", "conversions"]), required: true),
            ParamSpec("target", .decimal(maxScale: 2), required: true),
        ])),
        .amount("budget"),
        .id("owner_id", "the staff member who owns the campaign"),
        ParamSpec("channels", .array(of: .oneOf(["phone", "email", "web", "store", "call_centre", "mail", "partner", "visit", "ads", "print"]), maxItems: 10)),
        ParamSpec("starts_on", .date),
        ParamSpec("ends_on", .date),
        ParamSpec("product_ids", .array(of: .id, maxItems: 500), "replaces the campaign's products"),
        ParamSpec("team", .array(of: .object(properties: [.id("staff_id", required: true), .string("role", required: true, max: 60)]), maxItems: 200),
                  "replaces the team: staff members with their role in the campaign"),
    ]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("campaigns.create", summary: "Plans a campaign (status draft): products, goal, budget, owner, team, channels, dates.",
                      params: [.string("name", required: true, max: 200)] + fields.filter { $0.name != "name" }, access: planners) { p, ctx in
                try await ctx.json("select crm.create_campaign(\(PQJSON(JSON.object(p.object).serialized))::jsonb) as json")
            },
            RPCMethod("campaigns.get", summary: "One campaign with its products, team, assets, approvals and cost so far.",
                      params: [.id("id", required: true)], access: .unit) { p, ctx in
                let id = try p.requiredID("id")
                let found = try await ctx.json("select crm.campaign_json(\(id)) as json")
                guard found != .null else { throw CRMError.notFound("campaign \(id)") }
                return found
            },
            RPCMethod("campaigns.list", summary: "Campaigns, newest first, optionally by status; paged.",
                      params: [ParamSpec("status", .oneOf(statuses)), .limit(), .cursor()], access: .unit) { p, ctx in
                let (at, id) = try TimeCursor.decode(p.string("cursor"))
                return try await ctx.page("""
                    select c.created_at::text || '|' || c.id as key, crm.campaign_json(c.id)::text as json from crm.campaign c
                    where c.tenant_id = crm.current_tenant()
                      and (\(at)::timestamptz is null or (c.created_at, c.id) < (\(at)::timestamptz, \(id)::bigint))
                      and (\(p.string("status"))::text is null or c.status = \(p.string("status")))
                    order by c.created_at desc, c.id desc limit \(p.limit + 1)
                    """, limit: p.limit)
            },
            RPCMethod("campaigns.update", summary: "Changes a campaign's fields or status (draft → pending_approval; approved → active needs every approval; → closed). A budget change voids the budget's approvals.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               ParamSpec("status", .oneOf(statuses))] + fields, access: planners) { p, ctx in
                var changes = p.object
                changes["id"] = nil
                changes["version"] = nil
                return try await ctx.json("""
                    select crm.update_campaign(\(try p.requiredID("id")), \(p.int("version"))::int, \(PQJSON(JSON.object(changes).serialized))::jsonb) as json
                    """)
            },
            RPCMethod("campaigns.upload_asset", summary: "Adds a design (a new version when the name exists) with a reference to its file; it waits for approval.",
                      params: [.id("campaign_id", required: true), .string("name", required: true, max: 200),
                               .string("file_ref", required: true, max: 1000, "where the file is: a URL or a document-store reference")],
                      access: .roles([.designer, .marketing, .manager, .director])) { p, ctx in
                try await ctx.json("""
                    select crm.add_campaign_asset(\(try p.requiredID("campaign_id")), \(try p.requiredString("name")), \(try p.requiredString("file_ref"))) as json
                    """)
            },
            RPCMethod("campaigns.approve", summary: "Approves a design (asset_id) or, without asset_id, the budget, as the caller's role; only the roles the unit names may (settings.campaign_approvals).",
                      params: [.id("campaign_id", required: true), .id("asset_id"), .string("comment", max: 2000)], access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    select crm.decide_campaign(\(try p.requiredID("campaign_id")), \(p.id("asset_id")), 'approved', \(p.string("comment"))) as json
                    """)
            },
            RPCMethod("campaigns.reject", summary: "Rejects a design (asset_id) or the budget, with a comment; a rejected design needs a new version.",
                      params: [.id("campaign_id", required: true), .id("asset_id"), .string("comment", required: true, max: 2000)], access: .unitWrite) { p, ctx in
                try await ctx.json("""
                    select crm.decide_campaign(\(try p.requiredID("campaign_id")), \(p.id("asset_id")), 'rejected', \(p.string("comment"))) as json
                    """)
            },
            RPCMethod("campaigns.record_cost", summary: "Adds a cost to the campaign's ledger (per channel and category); an idempotency_key makes retries safe.",
                      params: [.id("campaign_id", required: true),
                               ParamSpec("category", .oneOf(["list_purchase", "printing", "postage", "ads", "staff", "design", "other"]), required: true),
                               .amount("amount", required: true, min: 0), .string("channel", max: 50), ParamSpec("incurred_on", .date),
                               .string("note", max: 2000), .string("idempotency_key", max: 100)],
                      access: .roles([.marketing, .manager, .director])) { p, ctx in
                try await ctx.json("""
                    select crm.record_campaign_cost(\(try p.requiredID("campaign_id")), \(p.string("channel")), \(p.string("category")),
                        \(p.decimal("amount"))::numeric, \(p.string("incurred_on"))::date, \(p.string("note")), \(p.string("idempotency_key"))) as json
                    """)
            },
            RPCMethod("campaigns.import_leads", summary: "Imports a list of leads (CSV text with a header: name, email, phone, company, region, score, source) into a campaign; bad rows come back with line and reason, rows matching a customer or lead are linked.",
                      params: [.id("campaign_id", required: true), .string("csv", required: true, max: 16 << 20)],
                      access: .roles([.marketing, .manager, .director])) { p, ctx in
                let campaign = try p.requiredID("campaign_id")
                let csv = Array(try p.requiredString("csv").utf8)
                let report = try await ctx.db { conn in
                    do {
                        return try Importer(kind: Importer.kinds["leads"]!).load(conn, csv: csv, campaign: campaign)
                    } catch let error as ImportError {
                        throw CRMError.invalidParams("csv", error.description)
                    }
                }
                return ["rows": .number(report.rows), "imported": .number(report.imported), "linked": .number(report.linked),
                        "rejected": .array(report.rejects.map { ["line": .number($0.line), "reason": .string($0.reason)] })]
            },
            RPCMethod("campaigns.call_list", summary: "Customers to call after buying a product: bought days_after days ago or earlier (within window_days), accept phone contact, not called yet; creates a care-call task for each (once) and suggests surplus products they never bought. Paged by customer.",
                      params: [.id("campaign_id", required: true), .id("product_id", required: true),
                               ParamSpec("days_after", .integer(min: 0, max: 3650), required: true),
                               ParamSpec("window_days", .integer(min: 1, max: 3650), "default 30"),
                               ParamSpec("campaign_orders_only", .boolean, "only orders attributed to the campaign (default false)"),
                               ParamSpec("create_tasks", .boolean, "default true"), .limit(), .cursor()],
                      access: .unitWrite) { p, ctx in
                let after = try IDCursor.after(p.string("cursor"))
                return try await ctx.page("""
                    select r.customer_id::text as key,
                           json_build_object('customer_id', r.customer_id::text, 'name', r.name, 'phone', r.phone, 'bought_at', r.bought_at,
                                             'task_id', r.task_id::text, 'suggestions', r.suggestions)::text as json
                    from crm.campaign_call_list(\(try p.requiredID("campaign_id")), \(try p.requiredID("product_id")), \(p.int("days_after")!),
                                                \(p.int("window_days") ?? 30), \(p.bool("campaign_orders_only") ?? false), \(p.bool("create_tasks") ?? true)) r
                    where r.customer_id > \(after)
                    order by r.customer_id limit \(p.limit + 1)
                    """, limit: p.limit)
            },
        ]
    }
}
