import CLibPQ
import Synchronization
import Glibc

/// One libpq connection. It owns its `PGconn` and frees it on every path.
///
/// libpq allows one thread at a time per connection, so a `PQConnection` is handed out by
/// `PQPool` to one caller at a time; its blocking calls must not run on a NIO event loop.
/// Only `cancel()` may be called from another thread (libpq's `PQcancel` is thread-safe).
public final class PQConnection: @unchecked Sendable {
    let raw: OpaquePointer
    private let canceller: Mutex<CancelState>
    /// SQL text → prepared statement name. Hot queries skip parsing and planning.
    private var statements: [String: String] = [:]
    private static let statementCacheLimit = 256
    /// Names are never reused, even after an entry is forgotten (the server may still hold it).
    private var statementCounter = 0
    /// Savepoints of nested `transaction` calls open now.
    private var savepointDepth = 0

    private struct CancelState: ~Copyable, @unchecked Sendable {
        var handle: OpaquePointer?
        /// Set while a statement that may be cancelled runs; a stale timer finds a different token.
        var activeToken: UInt64 = 0
    }

    /// Session settings every connection starts with: results are parsed assuming these, and a
    /// COMMIT returns only once its WAL is flushed, whatever the cluster's default, so a write
    /// acknowledged to a client survives a database crash. JIT is off: compiling a plan took
    /// 0.5 s on a report that then ran in 2 ms; a request server never wins that trade.
    static let sessionOptions = "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601 -c extra_float_digits=1 -c synchronous_commit=on -c jit=off"

