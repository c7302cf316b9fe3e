import CRMProtocol
import Foundation
public import Logging
import PQ
public import ServiceLifecycle

/// Wakes the EventHub: one LISTEN connection for the whole server (PQListener, channel
/// `crm_events`; crm.emit_events notifies it with the stream's id at commit), and a periodic
/// wake-up of every group, which catches what a NOTIFY could not tell (the listener reconnecting
/// after a database restart, a notification lost with its connection). Runs the hub's reader
/// until graceful shutdown.
public struct EventService: Service {
    let hub: EventHub
    let url: String
    let sweep: Duration
    let logger: Logger

    /// `sweep`: how often every group is read whatever the notifications said.
    public init(hub: EventHub, url: String, sweep: Duration = .seconds(2), logger: Logger) {
        self.hub = hub
        self.url = url
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
