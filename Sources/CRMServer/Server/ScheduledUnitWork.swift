import CRMCore
import Logging
import PQ
import ServiceLifecycle

/// What the server's scheduled services (TaskRulesService, DeltaFoldService) share: a pass every
/// interval until the server shuts down, every unit's id, and a transaction under one unit's role.
enum ScheduledUnitWork {
    /// Runs `pass` now and then every `interval` until shutdown; a failed pass is logged as
    /// `failure` and the next one runs on time.
    static func repeatPasses(every interval: Duration, logger: Logger, failure: String, _ pass: () async throws -> Void) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await pass()
            } catch {
                logger.warning("\(failure); will retry", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Every unit's id, in slug order (read as the administrator: no unit is set yet).
    static func units(_ conn: PQConnection) throws -> [String] {
        try AdminOperations.asAdmin(conn) { c in
            try c.query("select id::text as id from crm.tenant order by slug").map { try $0.get("id") }
        }
    }

    /// `body` in a transaction of its own under the unit role, with `unit` as the caller's unit.
    static func inUnit<T>(_ conn: PQConnection, _ unit: String, _ body: (PQConnection) throws -> T) throws -> T {
        try conn.transaction { c in
            try c.query("select set_config('role', 'crm_unit', true), set_config('crm.tenant_id', \(unit), true)")
            return try body(c)
        }
    }
}
