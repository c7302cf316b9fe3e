public import PQ
import Foundation

/// A failure the client can act on: a protocol error code, a message safe to show, and optional
/// `field`/`reason` for `error.data`. It never carries SQL text or server internals.
public struct CRMError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let parseError = Code(rawValue: -32700)
        public static let invalidRequest = Code(rawValue: -32600)
        public static let methodNotFound = Code(rawValue: -32601)
        public static let invalidParams = Code(rawValue: -32602)
        public static let internalError = Code(rawValue: -32603)
        public static let unauthenticated = Code(rawValue: -32001)
        public static let forbidden = Code(rawValue: -32003)
        public static let notFound = Code(rawValue: -32004)
        /// The request ran past its deadline and its statement was cancelled.
        public static let deadlineExceeded = Code(rawValue: -32008)
        public static let conflict = Code(rawValue: -32009)
        public static let lineTooLong = Code(rawValue: -32013)
        public static let rateLimited = Code(rawValue: -32029)
        public static let databaseUnavailable = Code(rawValue: -32050)
    }

    public var code: Code
    public var message: String
    public var field: String?
    public var reason: String?
    /// The limit a request ran into (a batch's size, ...), for `error.data.limit`.
    public var limit: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, reason: String? = nil, limit: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.reason = reason
        self.limit = limit
    }

    public var description: String { "\(code.rawValue) \(message)" + (field.map { " (\($0))" } ?? "") }

    public static func invalidParams(_ field: String, _ reason: String) -> CRMError {
        CRMError(.invalidParams, "invalid params: \(field) \(reason)", field: field, reason: reason)
    }

    public static func notFound(_ what: String) -> CRMError {
        CRMError(.notFound, "\(what) not found")
    }
}

extension CRMError {
    /// The one mapping from libpq/SQLSTATE failures to protocol errors.
    ///
    /// Messages from our own SQL (class `CR`, raised by functions in SQL/) are written for clients
    /// and pass through; for other server errors only a generic message and the constraint or
    /// column name go out, never the statement.
    public init(_ error: PQError) {
        if error.isConnectionFailure {
            self.init(.databaseUnavailable, "database unavailable, retry later", reason: error.code == .poolTimeout ? "busy" : "unavailable")
            return
        }
        guard error.code == .server, let state = error.sqlState else {
            self.init(.internalError, "internal error")
            return
        }
        let field = error.column ?? error.detail.flatMap(Self.fieldFromDetail)
        switch state {
        case "CR401": self.init(.unauthenticated, error.message)
        case "CR403": self.init(.forbidden, error.message)
        case "CR404": self.init(.notFound, error.message, field: field)
        case "CR409": self.init(.conflict, error.message, field: field, reason: error.constraint)
        case "CR422": self.init(.invalidParams, error.message, field: field, reason: error.hint)
        case "23505": self.init(.conflict, "conflict: a record with the same key already exists", field: field, reason: error.constraint)
        case "40001", "40P01": self.init(.conflict, "conflict with a concurrent change, retry", reason: "serialization")
        case "23503": self.init(.invalidParams, "invalid params: a referenced record does not exist", field: field, reason: error.constraint)
        case "23502": self.init(.invalidParams, "invalid params: a required value is missing", field: error.column, reason: "required")
        case "23514", "23P01": self.init(.invalidParams, "invalid params: a value breaks a rule", field: field, reason: error.constraint)
        case "42501": self.init(.forbidden, "forbidden")
        case "25006": self.init(.forbidden, "forbidden: this role only reads")
        case "57014": self.init(.deadlineExceeded, "the request ran past its deadline and was cancelled")
        case "22001": self.init(.invalidParams, "invalid params: a value is too long", field: field, reason: "too_long")
        case _ where state.hasPrefix("22"): self.init(.invalidParams, "invalid params: a value has the wrong format", field: field, reason: "format")
        default: self.init(.internalError, "internal error")
        }
    }

    /// `Key (email)=(x) already exists.` or `field=email` → the column name.
    static func fieldFromDetail(_ detail: String) -> String? {
        if detail.hasPrefix("field=") { return String(detail.dropFirst(6)) }
        guard detail.hasPrefix("Key ("), let close = detail.firstIndex(of: ")") else { return nil }
        let inner = detail[detail.index(detail.startIndex, offsetBy: 5)..<close]
        return inner.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Any error as a protocol error; unknown errors become a generic internal error.
    public static func from(_ error: any Error) -> CRMError {
        if let e = error as? CRMError { return e }
        if let e = error as? PQError { return CRMError(e) }
        return CRMError(.internalError, "internal error")
    }
}
