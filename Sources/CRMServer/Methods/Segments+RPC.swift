import CRMProtocol

/// `segments.*`: a unit's saved, named segments of its customers, defined by rules that are data
/// (checked and compiled in SQL: SQL/repeatable/45_segments_rules.sql; a bad rule is -32602 naming
/// its path, e.g. `rules.all[1].op`); a campaign's audience drawn from one (`campaigns.set_audience`,
/// `campaigns.audience`: each channel's consent respected); sizes per day (`reports.segment_size`).
/// Each method is one function of SQL/api/segments.sql.
enum SegmentMethods {
    /// Who defines segments; every unit role reads and previews them.
    static let editors = Access.roles([.manager, .director])
    static let channels = ["phone", "sms", "email", "mail"]

    static let rules = ParamSpec("rules", .object(properties: nil),
                                 #"{"all"|"any": [rule, ...]}, {"not": rule} or {"field", "op", "value", ...}; fields and ops in the README ("Segments")"#)
    static let taskRule = ParamSpec("task_rule", .object(properties: nil),
                                    #"{"kind": call|visit|greeting|other, "channel": phone|sms|email|mail, "every_days": 1-365, "note"}: a task for each member who accepts the channel, every so many days"#)

    static func all() -> [RPCMethod] {
        [
            RPCMethod("segments.create", summary: "Saves a named segment of the unit's customers defined by rules (checked: a bad rule is -32602 naming its path); optionally a task rule for its members; audited.",
                      params: [.string("name", required: true, max: 200), .string("description", max: 2000),
                               ParamSpec(rules.name, rules.kind, required: true, rules.summary), taskRule],
                      access: editors, function: "api.segments_create"),
            RPCMethod("segments.update", summary: "Changes a segment's name, description, rules or task rule (null clears the description or the task rule); a stale version is -32009; audited.",
                      params: [.id("id", required: true), ParamSpec("version", .integer(min: 1, max: Int64(Int32.max))),
                               .string("name", max: 200), .string("description", max: 2000), rules, taskRule],
                      access: editors, function: "api.segments_update", binding: .object),
            RPCMethod("segments.get", summary: "One segment with its rules, task rule and last size taken.",
                      params: [.id("id", required: true)], access: .unit, function: "api.segments_get", answer: .json(notFound: "segment")),
            RPCMethod("segments.list", summary: "The unit's segments, by id; paged.",
                      params: [.limit(), .cursor()], access: .unit, function: "api.segments_list", answer: .page(.id)),
            RPCMethod("segments.delete", summary: "Deletes a segment and its sizes; campaigns that drew their audience from it have none; audited.",
                      params: [.id("id", required: true)], access: editors, function: "api.segments_delete"),
            RPCMethod("segments.preview", summary: "How many customers a saved segment (id) or unsaved rules select now, and the first of them (sample, default 20).",
                      params: [.id("id"), rules, ParamSpec("sample", .integer(min: 1, max: 100), "members to show (default 20)")],
                      access: .unit, function: "api.segments_preview"),
            RPCMethod("segments.members", summary: "A segment's members now, by customer id; with channel only those who accept it and can be reached on it; paged.",
                      params: [.id("id", required: true), ParamSpec("channel", .oneOf(channels)), .limit(), .cursor()],
                      access: .unit, function: "api.segments_members", answer: .page(.id)),
            RPCMethod("campaigns.set_audience", summary: "Draws a campaign's audience from a segment of the unit (segment_id; null: none); its call list then calls only members; audited.",
                      params: [.id("campaign_id", required: true), .id("segment_id")],
                      access: CampaignMethods.planners, function: "api.campaigns_set_audience"),
            RPCMethod("campaigns.audience", summary: "The campaign's list for one channel: members of its segment who accept the channel (consent true) and can be reached on it: a mailing list (email, mail), a call list (phone, with create_tasks a call task each, once); by customer id; paged.",
                      params: [.id("campaign_id", required: true), ParamSpec("channel", .oneOf(channels), required: true),
                               ParamSpec("create_tasks", .boolean), .limit(), .cursor()],
                      access: .unitWrite, function: "api.campaigns_audience", answer: .page(.id)),
            RPCMethod("reports.segment_size", summary: "Each segment's number of members per day (taken daily by the scheduled job), oldest first; one segment or all, since a day; paged.",
                      params: [.id("segment_id"), ParamSpec("since", .date), .limit(), .cursor()],
                      access: .unit, function: "api.reports_segment_size", answer: .page(.key)),
        ]
    }
}
