import CLibPQ
public import Logging
import NIOPosix
import Synchronization

/// A bounded pool of libpq connections.
///
/// Checkout waits at most `checkoutTimeout` and then fails (never hangs). Broken connections are
/// detected when they come back or before reuse and replaced, so the pool recovers by itself after
/// the database restarts. Every blocking libpq call runs on the pool's own threads, one per
/// connection, never on a NIO event loop; non-blocking ones (`withNonBlockingConnection`) run on
/// the caller's thread.
public final class PQPool: Sendable {
    public struct Configuration: Sendable {
        public var url: String
        public var maxConnections: Int
        public var checkoutTimeout: Duration
        public var connectTimeoutSeconds: Int

        public init(url: String, maxConnections: Int = 16, checkoutTimeout: Duration = .seconds(5), connectTimeoutSeconds: Int = 5) {
            self.url = url
            self.maxConnections = max(1, maxConnections)
            self.checkoutTimeout = checkoutTimeout
            self.connectTimeoutSeconds = connectTimeoutSeconds
        }
    }

    /// A point-in-time view for health checks and logs.
    public struct Stats: Sendable {
        public let open: Int
        public let idle: Int
        public let waiting: Int
        public let max: Int
    }

    public let configuration: Configuration
    let threads: NIOThreadPool
    private let state: Mutex<State>
    private let logger: Logger
    /// Statements running against a deadline, and the task that cancels the late ones.
    private let watch = DeadlineWatch()
    private let sweeper = Mutex<Task<Void, Never>?>(nil)

    private enum Lease: Sendable {
        case connection(PQConnection)
        /// A slot was freed: the waiter opens a new connection itself.
        case create
    }

    private struct State: ~Copyable {
        var idle: [PQConnection] = []
        var open = 0
        /// Checkouts waiting for a connection, first come first served; `due`: when the sweep
        /// refuses them (`checkoutTimeout`).
        var waiters: [(id: UInt64, due: ContinuousClock.Instant, continuation: CheckedContinuation<Lease, any Error>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State())
        self.threads = NIOThreadPool(numberOfThreads: configuration.maxConnections + 1)
        threads.start()
        let sweep = Task.detached { [weak self, watch] in
            while !Task.isCancelled {
                try? await Task.sleep(for: watch.interval)
                guard let self else { return }
                self.cancelOverdue()
                self.expireOverdueWaiters()
            }
        }
        sweeper.withLock { $0 = sweep }
    }

    deinit {
        sweeper.withLock { $0?.cancel() }
    }

    /// Cancels the statements past their deadline (the body then sees SQLSTATE 57014).
    /// `PQcancel` opens a connection to the server: it runs on a pool thread.
    private func cancelOverdue() {
        for (connection, token) in watch.overdue() {
            threads.submit { _ in connection.cancel(token: token) }
        }
    }

    public var stats: Stats {
        state.withLock { Stats(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count, max: configuration.maxConnections) }
    }

    /// Runs `body` with a connection on one of the pool's threads and returns the connection.
    /// With a `deadline`, a statement still running when it passes is cancelled with `PQcancel`
    /// (the body then sees SQLSTATE 57014).
    public func withConnection<T: Sendable>(
        deadline: Duration? = nil,
        _ body: @escaping @Sendable (PQConnection) throws -> T
    ) async throws -> T {
        let connection = try await checkout()
        defer { release(connection) }
        return try await watched(connection, deadline: deadline) {
            try await threads.runIfActive { try body(connection) }
        }
    }

    /// Runs `body` with a connection on the caller's own thread and returns the connection.
    /// `body` must not block: it uses the connection's non-blocking calls (`pipeline`), which wait
    /// for the database in `PQPoller` without holding a thread. `deadline` as in `withConnection`.
    public func withNonBlockingConnection<T: Sendable>(
        deadline: Duration? = nil,
        _ body: (PQConnection) async throws -> T
    ) async throws -> T {
        let connection = try await checkout()
        defer { release(connection) }
        return try await watched(connection, deadline: deadline) { try await body(connection) }
    }

    /// Runs `use` of `connection` with its statements cancelled once `deadline` passes (the
    /// watch's sweep), and disarmed after, so a late sweep cannot cancel a later statement.
    private func watched<T>(_ connection: PQConnection, deadline: Duration?, _ use: () async throws -> T) async throws -> T {
        guard let deadline else { return try await use() }
        let token = connection.armCancel()
        let entry = watch.arm(connection, token: token, after: deadline)
        defer {
            watch.disarm(entry)
            connection.disarmCancel()
        }
        return try await use()
    }

