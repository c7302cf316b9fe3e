public import CRMModel
import CoreMetrics
public import Prometheus
import Synchronization

/// What the server measures, through swift-metrics (so any backend can take it) into a
/// Prometheus registry that `MetricsEndpoint` serves. Label values come from the server's own
/// vocabulary (method names of the registry, protocol codes, SQLSTATE classes), never from what a
/// client sent, so the number of series stays bounded.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requests = Mutex<[String: CoreMetrics.Counter]>([:])
    private let durations = Mutex<[String: CoreMetrics.Timer]>([:])
    private let refusals = Mutex<[String: CoreMetrics.Counter]>([:])
    private let databaseErrors = Mutex<[String: CoreMetrics.Counter]>([:])
    private let connectionsOpen: CoreMetrics.Meter
    private let inFlight: CoreMetrics.Meter
    private let poolWait: CoreMetrics.Timer
    private let failedLogins: CoreMetrics.Counter
    private let poolConnections: [String: CoreMetrics.Gauge]
    private let poolWaiters: CoreMetrics.Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        // Seconds: 0.5 ms up to 30 s (the request deadline).
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
            .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        connectionsOpen = CoreMetrics.Meter(label: "crm_connections_open", factory: factory)
        inFlight = CoreMetrics.Meter(label: "crm_requests_in_flight", factory: factory)
        poolWait = CoreMetrics.Timer(label: "crm_pool_wait_seconds", factory: factory)
        failedLogins = CoreMetrics.Counter(label: "crm_failed_logins_total", factory: factory)
        poolConnections = Dictionary(uniqueKeysWithValues: ["open", "idle", "in_use", "max"].map {
            ($0, CoreMetrics.Gauge(label: "crm_pool_connections", dimensions: [("state", $0)], factory: factory))
        })
        poolWaiters = CoreMetrics.Gauge(label: "crm_pool_waiters", factory: factory)
    }

    /// One request answered: by method (or "unknown") and result ("ok" or the error code).
    public func requestFinished(method: String, code: Int?, duration: Duration) {
        let result = code.map(String.init) ?? "ok"
        cached(requests, method + "|" + result) {
            CoreMetrics.Counter(label: "crm_requests_total", dimensions: [("method", method), ("result", result)], factory: factory)
        }.increment()
        cached(durations, method) {
            CoreMetrics.Timer(label: "crm_request_duration_seconds", dimensions: [("method", method)], factory: factory)
        }.recordNanoseconds(Self.nanoseconds(duration))
    }

    public func requestStarted() { inFlight.increment() }
    public func requestEnded() { inFlight.decrement() }
    public func connectionOpened() { connectionsOpen.increment() }
    public func connectionClosed() { connectionsOpen.decrement() }
    public func loginFailed() { failedLogins.increment() }

    /// A request refused before it ran: rate_limit, share, report_share, busy, connections, batch_too_large.
    public func refused(_ reason: String) {
        cached(refusals, reason) {
            CoreMetrics.Counter(label: "crm_refusals_total", dimensions: [("reason", reason)], factory: factory)
        }.increment()
    }

    public func connectionWaited(_ duration: Duration) {
        poolWait.recordNanoseconds(Self.nanoseconds(duration))
    }

    /// By SQLSTATE class (the first two characters), so series stay few.
    public func databaseFailed(sqlState: String) {
        let kind = sqlState.count == 5 ? String(sqlState.prefix(2)) : sqlState
        cached(databaseErrors, kind) {
            CoreMetrics.Counter(label: "crm_database_errors_total", dimensions: [("class", kind)], factory: factory)
        }.increment()
    }

    /// The database pool's state now, for a scrape.
    public func samplePool(open: Int, idle: Int, max: Int, waiting: Int) {
        poolConnections["open"]?.record(open)
        poolConnections["idle"]?.record(idle)
        poolConnections["in_use"]?.record(open - idle)
        poolConnections["max"]?.record(max)
        poolWaiters.record(waiting)
    }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    /// The metric of a label set, made on first use and kept (making one asks the registry).
    private func cached<M: Sendable>(_ cache: borrowing Mutex<[String: M]>, _ key: String, _ make: () -> M) -> M {
        cache.withLock { cache in
            if let m = cache[key] { return m }
            let m = make()
            cache[key] = m
            return m
        }
    }
}
