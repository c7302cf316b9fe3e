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

/// An error that knows the protocol error it stands for (the database layer's errors, say).
public protocol CRMErrorConvertible: Error {
    var crmError: CRMError { get }
}

extension CRMError {
    /// Any error as a protocol error; unknown errors become a generic internal error.
    public static func from(_ error: any Error) -> CRMError {
        if let e = error as? CRMError { return e }
        if let e = error as? any CRMErrorConvertible { return e.crmError }
        return CRMError(.internalError, "internal error")
    }
}
