import CLibPQ
import Foundation
public import Logging

/// A notification delivered by `NOTIFY channel, 'payload'`.
public struct PQNotification: Sendable, Hashable {
    public let channel: String
    public let payload: String
    public let senderPID: Int32
}

extension PQConnection {
    /// Subscribes this connection to `channel`. The name is quoted by libpq, never spliced raw.
    public func listen(_ channel: String) throws(PQError) {
        guard let quoted = PQescapeIdentifier(raw, channel, channel.utf8.count) else {
            throw PQError.connection(raw, code: .unexpected)
        }
        defer { PQfreemem(quoted) }
        try execute(unsafeSQL: "LISTEN " + String(cString: quoted))
    }

    /// Waits up to `timeout` seconds for notifications and returns those that arrived (blocking).
    public func waitForNotifications(timeout: Double) throws(PQError) -> [PQNotification] {
        var found = drainNotifications()
        if !found.isEmpty { return found }
        var fds = pollfd(fd: PQsocket(raw), events: Int16(POLLIN), revents: 0)
        guard fds.fd >= 0 else { throw PQError.connection(raw, code: .connectionLost) }
        let ready = poll(&fds, 1, Int32(timeout * 1000))
        if ready > 0 {
            guard PQconsumeInput(raw) == 1 else { throw PQError.connection(raw, code: .connectionLost) }
            found = drainNotifications()
        }
        return found
    }

    private func drainNotifications() -> [PQNotification] {
        var out: [PQNotification] = []
        while let n = PQnotifies(raw) {
            out.append(PQNotification(
                channel: String(cString: n.pointee.relname),
                payload: String(cString: n.pointee.extra),
                senderPID: n.pointee.be_pid))
            PQfreemem(n)
        }
        return out
    }
}

/// Delivers LISTEN/NOTIFY messages as an `AsyncStream`, on a connection and thread of its own.
/// It reconnects after the database restarts, and re-subscribes.
public final class PQListener: Sendable {
    public let notifications: AsyncStream<PQNotification>
    private let continuation: AsyncStream<PQNotification>.Continuation
    private let stopped = ManagedFlag()

    public init(url: String, channels: [String], logger: Logger) {
        (notifications, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let continuation = self.continuation
        let stopped = self.stopped
        let thread = Thread {
            var connection: PQConnection?
            while !stopped.isSet {
                do {
                    if connection == nil || connection?.isHealthy == false {
                        let c = try PQConnection.connect(url: url, applicationName: "crm-listener")
                        for channel in channels { try c.listen(channel) }
                        connection = c
                    }
                    for n in try connection!.waitForNotifications(timeout: 0.5) { continuation.yield(n) }
                } catch {
                    logger.warning("listener connection failed; retrying", metadata: ["error": "\(error)"])
                    connection = nil
                    Thread.sleep(forTimeInterval: 1)
                }
            }
            continuation.finish()
        }
        thread.name = "crm-pq-listener"
        thread.start()
    }

    /// Stops the listener thread within about half a second.
    public func stop() { stopped.set() }
}

/// A flag set once, read from any thread.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
