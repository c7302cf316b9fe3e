public import CRMCore
public import CRMModel
public import CRMProtocol
public import Foundation
import NIOCore
public import Logging
import PQ
import Synchronization

/// The server's subscriptions to live events (`events.subscribe`) and the reader that feeds them.
/// Each wake-up first numbers the events that committed since the last (crm.stamp_events, see
/// 0046_events.sql), then reads.
///
/// Each subscription belongs to one connection (its EventOutlet) and reads as the principal that
/// subscribed: the outbox is read through `api.events_since`, under that principal's role and
/// unit, in a request transaction like any method's (CRMDatabase.query), so row-level security
/// decides what each subscriber receives. Subscribers that read the same thing (same role, unit
/// or partner, app role) form a group, read with one query per wake-up from the lowest cursor
/// among them; each member is offered the events after its own cursor. A subscription wakes the
/// reader for its stream at once; EventService's poll wakes it for every stream, and it reads the
/// groups whose stream has moved past a member's cursor (one query for the heads of every stream).
public final class EventHub: Sendable {
    let database: CRMDatabase
    let logger: Logger
    /// Events read per query, and queries per group per wake-up (then the group waits its turn).
    let pageSize: Int
    let pagesPerWake: Int

    struct Subscriber: Sendable {
        let token: UInt64
        let session: Session
        let principal: Principal
        let outlet: EventOutlet
        let topics: Set<String>?
        var after: Int64
    }

    /// What decides what a subscriber may read: its database role, unit or partner, and app role.
    struct ReadContext: Hashable {
        let role: String
        let tenant: UUID?
        let partner: UUID?
        let appRole: String
        init(_ p: Principal) { role = p.databaseRole; tenant = p.tenantID; partner = p.partnerID; appRole = p.appRole }
    }

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let keysCheckedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let nextToken = Atomic<UInt64>(0)
    private struct Pending { var all = false; var streams: Set<UUID> = [] }
    private let pending = Mutex(Pending())
    private let wakes: AsyncStream<Void>
    private let wakeSink: AsyncStream<Void>.Continuation

