public import NIOCore
import Synchronization

/// A connection's queue of server-sent events: JSON-RPC notifications with method `event`, written
/// by the connection's one writer between its answers (RPCServer+Connection.swift). The
/// application offers events to it (`offer`); it never holds more than `capacity` of them.
///
/// Backpressure: a client that stops reading stops the writer, so events stay queued; once
/// `capacity` are queued, further events are dropped and the outlet remembers the cursor of the
/// last event it queued. When the writer has handed every queued event to the socket, it sends
/// one `gap` notification (`{"topic": "gap", "cursor": <that cursor>}`): the client calls
/// `events.since` with it for what it missed, then carries on with the live events (which may
/// repeat some it fetched: at least once, deduplicated by cursor). Memory stays at most
/// `capacity` events (and the gap) per connection.
public final class EventOutlet: Sendable {
    public let capacity: Int

    public enum Offer: Sendable, Equatable {
        /// Queued for the writer.
        case queued
        /// The queue was full: the client will get a gap notification.
        case dropped
        /// The connection is gone.
        case closed
    }

    private struct State {
        var queued = 0
        /// The cursor of the last event queued (or where the subscription started).
        var lastCursor = ""
        /// Events were dropped after this cursor: a gap is due once the queue has drained.
        var gapAfter: String?
        var closed = false
    }

    private let state = Mutex(State())
    private let deliver: @Sendable (ByteBuffer) -> Void
    private let allocator: ByteBufferAllocator

    /// `deliver` hands a line to the connection's writer (without blocking: it is called under
    /// the outlet's lock), which calls `written()` once it is on the socket's way.
    init(capacity: Int, allocator: ByteBufferAllocator, deliver: @escaping @Sendable (ByteBuffer) -> Void) {
        self.capacity = max(1, capacity)
        self.allocator = allocator
        self.deliver = deliver
    }

    /// A notification line for `params` (a JSON object's text): `{"jsonrpc":"2.0","method":"event","params":…}\n`.
    public func line(params: String) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: params.utf8.count + 48)
        buffer.writeString("{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":")
        buffer.writeString(params)
        buffer.writeString("}\n")
        return buffer
    }

    /// Where a (new) subscription starts: the cursor a gap names when nothing was queued since.
    public func start(at cursor: String) {
        state.withLock { $0.lastCursor = cursor; $0.gapAfter = nil }
    }

    /// Offers an event line (`line(params:)`) whose cursor is `cursor`. Events of one
    /// subscription are offered by one task at a time, in cursor order.
    @discardableResult
    public func offer(_ line: ByteBuffer, cursor: String) -> Offer {
        // Handed to the writer under the lock, so that a gap (written()) and the events after it
        // reach the writer in the order they were decided.
        state.withLock { s -> Offer in
            if s.closed { return .closed }
            if s.gapAfter != nil { return .dropped }
            if s.queued >= capacity {
                s.gapAfter = s.lastCursor
                return .dropped
            }
            s.queued += 1
            s.lastCursor = cursor
            deliver(line)
            return .queued
        }
    }

    /// Called by the writer after each event line: when the queue has drained after a drop, the gap goes out.
    func written() {
        state.withLock { s in
            s.queued -= 1
            guard s.queued == 0, let after = s.gapAfter, !s.closed else { return }
            s.gapAfter = nil
            s.queued = 1
            let params: JSON = ["topic": "gap", "cursor": .string(after)]
            deliver(line(params: params.serialized))
        }
    }

    /// The connection ended: nothing more is queued, and the application drops the subscription.
    func close() {
        state.withLock { $0.closed = true }
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Events queued and not yet written (for tests and metrics).
    public var queuedCount: Int { state.withLock { $0.queued } }
}
