/// A JSON value.
///
/// Numbers keep their lexeme exactly as it appeared (or as it was built), so integers beyond
/// 64 bits and decimals with many digits travel through the server untouched. Equality is
/// structural: numbers compare by lexeme (`1.0 != 1`), objects compare their ordered pairs.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's lexeme. The parser only produces lexemes that match RFC 8259's grammar; when
    /// building one by hand it must match it too, because the writer emits it verbatim.
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)
    /// Already-serialized JSON text (for example built by PostgreSQL's `json_build_object`),
    /// emitted verbatim by the writer. Never produced by the parser.
    case raw(String)

    /// A number from any integer type.
    public static func number(_ i: some BinaryInteger) -> JSON {
        .number(String(i))
    }
}

// MARK: - Accessors

extension JSON {
    /// The member named `key` when this is an object (the last one when the key is repeated).
    public subscript(key: String) -> JSON? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number when its lexeme is an integer (`-?digits`) that fits in `Int64`.
    /// Lexemes with a fraction or an exponent give nil, even when their value is whole
    /// (`1.0`, `1e3`): a client that means an integer should send one.
    public var int64Value: Int64? {
        guard case .number(let lexeme) = self else { return nil }
        return JSON.exactInt64(lexeme)
    }

    /// `int64Value` as an `Int`, when it fits.
    public var intValue: Int? {
        int64Value.flatMap { Int(exactly: $0) }
    }

    /// The number as the nearest `Double`. Magnitudes beyond `Double`'s range give ±infinity,
    /// tiny ones 0; check `isFinite` where that matters.
    public var doubleValue: Double? {
        guard case .number(let lexeme) = self else { return nil }
        return Double(lexeme)
    }

    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The JSON Schema name of the value's type, for error messages: "string", "number",
    /// "integer" (a number whose lexeme has no fraction or exponent), "boolean", "null",
    /// "array" or "object". A `.raw` value is named by its first non-blank byte.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let lexeme): return JSON.isIntegerLexeme(lexeme) ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        case .raw(let text):
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
                case UInt8(ascii: "{"): return "object"
                case UInt8(ascii: "["): return "array"
                case UInt8(ascii: "\""): return "string"
                case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
                case UInt8(ascii: "n"): return "null"
                default: return JSON.isIntegerLexeme(text) ? "integer" : "number"
                }
            }
            return "null"
        }
    }

    static func isIntegerLexeme(_ lexeme: String) -> Bool {
        !lexeme.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// `-?[0-9]+` within `Int64`, without going through `Double`.
    static func exactInt64(_ lexeme: String) -> Int64? {
        var utf8 = lexeme.utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty, utf8.count <= 20 else { return nil }
        // Accumulate negatively so Int64.min is representable.
        var value: Int64 = 0
        for byte in utf8 {
            let digit = Int64(byte) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}

// MARK: - Literals

extension JSON: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSON: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSON: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .number(String(value)) }
}

extension JSON: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSON: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
}

extension JSON: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}

extension JSON: CustomStringConvertible {
    /// The compact serialization.
    public var description: String { serialized }
}
