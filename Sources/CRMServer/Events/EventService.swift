import CRMProtocol
import Logging
public import ServiceLifecycle

/// Wakes the EventHub on a clock: every `poll` while the server has subscribers (each wake-up
/// numbers what has committed and reads the groups whose stream moved past a member's cursor),
/// every `idle` while it has none (the events are still numbered for `events.since`). Runs the
/// hub's reader until graceful shutdown.
///
/// The writers do not wake the servers: a NOTIFY in the writing transaction takes PostgreSQL's
/// one notification lock at commit and holds it through the WAL flush, so every transaction
/// that writes an event commits after the one before it, alone (no group commit). With fsync on,
/// orders.create fell from ~390 to ~150 req/s on two cores with the NOTIFY. Polling costs two
/// short statements per `poll` (a read-only commit when nothing is pending) and bounds the delay
/// an event waits before it is read.
public struct EventService: Service {
    let hub: EventHub
    let poll: Duration
    let idle: Duration

    public init(hub: EventHub, poll: Duration = .milliseconds(25), idle: Duration = .seconds(1)) {
        self.hub = hub
        self.poll = poll
        self.idle = idle
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await hub.run() }
            tasks.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: hub.subscriberCount > 0 ? poll : idle)
                    hub.wake(stream: nil)
                }
            }
            try? await gracefulShutdown()
            hub.finish()
            tasks.cancelAll()
        }
    }
}
