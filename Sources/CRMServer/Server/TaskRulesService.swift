import CRMProtocol
public import CRMCore
public import Logging
import PQ
public import ServiceLifecycle

/// Runs every unit's scheduled work on a schedule: the tier snapshot, lead offers that expired
/// or were declined (passed to the next partner), folding the sales rollups' delta rows, then
/// the task rules (care calls, holiday greetings, top-tier visits, segments' task rules) and each
/// segment's size of the day (taken once a day); then, at most once a day per unit, the
/// customer-lifetime prediction fit (`CustomerPredictionRefresh`). Each pass also writes the
/// unit's time-based events (SLA due soon or breached, lead offers expiring, tasks due; each
/// once) and deletes its events older than `event_retention_days`.
/// The rules are idempotent in SQL, so two servers running them at once create each task once.
public struct TaskRulesService: Service {
    let database: CRMDatabase
    let interval: Duration
    let logger: Logger

    public init(database: CRMDatabase, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await ScheduledUnitWork.repeatPasses(every: interval, logger: logger, failure: "task rules failed") {
            let created = try await runOnce()
            if created > 0 { logger.info("task rules ran", metadata: ["created": "\(created)"]) }
        }
    }

    /// One pass over every unit, each in its own transaction under the unit role. Returns tasks created.
    public func runOnce() async throws -> Int {
        // Time-based events announce what falls due before the next pass (SQL/repeatable/71_events_scheduled.sql).
        let horizon = "\(interval.components.seconds) seconds"
        return try await database.pool.withConnection { conn in
            let units = try ScheduledUnitWork.units(conn)
            var created = 0
            for unit in units {
                created += try ScheduledUnitWork.inUnit(conn, unit) { c in
                    // Tiers first: the visit rule reads them, and so does the caller lookup.
                    return try c.query("""
                        select crm.keep_customer_tiers() as tiers, crm.reassign_partner_leads() as moved,
                               crm.compact_sales_rollups() as folded, crm.refresh_basket_pairs() as pairs,
                               crm.run_task_rules() as n, crm.snapshot_segment_sizes() as segments,
                               crm.emit_due_events(\(horizon)::interval) as due_events, crm.purge_events() as purged
                        """)[0].get("n", as: Int.self)
                }
            }
            for unit in units { refreshPrediction(conn, unit: unit) }
            return created
        }
    }

    /// Refits a unit's customer prediction when it has none or its model is older than today, in
    /// a transaction of its own under the unit role: a failure is logged and leaves the unit's
    /// other scheduled work and the next unit alone.
    func refreshPrediction(_ conn: PQConnection, unit: String) {
        do {
            let outcome = try ScheduledUnitWork.inUnit(conn, unit) { c -> CustomerPredictionRefresh.Outcome? in
                guard let period: String = try c.query("select crm.customer_prediction_period(true) as p")[0].optional("p") else {
                    return nil
                }
                return try CustomerPredictionRefresh.refresh(c, period: period)
            }
            if let outcome {
                logger.info("customer prediction fitted", metadata: [
                    "unit": "\(unit)", "customers": "\(outcome.customers)", "note": "\(outcome.note ?? "-")"])
            }
        } catch {
            logger.warning("customer prediction fit failed; will retry", metadata: ["unit": "\(unit)", "error": "\(error)"])
        }
    }
}
