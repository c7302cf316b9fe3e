public import CRMCore
public import Foundation

/// The server's limits. Each has an environment variable (see README) and a sane default.
public struct ServerLimits: Sendable {
    /// Longest accepted line in bytes; a longer one gets -32013 and the connection closes.
    public var maxLineBytes = 1 << 20
    public var maxConnections = 10_000
    /// Requests in flight per connection; further lines wait unread (TCP backpressure).
    public var maxInFlightPerConnection = 16
    /// Bytes of answers waiting for a slow reader's socket before its input stops being read.
    public var maxPendingAnswerBytes = 1 << 20
    /// A connection with no input for this long is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// A line must arrive in full within this long after its first byte (slow senders are closed).
    public var lineTimeout: Duration = .seconds(30)
    /// A request still running after this is cancelled (PQcancel) and answered with -32008.
    public var requestDeadline: Duration = .seconds(30)
    /// Per API key: sustained requests per second and burst.
    public var rateLimitPerSecond: Double = 2_000
    public var rateLimitBurst: Double = 4_000
    /// Time allowed for requests in flight at shutdown.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}
}

/// What every request handler shares.
public final class ServerServices: Sendable {
    public let database: CRMDatabase
    public let limits: ServerLimits
    public let registry: MethodRegistry
    public let rateLimiter: RateLimiter
    public let version: String
    public let startedAt: Date
    /// The answer of `rpc.discover`, serialized once: it is large, and open to anyone.
    public let openRPCDocument: JSON

    public init(database: CRMDatabase, limits: ServerLimits, registry: MethodRegistry, version: String = "0.1.0") {
        self.database = database
        self.limits = limits
        self.registry = registry
        self.rateLimiter = RateLimiter(ratePerSecond: limits.rateLimitPerSecond, burst: limits.rateLimitBurst)
        self.version = version
        self.startedAt = Date()
        self.openRPCDocument = .raw(OpenRPC.document(registry, version: version).serialized)
    }
}
