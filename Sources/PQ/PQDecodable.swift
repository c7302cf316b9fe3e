public import Foundation

/// A Swift type that can be read from a cell in PostgreSQL's text format.
public protocol PQDecodable: Sendable {
    init(pqText: Substring, column: String) throws(PQError)
}

extension String: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) { self = String(pqText) }
}

extension Int: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) {
        guard let v = Int(pqText) else { throw PQRow.decodeError(column, "Int", pqText) }
        self = v
    }
}

extension Int32: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) {
        guard let v = Int32(pqText) else { throw PQRow.decodeError(column, "Int32", pqText) }
        self = v
    }
}

extension Int64: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) {
        guard let v = Int64(pqText) else { throw PQRow.decodeError(column, "Int64", pqText) }
        self = v
    }
}

extension Double: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) {
        guard let v = Double(pqText) else { throw PQRow.decodeError(column, "Double", pqText) }
        self = v
    }
}

extension Bool: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) {
        switch pqText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PQRow.decodeError(column, "Bool", pqText)
        }
    }
}

extension UUID: PQDecodable {
    public init(pqText: Substring, column: String) throws(PQError) {
        guard let v = UUID(uuidString: String(pqText)) else { throw PQRow.decodeError(column, "UUID", pqText) }
        self = v
    }
}

