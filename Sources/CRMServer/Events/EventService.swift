import CRMProtocol
import Foundation
public import Logging
import PQ
public import ServiceLifecycle

/// Wakes the EventHub: every `stamp` interval a round that numbers what has committed
/// (crm.stamp_events, which notifies every server of the streams it numbered: writers do not
/// notify, since a notifying transaction holds a database-wide lock through its commit's flush
/// and writers would commit one at a time); one LISTEN connection for the whole server
/// (PQListener, channel `crm_events`, the stream's id); and a periodic wake-up of every group,
/// which catches what a NOTIFY could not tell (the listener reconnecting after a database
/// restart, a notification lost with its connection). Runs the hub's reader until graceful
/// shutdown.
public struct EventService: Service {
    let hub: EventHub
    let url: String
    let stamp: Duration
    let sweep: Duration
    let logger: Logger

    /// `stamp`: how often the outbox is numbered (a wake-up that reads only the streams it
    /// numbered); `sweep`: how often every group is read whatever the notifications said.
    public init(hub: EventHub, url: String, stamp: Duration = .milliseconds(20), sweep: Duration = .seconds(2),
                logger: Logger) {
        self.hub = hub
        self.url = url
        self.stamp = stamp
        self.sweep = sweep
        self.logger = logger
    }

    public func run() async throws {
        let listener = PQListener(url: url, channels: ["crm_events"], logger: logger)
        defer { listener.stop() }
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await hub.run() }
            tasks.addTask {
                for await n in listener.notifications {
                    hub.wake(stream: UUID(uuidString: n.payload))
                }
            }
            tasks.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: stamp)
                    hub.wakeToStamp()
                }
            }
            tasks.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: sweep)
                    hub.wake(stream: nil)
                }
            }
            try? await gracefulShutdown()
            listener.stop()
            hub.finish()
            tasks.cancelAll()
        }
    }
}
