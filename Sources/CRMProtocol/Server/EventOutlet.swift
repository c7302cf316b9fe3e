public import NIOCore
import Synchronization

/// A connection's queue of server-sent events: JSON-RPC notifications with method `event`, written
/// to the connection's socket on its event loop (`flush(to:)`), between its answers
/// (RPCServer+Connection.swift). The application offers events to it (`offer`); it never holds
/// more than `capacity` of them, counting those the socket has not taken yet.
///
/// Backpressure: a client that stops reading stops the writer, so events stay queued; once
/// `capacity` are queued, further events are dropped and the outlet remembers the cursor of the
/// last event it queued. When the socket has taken every queued event, the outlet sends
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
        /// Events (and a gap) handed to the outlet and not yet written: the bound applies to it.
        var queued = 0
        /// Lines the writer has not taken yet (at most `queued` of them).
        var lines: [ByteBuffer] = []
        /// The writer was told there are lines to take, and has not taken them yet.
        var signalled = false
        /// The cursor of the last event queued (or where the subscription started).
        var lastCursor = ""
        /// Events were dropped after this cursor: a gap is due once the queue has drained.
        var gapAfter: String?
        var closed = false
    }

    private let state = Mutex(State())
    private let signal: @Sendable (EventOutlet) -> Void
    private let allocator: ByteBufferAllocator

    /// `signal` tells the connection's writer there are lines to `take()` (it is called under the
    /// outlet's lock, so it must not block, and at most once until the writer takes them); the
    /// writer calls `written(_:)` once they are on the socket's way. The writer takes every line
    /// waiting at once and writes them with one flush (`flush(to:)`): a subscriber of a busy unit
    /// costs one write per batch, not per event.
    init(capacity: Int, allocator: ByteBufferAllocator, signal: @escaping @Sendable (EventOutlet) -> Void) {
        self.capacity = max(1, capacity)
        self.allocator = allocator
        self.signal = signal
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
        state.withLock { s -> Offer in
            if s.closed { return .closed }
            if s.gapAfter != nil { return .dropped }
            if s.queued >= capacity {
                s.gapAfter = s.lastCursor
                return .dropped
            }
            s.queued += 1
            s.lastCursor = cursor
            append(line, &s)
            return .queued
        }
    }

    private func append(_ line: ByteBuffer, _ s: inout State) {
        s.lines.append(line)
        if !s.signalled {
            s.signalled = true
            signal(self)
        }
    }

    /// The writer takes every line waiting, in order.
    func take() -> [ByteBuffer] {
        state.withLock { s in
            s.signalled = false
            defer { s.lines = [] }
            return s.lines
        }
    }

    /// Called by the writer after writing `count` lines it took: when the queue has drained after
    /// a drop, the gap goes out (under the lock, so no later event overtakes it).
    func written(_ count: Int) {
        state.withLock { s in
            s.queued -= count
            guard s.queued == 0, let after = s.gapAfter, !s.closed else { return }
            s.gapAfter = nil
            s.queued = 1
            let params: JSON = ["topic": "gap", "cursor": .string(after)]
            append(line(params: params.serialized), &s)
        }
    }

    /// Writes every line waiting to `channel` with one flush (on its event loop); once the socket
    /// has taken them, they leave the queue. A failed write (the peer is gone) closes the outlet.
    func flush(to channel: any Channel) {
        let lines = take()
        guard let last = lines.indices.last else { return }
        let done = channel.eventLoop.makePromise(of: Void.self)
        for (i, line) in lines.enumerated() {
            channel.write(line, promise: i == last ? done : nil)
        }
        channel.flush()
        done.futureResult.whenComplete { result in
            switch result {
            case .success: self.written(lines.count)
            case .failure: self.close()
            }
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
