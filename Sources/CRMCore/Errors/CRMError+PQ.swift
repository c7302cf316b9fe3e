public import CRMModel
public import PQ

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
        case "CR409": self.init(.conflict, error.message, field: field, reason: error.constraint ?? error.hint)
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
}

extension PQError: CRMErrorConvertible {
    public var crmError: CRMError { CRMError(self) }
}
