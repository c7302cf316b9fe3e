import CRMModel
public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle
import Synchronization

/// HTTP on a port of its own (`CRM_METRICS_LISTEN`, off by default) for operators: `GET /metrics`
/// in Prometheus text format and `GET /health` (200 when healthy, 503 when not; the JSON of
/// `server.health`). Nothing else is served, and nothing here reads or writes a unit's data.
public final class MetricsEndpoint: Service, Sendable {
    let host: String
    let port: Int
    let source: any MetricsSource
    let logger: Logger
    private let bound = Mutex<SocketAddress?>(nil)

    public init(host: String, port: Int, source: any MetricsSource, logger: Logger) {
        self.host = host
        self.port = port
        self.source = source
        self.logger = logger
    }

    /// The bound address once listening (port 0 becomes the real port); nil before.
    public var address: SocketAddress? { bound.withLock { $0 } }

    public func run() async throws {
        let source = self.source
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    child.pipeline.addHandler(MetricsHTTPHandler(source: source))
                }
            }
            .bind(host: host, port: port).get()
        bound.withLock { $0 = channel.localAddress }
        logger.info("metrics endpoint listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// One request at a time per connection: GET /metrics, GET /health; anything else is 404/405.
private final class MetricsHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let source: any MetricsSource
    private var request: HTTPRequestHead?

    init(source: any MetricsSource) { self.source = source }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET || head.method == .HEAD else {
            return send(.methodNotAllowed, "text/plain", Array("GET only\n".utf8), head: head, context: context)
        }
        switch path {
        case "/metrics":
            let metrics = source.willScrape()
            send(.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.registry.emitToBuffer(), head: head, context: context)
        case "/health":
            let source = self.source
            let loop = context.eventLoop
            let box = NIOLoopBound((self, context), eventLoop: loop)
            Task {
                let (healthy, json) = await source.health()
                loop.execute {
                    let (handler, context) = box.value
                    handler.send(healthy ? .ok : .serviceUnavailable, "application/json", Array((json.serialized + "\n").utf8),
                                 head: head, context: context)
                }
            }
        default:
            send(.notFound, "text/plain", Array("not found: /metrics or /health\n".utf8), head: head, context: context)
        }
    }

    private func send(_ status: HTTPResponseStatus, _ type: String, _ body: [UInt8], head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// What the endpoint serves: the metrics (brought up to date before each scrape) and the health
/// of what the server depends on.
public protocol MetricsSource: Sendable {
    /// Samples what is only read on demand (a pool's state) and answers the metrics to emit.
    func willScrape() -> ServerMetrics
    /// `/health`: healthy or not, and the JSON of `server.health`.
    func health() async -> (healthy: Bool, json: JSON)
}
