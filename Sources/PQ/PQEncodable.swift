public import Foundation

/// A Swift value that can travel as a bound parameter in PostgreSQL's text format.
public protocol PQEncodable: Sendable {
    /// The parameter's text, or nil for SQL NULL.
    var pqText: String? { get }
}

extension String: PQEncodable { public var pqText: String? { self } }
extension Substring: PQEncodable { public var pqText: String? { String(self) } }
extension Int: PQEncodable { public var pqText: String? { String(self) } }
extension Int32: PQEncodable { public var pqText: String? { String(self) } }
extension Int64: PQEncodable { public var pqText: String? { String(self) } }
extension Double: PQEncodable { public var pqText: String? { self.isFinite ? String(self) : nil } }
extension Bool: PQEncodable { public var pqText: String? { self ? "t" : "f" } }
extension UUID: PQEncodable { public var pqText: String? { uuidString.lowercased() } }


extension Optional: PQEncodable where Wrapped: PQEncodable {
    public var pqText: String? { self?.pqText }
}

/// Arrays travel as a PostgreSQL array literal (`{"a","b",NULL}`), still as one bound parameter.
extension Array: PQEncodable where Element: PQEncodable {
    public var pqText: String? {
        var out = "{"
        for (i, element) in enumerated() {
            if i > 0 { out += "," }
            guard let text = element.pqText else { out += "NULL"; continue }
            out += "\""
            for ch in text.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }
}

/// A JSON document passed through as text (for `jsonb` parameters and JSON results).
public struct PQJSON: PQEncodable, PQDecodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public var pqText: String? { text }
    public init(pqText: Substring, column: String) throws(PQError) { self.text = String(pqText) }
}

/// A `numeric` kept as its exact decimal text: money never goes through a Double.
public struct PQDecimal: PQEncodable, PQDecodable, Hashable, CustomStringConvertible {
    public let text: String

    /// Accepts an optional sign, digits and an optional fraction ("-12", "3.50").
    public init?(_ text: String) {
        guard Self.isDecimal(text) else { return nil }
        self.text = text
    }

    public init(pqText: Substring, column: String) throws(PQError) {
        guard Self.isDecimal(pqText) else { throw PQRow.decodeError(column, "numeric", pqText) }
        self.text = String(pqText)
    }

    public var pqText: String? { text }
    public var description: String { text }

    /// Digits after the decimal point.
    public var scale: Int {
        guard let dot = text.firstIndex(of: ".") else { return 0 }
        return text.distance(from: text.index(after: dot), to: text.endIndex)
    }

    static func isDecimal<S: StringProtocol>(_ s: S) -> Bool {
        var utf8 = Substring(s).utf8[...]
        if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") { utf8 = utf8.dropFirst() }
        let intPart = utf8.prefix { $0 >= 48 && $0 <= 57 }
        guard !intPart.isEmpty else { return false }
        utf8 = utf8.dropFirst(intPart.count)
        if utf8.isEmpty { return true }
        guard utf8.first == UInt8(ascii: ".") else { return false }
        utf8 = utf8.dropFirst()
        return !utf8.isEmpty && utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
