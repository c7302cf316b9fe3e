/// The server's limits. Each has an environment variable (see README) and a sane default.
public struct ServerLimits: Sendable {
    /// Longest accepted line in bytes; a longer one gets -32013 and the connection closes.
    public var maxLineBytes = 1 << 20
    public var maxConnections = 10_000
    /// Requests in flight per connection; further lines wait unread (TCP backpressure).
    public var maxInFlightPerConnection = 16
    /// Bytes of answers waiting for a slow reader's socket before its input stops being read.
    public var maxPendingAnswerBytes = 1 << 20
    /// Server-sent events queued for a connection that does not read them; past this the client
    /// gets a `gap` notification with the cursor to resume from (EventOutlet).
    public var maxQueuedEvents = 1_000
    /// A connection with no input for this long is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// A line must arrive in full within this long after its first byte (slow senders are closed).
    public var lineTimeout: Duration = .seconds(30)
    /// A request still running after this is cancelled (PQcancel) and answered with -32008.
    public var requestDeadline: Duration = .seconds(30)
    /// Per API key: sustained requests per second and burst.
    public var rateLimitPerSecond: Double = 2_000
    public var rateLimitBurst: Double = 4_000
    /// Methods open before login (auth.login, server.ping, ...): requests per second and burst
    /// per connection and per remote address, whoever sends them.
    public var anonymousRatePerConnection: Double = 50
    public var anonymousBurstPerConnection: Double = 100
    public var anonymousRatePerAddress: Double = 500
    public var anonymousBurstPerAddress: Double = 1_000
    /// Most messages in one batch; a longer batch is answered -32600 with the limit in `data`.
    public var maxBatchSize = 100
    /// Pool connections one business unit or partner is sure of (nil: half the pool); it may
    /// use more while nobody else waits, and the next free connection goes to another first.
    public var poolShare: Int?
    /// Reports (`reports.*`) run in a lane of their own: this many at once (nil: a quarter of the
    /// pool), at most half of them for one unit or partner, each with its own deadline.
    public var reportConcurrency: Int?
    /// Reads served at once (the read lane): nil for half the pool, rounded up.
    public var readConcurrency: Int?
    public var reportDeadline: Duration = .seconds(60)
    /// Time allowed for requests in flight at shutdown.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}
}
