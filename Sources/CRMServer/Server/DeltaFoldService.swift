public import CRMCore
public import Logging
import PQ
public import ServiceLifecycle

/// Folds every unit's rollup delta rows (`crm.fold_rollup_deltas`: the sales, channel,
/// existing-against-new and lifecycle summaries, the customers' contacts per channel) on a short
/// schedule, apart from the hourly scheduled work (`TaskRulesService`), which also recomputes
/// figures that move with the calendar. The reports that add the deltas to the folded rows then
/// read about as many as the interval's writes leave: at 3,000 contacts a second an hour left
/// about 10M rows, each about 10 us of `report.customer_value`.
/// A fold takes no lock a writer waits for, and two servers folding at once stay right.
public struct DeltaFoldService: Service {
    let database: CRMDatabase
    let interval: Duration
    let logger: Logger

    public init(database: CRMDatabase, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await ScheduledUnitWork.repeatPasses(every: interval, logger: logger, failure: "folding rollup deltas failed") {
            let folded = try await runOnce()
            if folded > 0 { logger.debug("rollup deltas folded", metadata: ["rows": "\(folded)"]) }
        }
    }

    /// One pass over every unit, each in its own transaction under the unit role. Returns the
    /// delta rows removed.
    public func runOnce() async throws -> Int {
        try await database.pool.withConnection { conn in
            var folded = 0
            for unit in try ScheduledUnitWork.units(conn) {
                folded += try ScheduledUnitWork.inUnit(conn, unit) { c in
                    try c.query("select crm.fold_rollup_deltas() as n")[0].get("n", as: Int.self)
                }
            }
            return folded
        }
    }
}
