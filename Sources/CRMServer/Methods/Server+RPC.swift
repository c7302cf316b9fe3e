import CRMCore
import Foundation
import PQ

/// `server.ping`, `server.health` and `rpc.discover`: open before login.
enum ServerMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("server.ping", summary: "Answers \"pong\"; needs no login and no database.", access: .anyone) { _, _ in
                "pong"
            },
            RPCMethod("server.health", summary: "Whether the database answers, and the connection pool's state.", access: .anyone) { _, ctx in
                let pool = ctx.services.database.pool
                let started = ContinuousClock.now
                var database: JSON = "ok"
                do {
                    _ = try await ctx.services.database.runUnscoped { conn in try conn.query("select 1") }
                } catch {
                    database = "unavailable"
                }
                let stats = pool.stats
                return [
                    "status": database == "ok" ? "ok" : "degraded",
                    "database": database,
                    "database_ms": .number(String(format: "%.2f", (ContinuousClock.now - started).milliseconds)),
                    "pool": ["open": .number(stats.open), "idle": .number(stats.idle), "waiting": .number(stats.waiting), "max": .number(stats.max)],
                    "counters": ["failed_logins": .number(ctx.services.counters.failedLogins.load(ordering: .relaxed)),
                                 "rate_limited": .number(ctx.services.counters.rateLimited.load(ordering: .relaxed)),
                                 "over_share": .number(ctx.services.counters.overShare.load(ordering: .relaxed))],
                    "version": .string(ctx.services.version),
                    "uptime_s": .number(Int(Date().timeIntervalSince(ctx.services.startedAt))),
                ]
            },
            RPCMethod("rpc.discover", summary: "The OpenRPC document of every method, its params and the roles that may call it.", access: .anyone) { _, ctx in
                ctx.services.openRPCDocument
            },
        ]
    }
}
