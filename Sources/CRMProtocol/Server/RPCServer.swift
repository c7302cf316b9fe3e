public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// The protocol server: a `Service` that accepts TCP connections until graceful shutdown, then
/// stops accepting, lets requests in flight finish and closes every connection.
public final class RPCServer: Service, Sendable {
    public let host: String
    public let port: Int
    let services: RPCServices
    let logger: Logger
    let group: any EventLoopGroup

    private enum State {
        case idle
        case listening(SocketAddress)
        case stopped
    }

    private let state = Mutex<State>(.idle)
    private let waiters = Mutex<[CheckedContinuation<SocketAddress, any Error>]>([])
    let connections = ConnectionTracker()

    public init(host: String, port: Int, services: RPCServices, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.services = services
        self.logger = logger
        self.group = group
    }

    /// The bound address once listening (port 0 becomes the real port).
    public func listeningAddress() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { c in
            let address = state.withLock { s -> SocketAddress? in
                if case .listening(let a) = s { return a }
                return nil
            }
            if let address { c.resume(returning: address); return }
            waiters.withLock { $0.append(c) }
            // Re-check: the state may have changed between the two locks.
            if case .listening(let a) = state.withLock({ $0 }) { resumeWaiters(.success(a)) }
        }
    }

    private func resumeWaiters(_ result: Result<SocketAddress, any Error>) {
        let pending = waiters.withLock { w -> [CheckedContinuation<SocketAddress, any Error>] in
            defer { w = [] }
            return w
        }
        for c in pending { c.resume(with: result) }
    }

    public func run() async throws {
        let limits = services.limits
        let listener: NIOAsyncChannel<NIOAsyncChannel<LineFrame, ByteBuffer>, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 4096)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                // A client that half-closes after its last request (nc -q, shutdown(SHUT_WR)) still gets its answers.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                // Small reads: the line decoder turns every byte read into frames at once, and the
                // inbound backpressure only stops the next read. With 16 reads of up to 64 KB per
                // tick, a client that pipelines without reading its answers left about 20,000
                // parsed lines queued on its connection (200 such clients: 1.6 GB).
                .childChannelOption(.maxMessagesPerRead, value: 4)
                .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 512, initial: 2048, maximum: 16384))
                .bind(host: host, port: port) { child in
                    child.eventLoop.makeCompletedFuture {
                        let idle = TimeAmount.nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000)
                        try child.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                        try child.pipeline.syncOperations.addHandler(IdleCloser())
                        let lineLimit = TimeAmount.milliseconds(Int64(limits.lineTimeout.components.seconds) * 1000
                                                                + limits.lineTimeout.components.attoseconds / 1_000_000_000_000_000)
                        try child.pipeline.syncOperations.addHandler(SlowLineGuard(limit: lineLimit))
                        try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: limits.maxLineBytes)))
                        return try NIOAsyncChannel<LineFrame, ByteBuffer>(
                            wrappingChannelSynchronously: child,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 32), isOutboundHalfClosureEnabled: false))
                    }
                }
        } catch {
            state.withLock { $0 = .stopped }
            resumeWaiters(.failure(error))
            throw error
        }
        let address = listener.channel.localAddress!
        state.withLock { $0 = .listening(address) }
        resumeWaiters(.success(address))
        logger.info("listening", metadata: ["address": "\(address)"])

        let dispatcher = Dispatcher(services: services, logger: logger)
        try await withGracefulShutdownHandler {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask {
                            await self.serve(connection, dispatcher: dispatcher)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new connections, finishing requests in flight")
            listener.channel.close(promise: nil)
            self.connections.closeInputs()
            // A client that stopped reading would hold its connection open forever: after the
            // grace period every connection is closed, answered or not.
            let grace = self.services.limits.shutdownGrace
            Task.detached { [connections = self.connections] in
                try? await Task.sleep(for: grace)
                connections.closeAll()
            }
        }
        state.withLock { $0 = .stopped }
        logger.info("stopped")
    }
}

/// The open connections, so shutdown can stop their input and let their answers drain.
final class ConnectionTracker: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let shuttingDown = Atomic<Bool>(false)
    private let nextID = Atomic<UInt64>(0)

    var count: Int { channels.withLock { $0.count } }

    /// Registers a connection; false when the cap is reached or the server is shutting down.
    func add(_ channel: any Channel, limit: Int) -> (accepted: Bool, id: UInt64) {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let accepted = channels.withLock { c -> Bool in
            guard c.count < limit, !shuttingDown.load(ordering: .relaxed) else { return false }
            c[ObjectIdentifier(channel)] = channel
            return true
        }
        return (accepted, id)
    }

    func remove(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }

    func closeInputs() {
        shuttingDown.store(true, ordering: .relaxed)
        for channel in channels.withLock({ Array($0.values) }) {
            channel.close(mode: .input, promise: nil)
        }
    }
}
