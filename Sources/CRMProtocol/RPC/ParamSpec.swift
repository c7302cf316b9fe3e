/// The declared shape of one parameter: its name, type, limits and whether it is required.
/// Declarations drive both validation (before any SQL runs) and `rpc.discover`.
public struct ParamSpec: Sendable {
    public indirect enum Kind: Sendable {
        case string(maxLength: Int)
        case integer(min: Int64, max: Int64)
        case number
        /// An amount: a decimal string or JSON number with at most `maxScale` decimals.
        case decimal(maxScale: Int)
        case boolean
        /// A record id: a string (or integer) of 1–18 digits.
        case id
        case uuid
        /// An RFC 3339 timestamp.
        case timestamp
        /// A calendar date, YYYY-MM-DD.
        case date
        case oneOf([String])
        /// A string of a declared shape (a month, a year), checked before anything runs.
        case shaped(TextShape)
        /// An amount (as `.decimal`) within bounds, e.g. a percentage 0–100.
        case decimalWithin(maxScale: Int, min: Double, max: Double)
        /// An object with declared properties, or any object when `properties` is nil.
        case object(properties: [ParamSpec]?)
        case array(of: Kind, maxItems: Int)
    }

    public let name: String
    public let kind: Kind
    public let required: Bool
    public let summary: String

    public init(_ name: String, _ kind: Kind, required: Bool = false, _ summary: String = "") {
        self.name = name
        self.kind = kind
        self.required = required
        self.summary = summary
    }

    // Shorthands for the common cases.
    public static func string(_ name: String, required: Bool = false, max: Int = 500, _ summary: String = "") -> ParamSpec {
        ParamSpec(name, .string(maxLength: max), required: required, summary)
    }
    public static func id(_ name: String, required: Bool = false, _ summary: String = "") -> ParamSpec {
        ParamSpec(name, .id, required: required, summary)
    }
    public static func amount(_ name: String, required: Bool = false, _ summary: String = "") -> ParamSpec {
        ParamSpec(name, .decimal(maxScale: 2), required: required, summary)
    }
    /// An amount of at most two decimals from `min` (0: never negative) up to `max`.
    public static func amount(_ name: String, required: Bool = false, min: Double, max: Double = 1e15, _ summary: String = "") -> ParamSpec {
        ParamSpec(name, .decimalWithin(maxScale: 2, min: min, max: max), required: required, summary)
    }
    /// A calendar month, YYYY-MM.
    public static func month(_ name: String, required: Bool = false, _ summary: String = "YYYY-MM") -> ParamSpec {
        ParamSpec(name, .shaped(.month), required: required, summary)
    }
    public static func limit() -> ParamSpec {
        ParamSpec("limit", .integer(min: 1, max: Int64(Paging.maxLimit)), "page size (default \(Paging.defaultLimit))")
    }
    public static func cursor() -> ParamSpec {
        ParamSpec("cursor", .string(maxLength: 200), "opaque cursor from the previous page's next_cursor")
    }
}

extension ParamSpec.Kind {
    /// A JSON Schema fragment for OpenRPC.
    var schema: JSON {
        switch self {
        case .string(let max): return ["type": "string", "maxLength": .number(max)]
        case .integer(let min, let max): return ["type": "integer", "minimum": .number(min), "maximum": .number(max)]
        case .number: return ["type": "number"]
        case .decimal(let scale):
            return ["oneOf": [["type": "string", "pattern": .string("^-?[0-9]+(\\.[0-9]{1,\(scale)})?$")], ["type": "number"]]]
        case .boolean: return ["type": "boolean"]
        case .id: return ["type": "string", "pattern": "^[0-9]{1,18}$"]
        case .uuid: return ["type": "string", "format": "uuid"]
        case .timestamp: return ["type": "string", "format": "date-time"]
        case .date: return ["type": "string", "format": "date"]
        case .oneOf(let values): return ["type": "string", "enum": .array(values.map { .string($0) })]
        case .shaped(let shape): return ["type": "string", "pattern": .string(shape.pattern)]
        case .decimalWithin(let scale, let min, let max):
            return ["oneOf": [["type": "string", "pattern": .string("^-?[0-9]+(\\.[0-9]{1,\(scale)})?$")], ["type": "number"]],
                    "minimum": .number(Amount.text(min)), "maximum": .number(Amount.text(max))]
        case .object(let properties):
            guard let properties else { return ["type": "object"] }
            var props = JSONObject()
            for p in properties { props[p.name] = p.kind.schema }
            let required = properties.filter(\.required).map { JSON.string($0.name) }
            return ["type": "object", "properties": .object(props), "required": .array(required), "additionalProperties": false]
        case .array(let element, let maxItems):
            return ["type": "array", "items": element.schema, "maxItems": .number(maxItems)]
        }
    }
}

/// A string parameter's shape: what a client is told (`name`, and `pattern` in rpc.discover) and
/// the check that holds it (`matches`), without a regular-expression engine per call.
public struct TextShape: Sendable {
    public let name: String
    public let pattern: String
    public let matches: @Sendable (String) -> Bool

    public init(name: String, pattern: String, matches: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.pattern = pattern
        self.matches = matches
    }

    /// YYYY-MM with a real month.
    public static let month = TextShape(name: "YYYY-MM", pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$") { s in
        s.utf8.count == 7 && DateText.isDate(s + "-01")
    }
}
