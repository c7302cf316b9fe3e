import CRMProtocol

/// `settings.get`, `settings.update`: a unit's settings, for its managers and directors (issue 18).
/// Each is one SQL function (SQL/api/settings.sql, over SQL/repeatable/12_unit_settings.sql), which checks every
/// value (-32602 naming the setting, e.g. `sla_hours.urgent`, and the reason), writes each setting
/// where its reader reads it, audits the change and answers the settings in force. The params
/// below declare the shapes for validation and `rpc.discover`; ranges and cross-checks (a country
/// code with numbering rules, tier A below tier B, roles that may approve) are the function's.
enum SettingsMethods {
    static let access = Access.roles([.manager, .director])
    static let approvers = ["manager", "director", "agent", "marketing", "designer"]

    static func numbers(_ names: [String]) -> ParamSpec.Kind { .object(properties: names.map { ParamSpec($0, .number) }) }

    /// Every setting; an omitted one stays as it is, `null` resets it (or one member of it) to its default.
    static let settings: [ParamSpec] = [
        .string("default_country_code", max: 4, "country calling code with numbering rules (1, 44, 49, ...): how the unit writes phone numbers"),
        ParamSpec("sla_hours", numbers(["urgent", "high", "normal", "low"]), "hours from opening to the SLA due time, by case priority"),
        ParamSpec("customer_tiers", numbers(["A", "B"]), "cumulative shares of the unit's margin that make tiers A and B (A below B)"),
        ParamSpec("product_tiers", numbers(["A", "B"]), "lowest margin rates of product tiers A and B (A above B)"),
        ParamSpec("commission_rates", numbers(["A", "B", "C"]), "commission rate (0-1, 4 decimals) by product tier"),
        ParamSpec("holidays", .array(of: .object(properties: [ParamSpec("date", .date, required: true), .string("name", max: 100)]), maxItems: 366),
                  "the unit's holidays (greetings are scheduled before them); replaces the list"),
        ParamSpec("care_call_days", .integer(min: 0, max: Int64(Int32.max)), "days after a sale for the care call"),
        ParamSpec("greeting_days_before", .integer(min: 0, max: Int64(Int32.max)), "days before a holiday for the greeting"),
        ParamSpec("visit_weeks_top_tier", .integer(min: 0, max: Int64(Int32.max)), "weeks between visits to tier-A customers"),
        ParamSpec("campaign_approvals", .object(properties: ["design", "budget"].map { ParamSpec($0, .array(of: .oneOf(approvers), maxItems: 5)) }),
                  "the roles whose approval a campaign's designs and budget need"),
        ParamSpec("crm_roi", numbers(["implementation_per_customer", "upkeep_per_customer", "staff_per_customer", "hardware_per_customer",
                                      "training_per_customer", "upgrades_per_customer", "success_rate"]),
                  "inputs of reports.crm_roi: costs per customer and the success rate (0-1)"),
        ParamSpec("deal_conflict_days", .integer(min: 0, max: Int64(Int32.max)), "window in which a second partner's deal for the same prospect is a conflict"),
        ParamSpec("lead_offer_hours", .integer(min: 0, max: Int64(Int32.max)), "hours a partner has to answer a lead offer"),
        ParamSpec("tier_service", .object(properties: ["A", "B", "C", "D"].map {
                      ParamSpec($0, .object(properties: [ParamSpec("discount_percent", .number, "0-100, two decimals: off the list price"),
                                                         ParamSpec("delivery_days", .integer(min: 0, max: 365), "delivery promised within so many days")]))
                  }), "per customer tier: a discount off list prices and a delivery promise that orders.create and quotes.create apply (null removes a tier's rule)"),
        ParamSpec("event_retention_days", .integer(min: 0, max: Int64(Int32.max)), "days the unit's live events are kept for events.since (1-365)"),
    ]

    static func all() -> [RPCMethod] {
        [
            RPCMethod("settings.get", summary: "The unit's settings in force (defaults where none was set), commission rates by product tier included.",
                      access: access, function: "api.settings_get"),
            RPCMethod("settings.update", summary: "Changes the given settings of the unit (members of object settings one by one; null resets to the default); every value checked, the change audited; answers the settings in force.",
                      params: settings, access: access, function: "api.settings_update", binding: .object),
        ]
    }
}