    /// Closes idle connections and refuses new checkouts; connections in use close on return.
    public func shutdown() async {
        let (idle, waiters) = state.withLock { s -> ([PQConnection], [CheckedContinuation<Lease, any Error>]) in
            s.closed = true
            let idle = s.idle
            s.open -= idle.count
            s.idle = []
            let waiters = s.waiters.map(\.continuation)
            s.waiters = []
            return (idle, waiters)
        }
        sweeper.withLock { $0?.cancel() }
        for w in waiters { w.resume(throwing: PQError(.poolClosed, "pool closed")) }
        _ = try? await threads.runIfActive { _ = idle }  // PQfinish runs off the caller's thread
        try? await threads.shutdownGracefully()
    }

    // MARK: - checkout and release

    private enum Step {
        case use(PQConnection)
        case create
        case wait
        case closed
    }

    func checkout() async throws -> PQConnection {
        while true {
            let step = state.withLock { s -> Step in
                if s.closed { return .closed }
                if let c = s.idle.popLast() { return .use(c) }
                if s.open < configuration.maxConnections {
                    s.open += 1
                    return .create
                }
                return .wait
            }
            switch step {
            case .closed:
                throw PQError(.poolClosed, "pool closed")
            case .use(let connection):
                if connection.isReusable { return connection }
                logger.debug("discarding a broken idle connection")
                discard(connection)
                continue
            case .create:
                return try await open()
            case .wait:
                switch try await waitForLease() {
                case .connection(let c):
                    if c.isReusable { return c }
                    discard(c)
                    continue
                case .create:
                    return try await open()
                }
            }
        }
    }

    /// Opens a connection for a slot already counted in `open`; gives the slot back on failure.
    private func open() async throws -> PQConnection {
        let url = configuration.url
        let timeout = configuration.connectTimeoutSeconds
        do {
            return try await threads.runIfActive { try PQConnection.connect(url: url, connectTimeout: timeout) }
        } catch {
            freeSlot()
            throw error
        }
    }

    private func release(_ connection: PQConnection) {
        let healthy = connection.isHealthy && !connection.inTransaction
        let drop = state.withLock { s -> Bool in
            if !healthy || s.closed {
                s.open -= 1
                if !s.closed, !s.waiters.isEmpty {
                    s.open += 1
                    s.waiters.removeFirst().continuation.resume(returning: .create)
                }
                return true
            }
            if !s.waiters.isEmpty {
                s.waiters.removeFirst().continuation.resume(returning: .connection(connection))
            } else {
                s.idle.append(connection)
            }
            return false
        }
        if drop { finish(connection) }
    }

    /// Drops a connection found broken at checkout, freeing its slot.
    private func discard(_ connection: PQConnection) {
        freeSlot()
        finish(connection)
    }

    private func freeSlot() {
        state.withLock { s in
            s.open -= 1
            if !s.closed, !s.waiters.isEmpty {
                s.open += 1
                s.waiters.removeFirst().continuation.resume(returning: .create)
            }
        }
    }

    /// `PQfinish` may block briefly (it says goodbye to the server): run it on a pool thread.
    private func finish(_ connection: PQConnection) {
        threads.submit { _ in _ = connection }
    }

    /// Waits for a connection (or a free slot) until `checkoutTimeout` passes: the pool's sweep
    /// refuses the waiters past their time, with no timer task per waiter.
    private func waitForLease() async throws -> Lease {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let due = ContinuousClock.now + configuration.checkoutTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let closed = state.withLock { s -> Bool in
                    if s.closed { return true }
                    s.waiters.append((id, due, continuation))
                    return false
                }
                if closed { continuation.resume(throwing: PQError(.poolClosed, "pool closed")) }
            }
        } onCancel: {
            expire(id, CancellationError())
        }
    }

    private func expireOverdueWaiters(at now: ContinuousClock.Instant = .now) {
        let late = state.withLock { s -> [CheckedContinuation<Lease, any Error>] in
            guard s.waiters.contains(where: { $0.due <= now }) else { return [] }
            let late = s.waiters.filter { $0.due <= now }.map(\.continuation)
            s.waiters.removeAll { $0.due <= now }
            return late
        }
        let timeout = configuration.checkoutTimeout
        for c in late { c.resume(throwing: PQError(.poolTimeout, "no connection became free within \(timeout)")) }
    }

    private func expire(_ id: UInt64, _ error: any Error) {
        let continuation = state.withLock { s -> CheckedContinuation<Lease, any Error>? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i).continuation
        }
        continuation?.resume(throwing: error)
    }
}

extension PQConnection {
    /// An idle connection is reusable when libpq thinks it is fine and the server has sent nothing
    /// since (a server that shuts down sends an error and closes the socket, which makes it
    /// readable). One non-blocking `poll`, no round trip.
    var isReusable: Bool {
        guard isHealthy else { return false }
        var fds = pollfd(fd: PQsocket(raw), events: Int16(POLLIN), revents: 0)
        guard fds.fd >= 0 else { return false }
        return poll(&fds, 1, 0) == 0
    }
}
