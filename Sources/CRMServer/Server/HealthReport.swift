public import Logging
public import CRMProtocol
public import CRMCore
import Foundation

/// The server's health, for `server.health` and the metrics endpoint's `/health`. A pool that
/// answered a statement in the last `trustRecent` (and has not failed since) is healthy without
/// taking a connection: health checks must not queue behind the work they watch. Otherwise one
/// `select 1` asks the database.
enum HealthReport {
    static let trustRecent: Duration = .seconds(10)

    static func current(_ services: ServerServices) async -> (healthy: Bool, json: JSON) {
        let database = services.database
        let stats = database.pool.stats
        let outcomes = database.recentOutcomes
        let now = ContinuousClock.now
        var status: JSON
        var checked: JSON
        if let success = outcomes.lastSuccess, now - success < trustRecent,
           outcomes.lastFailure.map({ $0 < success }) ?? true {
            status = "ok"
            checked = .number(String(format: "%.0f", (now - success).milliseconds))
        } else {
            do {
                _ = try await database.runUnscoped { conn in try conn.query("select 1") }
                status = "ok"
            } catch {
                status = "unavailable"
            }
            checked = 0
        }
        let healthy = status == "ok"
        return (healthy, [
            "status": healthy ? "ok" : "degraded",
            "database": status,
            "database_checked_ms_ago": checked,
            "pool": ["open": .number(stats.open), "idle": .number(stats.idle), "waiting": .number(stats.waiting), "max": .number(stats.max)],
            "version": .string(services.version),
            "uptime_s": .number(Int(Date().timeIntervalSince(services.startedAt))),
        ])
    }
}

extension ServerServices: MetricsSource {
    public func willScrape() -> ServerMetrics {
        let stats = database.pool.stats
        metrics.samplePool(open: stats.open, idle: stats.idle, max: stats.max, waiting: stats.waiting)
        return metrics
    }

    public func health() async -> (healthy: Bool, json: JSON) {
        await HealthReport.current(self)
    }
}

extension MetricsEndpoint {
    /// The endpoint of a CRM server: its metrics, its pool, its database's health.
    public convenience init(host: String, port: Int, services: ServerServices, logger: Logger) {
        self.init(host: host, port: port, source: services, logger: logger)
    }
}

/// The database layer reports pool waits and failed statements to the server's metrics.
extension ServerMetrics: DatabaseObserver {}
