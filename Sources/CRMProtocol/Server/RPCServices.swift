public import Foundation

/// What the protocol layer shares between its connections and calls: the limits, the methods,
/// the rate limiters, the share gates, the metrics, and the application the handlers work for
/// (reached through `RequestContext.application`). Nothing here knows a database.
public final class RPCServices: Sendable {
    public let limits: ServerLimits
    public let registry: MethodRegistry
    public let rateLimiter: RateLimiter<UUID>
    /// Methods open before login, per connection and per remote address.
    let anonymousPerConnection: RateLimiter<UInt64>
    let anonymousPerAddress: RateLimiter<String>
    /// Every principal's calls pass `poolGate` (a share of the application's capacity per unit
    /// or partner); reports pass `reportGate` first, reads `readGate`.
    let poolGate: ShareGate
    let reportGate: ShareGate
    let readGate: ShareGate
    /// How long a call may wait at a gate before it is refused.
    let gateTimeout: Duration
    public let metrics: ServerMetrics
    public let version: String
    public let startedAt: Date
    /// The answer of `rpc.discover`, serialized once: it is large, and open to anyone.
    public let openRPCDocument: JSON
    public let application: any ServerApplication

    /// `capacity`: how many calls the application can serve at once (the database pool's size);
    /// `gateTimeout`: how long a call waits for a place (the pool's checkout time).
    public init(limits: ServerLimits, registry: MethodRegistry, capacity: Int, gateTimeout: Duration,
                metrics: ServerMetrics = ServerMetrics(), version: String = "0.1.0", application: any ServerApplication) {
        self.limits = limits
        self.registry = registry
        self.metrics = metrics
        self.rateLimiter = RateLimiter(ratePerSecond: limits.rateLimitPerSecond, burst: limits.rateLimitBurst)
        self.anonymousPerConnection = RateLimiter(ratePerSecond: limits.anonymousRatePerConnection, burst: limits.anonymousBurstPerConnection)
        self.anonymousPerAddress = RateLimiter(ratePerSecond: limits.anonymousRatePerAddress, burst: limits.anonymousBurstPerAddress)
        self.poolGate = ShareGate(capacity: capacity, perHolder: limits.poolShare ?? max(1, capacity / 2), borrowing: true)
        // Two reports at least (of two units), so one unit's report never holds the lane alone.
        let lane = limits.reportConcurrency ?? min(capacity, max(2, capacity / 4))
        self.reportGate = ShareGate(capacity: lane, perHolder: max(1, lane / 2), borrowing: false)
        // Reads at most half the pool (rounded up; 5 of 9 on two cores): on two cores 9 lookups at
        // once stretched into each other (p99 20-28 ms at 16 x 1) where 5 kept it at 8.5 ms and
        // served more (3,087-3,429 against 2,659-2,669 req/s); writes, which wait for the WAL
        // flush, keep the whole pool.
        let reads = limits.readConcurrency ?? (capacity + 1) / 2
        self.readGate = ShareGate(capacity: reads, perHolder: limits.poolShare.map { min($0, reads) } ?? max(1, reads / 2), borrowing: true)
        self.gateTimeout = gateTimeout
        self.version = version
        self.startedAt = Date()
        self.openRPCDocument = .raw(OpenRPC.document(registry, version: version).serialized)
        self.application = application
    }
}

/// What a server's handlers work for (the CRM's database and jobs): handed to each handler as
/// `RequestContext.application`, which the application's own extension of RequestContext reads.
public protocol ServerApplication: Sendable {}
