import Foundation
public import Logging
public import PQ
import Synchronization

/// The server's way into PostgreSQL: every request runs in its own transaction under an
/// unprivileged role, with its tenant and principal set transaction-locally, so a pooled
/// connection never carries one request's identity into the next.
public final class CRMDatabase: Sendable {
    public let pool: PQPool
    public let logger: Logger
    /// Told how long each request waited for a connection and which SQLSTATE failed (metrics).
    public let observer: (any DatabaseObserver)?
    private let outcomes = Mutex(Outcomes())

    /// When the database last answered a statement, and when it last failed to.
    public struct Outcomes: Sendable {
        public var lastSuccess: ContinuousClock.Instant?
        public var lastFailure: ContinuousClock.Instant?
    }

    public init(pool: PQPool, logger: Logger, observer: (any DatabaseObserver)? = nil) {
        self.pool = pool
        self.logger = logger
        self.observer = observer
    }

    public var recentOutcomes: Outcomes { outcomes.withLock { $0 } }

    /// Notes how a use of the pool ended: the health check trusts a recent success.
    private func record(_ error: (any Error)?) {
        let now = ContinuousClock.now
        guard let error else {
            outcomes.withLock { $0.lastSuccess = now }
            return
        }
        guard let pq = error as? PQError else { return }
        if pq.isConnectionFailure {
            outcomes.withLock { $0.lastFailure = now }
            observer?.databaseFailed(sqlState: pq.code == .poolTimeout ? "pool_timeout" : "connection")
        } else if let state = pq.sqlState {
            outcomes.withLock { $0.lastSuccess = now }  // the database answered, with an error
            observer?.databaseFailed(sqlState: state)
        }
    }

    /// `pool.withConnection`, telling the observer how long the wait for a connection took and
    /// recording the outcome.
    private func withConnection<T: Sendable>(deadline: Duration?, _ body: @escaping @Sendable (PQConnection) throws -> T) async throws -> T {
        let asked = ContinuousClock.now
        let observer = self.observer
        return try await recorded {
            try await pool.withConnection(deadline: deadline) { conn in
                observer?.connectionWaited(ContinuousClock.now - asked)
                return try body(conn)
            }
        }
    }

    /// `pool.withNonBlockingConnection`, observed and recorded the same way.
    private func withNonBlockingConnection<T: Sendable>(deadline: Duration?, _ body: (PQConnection) async throws -> T) async throws -> T {
        let asked = ContinuousClock.now
        return try await recorded {
            try await pool.withNonBlockingConnection(deadline: deadline) { conn in
                observer?.connectionWaited(ContinuousClock.now - asked)
                return try await body(conn)
            }
        }
    }

    private func recorded<T>(_ use: () async throws -> T) async throws -> T {
        do {
            let value = try await use()
            record(nil)
            return value
        } catch {
            record(error)
            throw error
        }
    }

