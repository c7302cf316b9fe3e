import CLibPQ

/// An error from the libpq layer.
///
/// `description` is safe to show a client: it carries the server's primary message but never SQL
/// text, connection strings or internals. `debugDescription` is complete, for logs.
public struct PQError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Extensible: new codes do not break callers' `switch`es
    /// because they compare codes rather than switch over a closed enum.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The database could not be reached when opening a connection.
        public static let connectionFailed = Code("connectionFailed")
        /// An open connection broke while in use (server restart, network loss).
        public static let connectionLost = Code("connectionLost")
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code("server")
        /// A value could not be decoded into the requested Swift type.
        public static let decode = Code("decode")
        /// No pooled connection became free before the checkout timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The pool is shut down.
        public static let poolClosed = Code("poolClosed")
        /// A protocol-level surprise from libpq (unexpected result status).
        public static let unexpected = Code("unexpected")
    }

    public var code: Code
    public var message: String
    public var sqlState: String?
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    public var context: String?
    /// For a failed COPY: the 1-based line of the input that failed, from the server's CONTEXT.
    public var copyLine: Int?
    /// The statement that failed; only ever shown in `debugDescription`.
    public var query: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil, query: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.query = query
    }

    /// True when the failure is about reaching the database rather than about the statement:
    /// the request may be retried later (protocol code -32050).
    public var isConnectionFailure: Bool {
        if code == .connectionFailed || code == .connectionLost || code == .poolTimeout || code == .poolClosed {
            return true
        }
        guard let state = sqlState else { return false }
        // 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now;
        // 53300: too many connections.
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03" || state == "53300"
    }

    public var description: String {
        switch code {
        case .server: return message
        case .connectionFailed, .connectionLost: return "database unavailable"
        case .poolTimeout: return "no database connection became free in time"
        case .poolClosed: return "the server is shutting down"
        default: return message
        }
    }

    public var debugDescription: String {
        var parts = ["PQError(\(code)", "message: \(message)"]
        if let sqlState { parts.append("sqlstate: \(sqlState)") }
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        if let context { parts.append("context: \(context)") }
        if let copyLine { parts.append("copy line: \(copyLine)") }
        if let query { parts.append("query: \(query)") }
        return parts.joined(separator: ", ") + ")"
    }
}

extension PQError {
    /// Reads the server's error fields from a failed result.
    init(result: OpaquePointer, connection: OpaquePointer?, query: String?) {
        func field(_ code: Character) -> String? {
            guard let ptr = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: ptr)
        }
        let sqlState = field("C")
        let primary = field("M")
            ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingWhitespace()
        let lost = connection.map { PQstatus($0) != CONNECTION_OK } ?? false
        self.init(sqlState == nil && lost ? .connectionLost : .server, primary, sqlState: sqlState, query: query)
        detail = field("D")
        hint = field("H")
        constraint = field("n")
        table = field("t")
        column = field("c")
        context = field("W")
        copyLine = context.flatMap(Self.copyLine(fromContext:))
    }

    /// The connection's last error, for failures that produced no result.
    static func connection(_ conn: OpaquePointer, code: Code, query: String? = nil) -> PQError {
        let text = PQerrorMessage(conn).map { String(cString: $0) } ?? "connection error"
        return PQError(code, text.trimmingTrailingWhitespace(), query: query)
    }

    /// "COPY customer, line 5, column email: ..." → 5
    static func copyLine(fromContext context: String) -> Int? {
        guard let range = context.range(of: ", line ") else { return nil }
        let digits = context[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
