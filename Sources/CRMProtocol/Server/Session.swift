public import CRMModel
import Synchronization

/// One TCP connection's state: who logged in on it.
public final class Session: Sendable {
    public let connectionID: UInt64
    /// The peer's IP address (no port): methods open before login are limited per address.
    public let remoteAddress: String
    private let state = Mutex<Principal?>(nil)
    private let requests = Atomic<UInt64>(0)
    private let outlet = Mutex<EventOutlet?>(nil)

    init(connectionID: UInt64, remoteAddress: String = "") {
        self.connectionID = connectionID
        self.remoteAddress = remoteAddress
    }

    public var principal: Principal? { state.withLock { $0 } }

    public func login(_ principal: Principal) { state.withLock { $0 = principal } }

    public func logout() { state.withLock { $0 = nil } }

    /// The connection's queue of server-sent events (nil for a session without a connection).
    public var events: EventOutlet? { outlet.withLock { $0 } }

    func attach(_ events: EventOutlet) { outlet.withLock { $0 = events } }

    /// "c12-r7": connection 12, request 7; carried in every log line of the request.
    func nextRequestID() -> String {
        let n = requests.add(1, ordering: .relaxed).newValue
        return "c\(connectionID)-r\(n)"
    }
}
