import CRMProtocol
import CRMCore
import PQ

/// `campaigns.*`: a campaign from plan to close: products, goal, budget, team; designs and the
/// budget approved by the roles the unit names; costs; leads imported from lists; call lists.
/// Every rule lives in the SQL functions (50_campaigns_api.sql, 51_leads_api.sql); each method is
/// one function of SQL/api/campaigns.sql but import_leads, which streams its CSV through COPY.
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
                      params: [.string("name", required: true, max: 200)] + fields.filter { $0.name != "name" }, access: planners, function: "api.campaigns_create", binding: .object),
            RPCMethod("campaigns.get", summary: "One campaign with its products, team, assets, approvals and cost so far.",
                      params: [.id("id", required: true)], access: .unit, function: "api.campaigns_get", answer: .json(notFound: "campaign")),
            RPCMethod("campaigns.list", summary: "Campaigns, newest first, optionally by status; paged.",
                      params: [ParamSpec("status", .oneOf(statuses)), .limit(), .cursor()], access: .unit, function: "api.campaigns_list", answer: .page(.newest)),
            RPCMethod("campaigns.update", summary: "Changes a campaign's fields or status (draft → pending_approval; approved → active needs every approval; → closed). A budget change voids the budget's approvals.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               ParamSpec("status", .oneOf(statuses))] + fields, access: planners, function: "api.campaigns_update", binding: .object),
            RPCMethod("campaigns.upload_asset", summary: "Adds a design (a new version when the name exists) with a reference to its file; it waits for approval.",
                      params: [.id("campaign_id", required: true), .string("name", required: true, max: 200),
                               .string("file_ref", required: true, max: 1000, "where the file is: a URL or a document-store reference")],
                      access: .roles([.designer, .marketing, .manager, .director]), function: "api.campaigns_upload_asset"),
            RPCMethod("campaigns.approve", summary: "Approves a design (asset_id) or, without asset_id, the budget, as the caller's role; only the roles the unit names may (settings.campaign_approvals).",
                      params: [.id("campaign_id", required: true), .id("asset_id"), .string("comment", max: 2000)], access: .unitWrite, function: "api.campaigns_approve"),
            RPCMethod("campaigns.reject", summary: "Rejects a design (asset_id) or the budget, with a comment; a rejected design needs a new version.",
                      params: [.id("campaign_id", required: true), .id("asset_id"), .string("comment", required: true, max: 2000)], access: .unitWrite, function: "api.campaigns_reject"),
            RPCMethod("campaigns.record_cost", summary: "Adds a cost to the campaign's ledger (per channel and category); an idempotency_key makes retries safe.",
                      params: [.id("campaign_id", required: true),
                               ParamSpec("category", .oneOf(["list_purchase", "printing", "postage", "ads", "staff", "design", "other"]), required: true),
                               .amount("amount", required: true, min: 0), .string("channel", max: 50), ParamSpec("incurred_on", .date),
                               .string("note", max: 2000), .string("idempotency_key", max: 100)],
                      access: .roles([.marketing, .manager, .director]), function: "api.campaigns_record_cost"),
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
                      access: .unitWrite, function: "api.campaigns_call_list", answer: .page(.id)),
        ]
    }
}