    /// Opens a connection (blocking). `url` is a libpq URI or key/value conninfo.
    public static func connect(url: String, applicationName: String = "crm", connectTimeout: Int = 5) throws(PQError) -> PQConnection {
        let keys = ["dbname", "options", "application_name", "client_encoding", "connect_timeout"]
        let values = [url, sessionOptions, applicationName, "UTF8", String(connectTimeout)]
        let conn: OpaquePointer? = withCStrings(keys) { k in
            withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let conn else { throw PQError(.connectionFailed, "out of memory opening a connection") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let error = PQError.connection(conn, code: .connectionFailed)
            PQfinish(conn)  // also on failure: libpq allocated the PGconn
            throw error
        }
        return PQConnection(raw: conn)
    }

    private init(raw: OpaquePointer) {
        self.raw = raw
        self.canceller = Mutex(CancelState(handle: PQgetCancel(raw)))
    }

    deinit {
        canceller.withLock { state in
            if let h = state.handle { PQfreeCancel(h) }
            state.handle = nil
        }
        PQfinish(raw)
    }

    /// False once the connection has broken; the pool then replaces it.
    public var isHealthy: Bool { PQstatus(raw) == CONNECTION_OK }

    /// True inside a transaction block (including a failed one).
    public var inTransaction: Bool {
        let s = PQtransactionStatus(raw)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE
    }

    /// Runs a statement with bound parameters, through a per-connection prepared statement cache.
    @discardableResult
    public func query(_ query: PQQuery) throws(PQError) -> PQResult {
        if let name = statements[query.sql] {
            do {
                return try execPrepared(name, query)
            } catch let error where error.sqlState == "26000" || error.sqlState == "0A000" {
                // The statement was deallocated or its cached plan's result type changed (a view was
                // re-created by a migration): forget it so the next call prepares afresh.
                statements[query.sql] = nil
                throw error
            }
        }
        guard let name = reserveStatementName(for: query.sql) else { return try execUnprepared(query) }
        do {
            try check(PQprepare(raw, name, query.sql, 0, nil), query: query.sql, expect: PGRES_COMMAND_OK)
        } catch {
            forgetStatement(query.sql)
            throw error
        }
        return try execPrepared(name, query)
    }

    /// Runs a statement once, without preparing it (for one-off statements).
    @discardableResult
    public func queryOnce(_ query: PQQuery) throws(PQError) -> PQResult {
        try execUnprepared(query)
    }

    /// Runs program-supplied SQL text, which may hold several statements and no parameters
    /// (migration files, `BEGIN`, `LISTEN`). Never pass input here.
    public func execute(unsafeSQL script: String) throws(PQError) {
        let result = PQexec(raw, script)
        try check(result, query: script, expect: nil)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    ///
    /// Inside a transaction already, `body` runs in a savepoint instead: its failure undoes its
    /// own work only, and the outer transaction decides what is kept.
    public func transaction<T>(_ body: (PQConnection) throws -> T) throws -> T {
        if inTransaction {
            savepointDepth += 1
            defer { savepointDepth -= 1 }
            let name = "crm_nested_\(savepointDepth)"
            try execute(unsafeSQL: "SAVEPOINT \(name)")
            do {
                let value = try body(self)
                try execute(unsafeSQL: "RELEASE SAVEPOINT \(name)")
                return value
            } catch {
                if isHealthy && inTransaction { try? execute(unsafeSQL: "ROLLBACK TO SAVEPOINT \(name)") }
                throw error
            }
        }
        try execute(unsafeSQL: "BEGIN")
        do {
            let value = try body(self)
            try execute(unsafeSQL: "COMMIT")
            return value
        } catch {
            if isHealthy && inTransaction { try? execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
    }

    /// Arms cancellation for the statements that follow; returns a token for `cancel(token:)`.
    public func armCancel() -> UInt64 {
        canceller.withLock { state in
            state.activeToken &+= 1
            return state.activeToken
        }
    }

    /// Disarms cancellation so a late timer cannot cancel a later, unrelated statement.
    public func disarmCancel() {
        canceller.withLock { state in state.activeToken &+= 1 }
    }

    /// Asks the server to cancel the running statement if `token` is still the armed one.
    /// Safe from any thread; blocks briefly while it sends the cancel request.
    public func cancel(token: UInt64) {
        canceller.withLock { state in
            guard state.activeToken == token, let handle = state.handle else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(handle, &buffer, Int32(buffer.count))
        }
    }

    // MARK: - internals

    func preparedName(for sql: String) -> String? { statements[sql] }

    /// Names a new prepared statement for `sql`, or nil when the cache is full.
    func reserveStatementName(for sql: String) -> String? {
        guard statements.count < Self.statementCacheLimit else { return nil }
        statementCounter += 1
        let name = "crm_\(statementCounter)"
        statements[sql] = name
        return name
    }

    func forgetStatement(_ sql: String) { statements[sql] = nil }

    private func execPrepared(_ name: String, _ query: PQQuery) throws(PQError) -> PQResult {
        let result = withParameters(query.parameters) { count, values in
            PQexecPrepared(raw, name, count, values, nil, nil, 0)
        }
        return try check(result, query: query.sql, expect: nil)
    }

    private func execUnprepared(_ query: PQQuery) throws(PQError) -> PQResult {
        let result = withParameters(query.parameters) { count, values in
            PQexecParams(raw, query.sql, count, nil, values, nil, nil, 0)
        }
        return try check(result, query: query.sql, expect: nil)
    }

    /// Turns a `PGresult` into a `PQResult` or a `PQError`, freeing it on the error paths.
    @discardableResult
    func check(_ result: OpaquePointer?, query: String?, expect: ExecStatusType?) throws(PQError) -> PQResult {
        guard let result else { throw PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost, query: query) }
        let status = PQresultStatus(result)
        if let expect, status == expect { return PQResult(taking: result) }
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return PQResult(taking: result)
        default:
            let error = PQError(result: result, connection: raw, query: query)
            PQclear(result)
            throw error
        }
    }
}

/// Keeps C strings alive only for the duration of `body`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}

/// Parameter values as C strings (NULL for SQL NULL), alive only inside `body`.
func withParameters<R>(_ values: [String?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if values.isEmpty { return body(0, nil) }
    let pointers: [UnsafeMutablePointer<CChar>?] = values.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
            body(Int32(values.count), $0)
        }
    }
}