    public init(database: CRMDatabase, logger: Logger, pageSize: Int = 500, pagesPerWake: Int = 20) {
        self.database = database
        self.logger = logger
        self.pageSize = pageSize
        self.pagesPerWake = pagesPerWake
        (wakes, wakeSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The stream a principal reads: its partner's, else its unit's.
    static func stream(of p: Principal) -> UUID? { p.partnerID ?? p.tenantID }

    /// The event's cursor as clients see it (SQL crm.event_cursor: the paging cursor of its number).
    static func cursor(_ seq: Int64) -> String { Paging.encode(String(seq)) }

    /// Subscribes the session's connection (one subscription per connection: a new one replaces
    /// the old) to the events after `after`, of `topics` (nil: all).
    public func subscribe(_ session: Session, principal: Principal, topics: Set<String>?, after: Int64) throws(CRMError) {
        guard let outlet = session.events else { throw CRMError(.invalidRequest, "events need a connection") }
        let token = nextToken.add(1, ordering: .relaxed).newValue
        outlet.start(at: Self.cursor(after))
        subscribers.withLock {
            $0[session.connectionID] = Subscriber(token: token, session: session, principal: principal, outlet: outlet,
                                                   topics: topics, after: after)
        }
        wake(stream: Self.stream(of: principal))
    }

    /// Ends the session's subscription; false when it had none.
    @discardableResult
    public func unsubscribe(_ session: Session) -> Bool {
        subscribers.withLock { $0.removeValue(forKey: session.connectionID) } != nil
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// Asks for a read of `stream`'s groups (nil: of every group).
    public func wake(stream: UUID?) {
        pending.withLock { p in
            if let stream { p.streams.insert(stream) } else { p.all = true }
        }
        wakeSink.yield()
    }

    /// Reads and delivers on every wake-up until cancelled (EventService runs it).
    func run() async {
        for await _ in wakes {
            if Task.isCancelled { break }
            await pump()
        }
    }

    func finish() { wakeSink.finish() }

    /// One round: drops subscriptions whose connection closed or whose session logged out or in
    /// as someone else, then reads each group with news.
    func pump() async {
        var wanted = pending.withLock { p -> Pending in
            defer { p = Pending() }
            return p
        }
        // Number what has committed (SQL crm.stamp_events; every wake-up, with or without
        // subscribers, so that events.since finds them), and read the streams that got news.
        wanted.streams.formUnion(await stamp())
        await dropRevokedKeys()
        let live = subscribers.withLock { subs -> [Subscriber] in
            subs = subs.filter { _, s in !s.outlet.isClosed && s.session.principal?.keyID == s.principal.keyID }
            return Array(subs.values)
        }
        // A sweep reads only the groups whose stream has moved past some member's cursor.
        let heads = wanted.all ? await streamHeads(Set(live.compactMap { Self.stream(of: $0.principal) })) : nil
        var groups: [ReadContext: [UInt64]] = [:]
        for s in live {
            guard let stream = Self.stream(of: s.principal) else { continue }
            if let heads {
                guard wanted.streams.contains(stream) || (heads[stream] ?? 0) > s.after else { continue }
            } else {
                guard wanted.streams.contains(stream) else { continue }
            }
            groups[ReadContext(s.principal), default: []].append(s.session.connectionID)
        }
        // A few groups at a time: each read holds a pool connection while it runs.
        await withTaskGroup(of: Void.self) { tasks in
            var running = 0
            for members in groups.values {
                if running >= 4 { await tasks.next(); running -= 1 }
                tasks.addTask { await self.read(members) }
                running += 1
            }
        }
    }

    /// Numbers the committed events (one statement as the server's login role); the streams
    /// that got new events.
    func stamp() async -> Set<UUID> {
        do {
            return try await database.runUnscoped { conn in
                Set(try conn.query("select s::text as s from crm.stamp_events() s").compactMap { UUID(uuidString: try $0.get("s", as: String.self)) })
            }
        } catch {
            logger.warning("numbering events failed; the next wake-up retries", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// The last number of each stream, in one query as the server's login role (nil on failure:
    /// then every group is read).
    func streamHeads(_ streams: Set<UUID>) async -> [UUID: Int64]? {
        guard !streams.isEmpty else { return [:] }
        let text = "{" + streams.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        do {
            return try await database.runUnscoped { conn in
                var heads: [UUID: Int64] = [:]
                for row in try conn.query("select stream_id::text as s, last_seq from crm.event_stream_heads(\(text)::uuid[])") {
                    if let id = UUID(uuidString: try row.get("s", as: String.self)) { heads[id] = try row.get("last_seq", as: Int64.self) }
                }
                return heads
            }
        } catch {
            logger.debug("reading the streams' heads failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// At most once a second, one query for every subscriber's key: a subscription whose key or
    /// principal was revoked ends (as the next request with that key would fail).
    func dropRevokedKeys() async {
        let now = ContinuousClock.now
        guard keysCheckedAt.withLock({ last in
            if let l = last, now - l < .seconds(1) { return false }
            last = now
            return true
        }) else { return }
        let keys = Array(Set(subscribers.withLock { $0.values.map(\.principal.keyID) }))
        guard !keys.isEmpty else { return }
        let text = "{" + keys.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        do {
            let live = try await database.runUnscoped { conn in
                Set(try conn.query("select crm.live_keys(\(text)::uuid[])::text as id").map { UUID(uuidString: try $0.get("id", as: String.self)) })
            }
            subscribers.withLock { subs in subs = subs.filter { _, s in live.contains(s.principal.keyID) } }
        } catch {
            logger.debug("checking the subscribers' keys failed; the next wake-up retries", metadata: ["error": "\(error)"])
        }
    }

    /// Reads one group's new events, page by page, and offers each to the members that have not
    /// had it. A group still behind after `pagesPerWake` pages asks for another round.
    func read(_ members: [UInt64]) async {
        for _ in 0..<pagesPerWake {
            let group = subscribers.withLock { subs in members.compactMap { subs[$0] } }
            guard let reader = group.randomElement(), let from = group.map(\.after).min() else { return }
            let rows: [(Int64, String)]
            do {
                let result = try await database.query(as: reader.principal, PQQuery(
                    unsafeSQL: "select key, json from api.events_since(\"topics\" => null, \"after\" => $1, \"lim\" => $2)",
                    parameters: [String(from), String(pageSize)]))
                rows = try result.map { row in (Int64(try row.get("key", as: String.self)) ?? 0, try row.get("json", as: String.self)) }
            } catch {
                let failure = CRMError.from(error)
                if failure.code == .unauthenticated || failure.code == .forbidden {
                    // The reader's key or principal was revoked: it reads no more (dropRevokedKeys
                    // catches the group's other members).
                    subscribers.withLock { subs in
                        if subs[reader.session.connectionID]?.token == reader.token { subs[reader.session.connectionID] = nil }
                    }
                    continue
                }
                logger.warning("reading events failed; the next wake-up retries", metadata: ["error": "\(failure.message)"])
                return
            }
            var reached: [UInt64: Int64] = [:]
            for (seq, json) in rows {
                let cursor = Self.cursor(seq)
                var line: ByteBuffer?
                var topic: String?
                for s in group where (reached[s.token] ?? s.after) < seq {
                    reached[s.token] = seq
                    if let topics = s.topics {
                        let t = topic ?? Self.topic(of: json)
                        topic = t
                        if !topics.contains(t) { continue }
                    }
                    let l = line ?? s.outlet.line(params: json)
                    line = l
                    s.outlet.offer(l, cursor: cursor)
                }
            }
            subscribers.withLock { subs in
                for s in group {
                    guard let seq = reached[s.token], var current = subs[s.session.connectionID], current.token == s.token else { continue }
                    current.after = max(current.after, seq)
                    subs[s.session.connectionID] = current
                }
            }
            if rows.count < pageSize { return }
        }
        if let first = subscribers.withLock({ subs in members.first(where: { subs[$0] != nil }).flatMap { subs[$0] } }) {
            wake(stream: Self.stream(of: first.principal))
        }
    }

    /// The topic of an event's JSON (read only for subscribers that chose topics).
    static func topic(of json: String) -> String {
        (try? JSONParser.parse(json))?["topic"]?.stringValue ?? ""
    }
}
