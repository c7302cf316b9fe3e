import CRMProtocol
import CRMCore
import PQ

/// `events.subscribe`, `events.unsubscribe`, `events.since`: live events on the connection that
/// asks for them (issue "[7/7] Live events"). The outbox and its rules: 0046_events.sql and
/// SQL/repeatable/70_events.sql; the reader that feeds subscriptions: Events/EventHub.swift.
enum EventMethods {
    /// Unit users (viewers too: they read what the unit reads) and partners; operators have no stream.
    static let access = Access.roles(Role.unitRoles.union([.partner]))

    static let topics = [
        "call.incoming", "order.created", "order.status", "case.opened", "case.sla_due_soon", "case.sla_breached",
        "campaign.approval_requested", "campaign.approved", "lead.offered", "lead.offer_expiring", "task.due",
    ]

    static let topicsParam = ParamSpec("topics", .array(of: .oneOf(topics), maxItems: topics.count),
                                       "the topics wanted (default: every topic the caller may receive)")

    static func all() -> [RPCMethod] {
        [
            RPCMethod("events.subscribe", summary: "Sends the caller's events on this connection as `event` notifications, from now or after a cursor (one subscription per connection; a new one replaces it). A unit receives its own unit's events, a partner those addressed to it.",
                      params: [topicsParam, ParamSpec("cursor", .string(maxLength: 200), "resume after this event's cursor (default: only events from now on)")],
                      access: access) { p, ctx in
                guard let principal = ctx.principal else { throw CRMError(.unauthenticated, "log in first with auth.login") }
                let after: Int64
                if p.has("cursor") {
                    after = try IDCursor.after(p.string("cursor"))
                } else {
                    let rows = try await ctx.query("select api.events_head()->>'seq' as seq")
                    do { after = Int64(try rows[0].get("seq", as: String.self)) ?? 0 } catch { throw CRMError.from(error) }
                }
                let chosen = p.stringArray("topics").map(Set.init)
                try ctx.services.events.subscribe(ctx.session, principal: principal, topics: chosen, after: after)
                return ["subscribed": true, "cursor": .string(EventHub.cursor(after)),
                        "topics": .array((chosen.map { Array($0).sorted() } ?? topics).map { .string($0) })]
            },
            RPCMethod("events.unsubscribe", summary: "Stops this connection's events.", access: access) { _, ctx in
                ["unsubscribed": .bool(ctx.services.events.unsubscribe(ctx.session))]
            },
            RPCMethod("events.since", summary: "The caller's events after a cursor (an event's, or a gap notification's), oldest first; paged. Events older than the unit's event_retention_days are gone.",
                      params: [topicsParam, .cursor(), .limit()], access: access, function: "api.events_since", answer: .page(.id)),
        ]
    }

    /// The `event` notification, for rpc.discover.
    static let notification = RPCNotification(
        "event",
        summary: "A live event after events.subscribe: params.topic names it (or `gap`: events were dropped because the client did not read; call events.since with params.cursor), params.cursor resumes after it with events.since.",
        params: ["type": "object", "required": ["topic", "cursor"], "properties": [
            "topic": ["type": "string", "enum": .array((topics + ["gap"]).map { .string($0) })],
            "cursor": ["type": "string", "description": "opaque; events.since {cursor} answers what came after this event"],
            "at": ["type": "string", "format": "date-time"],
            "unit": ["type": "string", "description": "the slug of the unit the event comes from"],
            "data": ["type": "object", "description": "the topic's fields (ids as strings), see the README"],
        ]])
}