    /// Runs `body` in a transaction as `principal`. Errors come back as `CRMError`.
    ///
    /// A connection that turns out to be dead at the first statement (nothing has been done yet)
    /// is replaced once, so the first request after a database restart does not fail.
    public func run<T: Sendable>(
        as principal: Principal,
        deadline: Duration? = nil,
        _ body: @escaping @Sendable (PQConnection) throws -> T
    ) async throws(CRMError) -> T {
        for attempt in 0..<2 {
            do {
                return try await withConnection(deadline: deadline) { conn in
                    try Self.enter(conn, as: principal)
                    do {
                        let value = try body(conn)
                        try conn.execute(unsafeSQL: "COMMIT")
                        return value
                    } catch {
                        if conn.isHealthy && conn.inTransaction { try? conn.execute(unsafeSQL: "ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as EnterFailure where attempt == 0 && error.underlying.code == .connectionLost {
                logger.info("replacing a connection that died while idle")
                continue
            } catch let error as EnterFailure {
                throw CRMError(error.underlying)
            } catch {
                if let pq = error as? PQError, pq.sqlState == nil || pq.sqlState?.hasPrefix("CR") == false {
                    logger.error("database error", metadata: ["error": "\(pq.debugDescription)"])
                }
                throw CRMError.from(error)
            }
        }
        throw CRMError(.databaseUnavailable, "database unavailable, retry later")
    }

    /// Runs one statement as `principal` in a single round trip: BEGIN, the principal's context,
    /// the statement and COMMIT go out together in libpq's pipeline mode. The hot path of reads
    /// and single-statement writes. A reply that says COMMIT succeeded means the write is durable.
    /// No thread waits for the answer: the task sends from its own thread and resumes there.
    public func query(as principal: Principal, deadline: Duration? = nil, _ query: PQQuery) async throws(CRMError) -> PQResult {
        do {
            return try await withNonBlockingConnection(deadline: deadline) { conn in
                let outcomes = try await conn.pipeline([Self.begin(principal), Self.contextQuery(principal), query, "COMMIT"])
                if case .success = outcomes[3], case .success(let result) = outcomes[2] { return result }
                if conn.isHealthy && conn.inTransaction { _ = try? await conn.pipeline(["ROLLBACK"]) }
                for case .failure(let error) in outcomes where error.code != .pipelineAborted { throw error }
                throw PQError(.unexpected, "pipeline failed without an error")
            }
        } catch {
            if let pq = error as? PQError, pq.sqlState == nil || pq.sqlState?.hasPrefix("CR") == false, !pq.isConnectionFailure {
                logger.error("database error", metadata: ["error": "\(pq.debugDescription)"])
            }
            throw CRMError.from(error)
        }
    }

    /// Runs `body` as the server's own login role (no tenant): for authentication only.
    public func runUnscoped<T: Sendable>(_ body: @escaping @Sendable (PQConnection) throws -> T) async throws(CRMError) -> T {
        do {
            return try await withConnection(deadline: nil) { conn in try body(conn) }
        } catch {
            throw CRMError.from(error)
        }
    }

    /// Looks an API key up; nil when it is unknown or revoked.
    public func authenticate(key: String) async throws(CRMError) -> Principal? {
        try await runUnscoped { conn in
            let rows = try conn.query("""
                select principal_id, key_id, kind, tenant_id, tenant_slug, partner_id, partner_slug, app_role, display_name
                from crm.authenticate(\(key))
                """)
            guard let row = rows.first else { return nil }
            guard let kind = Principal.Kind(rawValue: try row.get("kind")) else { return nil }
            return Principal(
                id: try row.get("principal_id"), keyID: try row.get("key_id"), kind: kind,
                tenantID: try row.optional("tenant_id"), tenantSlug: try row.optional("tenant_slug"),
                partnerID: try row.optional("partner_id"), partnerSlug: try row.optional("partner_slug"),
                appRole: try row.get("app_role"), displayName: try row.optional("display_name") ?? "")
        }
    }

    struct EnterFailure: Error { let underlying: PQError }

    /// BEGIN, check the key and its principal are still valid, and take on its role and scope.
    /// `crm.enter_request` runs before the role switch, as the login role.
    static func enter(_ conn: PQConnection, as p: Principal) throws {
        do {
            try conn.query(begin(p))
        } catch {
            throw EnterFailure(underlying: error)
        }
        try conn.query(contextQuery(p))
    }

    /// A read-only principal's transaction is `READ ONLY` as well as under a role without writes.
    static func begin(_ p: Principal) -> PQQuery {
        p.isReadOnly ? "BEGIN READ ONLY" : "BEGIN"
    }

    /// Checks the key is live and takes on the principal's role and scope, transaction-locally.
    /// `crm.enter_request` is evaluated first, still as the login role.
    static func contextQuery(_ p: Principal) -> PQQuery {
        """
            select crm.enter_request(\(p.keyID)),
                   set_config('crm.tenant_id', \(p.tenantID?.uuidString.lowercased() ?? ""), true),
                   set_config('crm.partner_id', \(p.partnerID?.uuidString.lowercased() ?? ""), true),
                   set_config('crm.principal_id', \(p.id.uuidString.lowercased()), true),
                   set_config('crm.app_role', \(p.appRole), true),
                   set_config('role', \(p.databaseRole), true)
            """
    }
}

/// What the server's metrics want to know of the database layer.
public protocol DatabaseObserver: Sendable {
    /// How long a request waited for a pool connection.
    func connectionWaited(_ duration: Duration)
    /// A statement failed with this SQLSTATE ("pool_timeout" or "connection" when no answer came).
    func databaseFailed(sqlState: String)
}
