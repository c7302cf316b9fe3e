import CRMModel

/// Checks params against their declarations; the first problem becomes -32602 with
/// `error.data.field` naming the parameter (dotted for nested ones: `address.city`).
enum ParamValidation {
    static func validate(_ params: JSON?, against specs: [ParamSpec]) throws(CRMError) -> JSONObject {
        var object: JSONObject
        switch params {
        case nil, .null?:
            object = JSONObject()
        case .object(let o)?:
            object = o
        case .array(let values)?:
            // By-position params map onto the declared order.
            guard values.count <= specs.count else {
                throw CRMError.invalidParams("params", "has \(values.count) positional values, the method takes \(specs.count)")
            }
            object = JSONObject()
            for (spec, value) in zip(specs, values) { object[spec.name] = value }
        default:
            throw CRMError.invalidParams("params", "must be an object")
        }
        try check(object, specs, path: "")
        return object
    }

    private static func check(_ object: JSONObject, _ specs: [ParamSpec], path: String) throws(CRMError) {
        let known = Set(specs.map(\.name))
        for key in object.keys where !known.contains(key) {
            throw CRMError.invalidParams(path + key, "is not a parameter of this method")
        }
        for spec in specs {
            let field = path + spec.name
            guard let value = object[spec.name], !value.isNull else {
                if spec.required { throw CRMError.invalidParams(field, "is required") }
                continue
            }
            try check(value, spec.kind, field: field)
        }
    }

    private static func check(_ value: JSON, _ kind: ParamSpec.Kind, field: String) throws(CRMError) {
        switch kind {
        case .string(let max):
            guard case .string(let s) = value else { throw mistyped(field, "a string", value) }
            guard s.unicodeScalars.count <= max else { throw CRMError.invalidParams(field, "is longer than \(max) characters") }
            guard !s.unicodeScalars.contains(where: { $0.value == 0 }) else { throw CRMError.invalidParams(field, "contains a NUL character") }
        case .integer(let min, let max):
            guard case .number = value, let i = value.int64Value else { throw mistyped(field, "an integer", value) }
            guard i >= min && i <= max else { throw CRMError.invalidParams(field, "must be between \(min) and \(max)") }
        case .number:
            guard case .number = value, let d = value.doubleValue, d.isFinite else { throw mistyped(field, "a number", value) }
        case .decimal(let scale):
            try checkDecimal(value, scale, field: field)
        case .decimalWithin(let scale, let min, let max):
            let text = try checkDecimal(value, scale, field: field)
            guard let d = Double(text), d >= min, d <= max else {
                throw CRMError.invalidParams(field, "must be between \(Amount.text(min)) and \(Amount.text(max))")
            }
        case .shaped(let shape):
            guard case .string(let s) = value else { throw mistyped(field, "a string", value) }
            guard shape.matches(s) else { throw CRMError.invalidParams(field, "must be \(shape.name)") }
        case .boolean:
            guard case .bool = value else { throw mistyped(field, "a boolean", value) }
        case .id:
            guard IDText.normalise(value) != nil else { throw mistyped(field, "an id (a string of digits)", value) }
        case .uuid:
            guard case .string(let s) = value, UUIDText.isValid(s) else { throw mistyped(field, "a UUID", value) }
        case .timestamp:
            guard case .string(let s) = value, DateText.isTimestamp(s) else { throw mistyped(field, "an RFC 3339 timestamp", value) }
        case .date:
            guard case .string(let s) = value, DateText.isDate(s) else { throw mistyped(field, "a date (YYYY-MM-DD)", value) }
        case .oneOf(let allowed):
            guard case .string(let s) = value else { throw mistyped(field, "a string", value) }
            guard allowed.contains(s) else {
                throw CRMError.invalidParams(field, "must be one of: \(allowed.joined(separator: ", "))")
            }
        case .object(let properties):
            guard case .object(let o) = value else { throw mistyped(field, "an object", value) }
            if let properties { try check(o, properties, path: field + ".") }
        case .array(let element, let maxItems):
            guard case .array(let items) = value else { throw mistyped(field, "an array", value) }
            guard items.count <= maxItems else { throw CRMError.invalidParams(field, "has more than \(maxItems) items") }
            for (i, item) in items.enumerated() { try check(item, element, field: "\(field)[\(i)]") }
        }
    }

    /// An amount's text, or -32602 naming the field.
    @discardableResult
    private static func checkDecimal(_ value: JSON, _ scale: Int, field: String) throws(CRMError) -> String {
        let text: String
        switch value {
        case .string(let s): text = s
        case .number(let n): text = n
        default: throw mistyped(field, "a decimal amount", value)
        }
        guard Amount.isValid(text, maxScale: scale) else {
            throw CRMError.invalidParams(field, "must be a decimal with at most \(scale) decimals and 15 digits before the point")
        }
        return text
    }

    private static func mistyped(_ field: String, _ wanted: String, _ got: JSON) -> CRMError {
        CRMError.invalidParams(field, "must be \(wanted), got \(got.typeName)")
    }
}

/// Amounts: optional minus, up to 15 integer digits, at most `maxScale` decimals.
enum Amount {
    /// A bound as a client reads it: 100, not 100.0.
    static func text(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    static func isValid(_ text: String, maxScale: Int) -> Bool {
        var s = Substring(text)
        if s.first == "-" { s = s.dropFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 15,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= maxScale, frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        }
        return true
    }
}

/// Record ids travel as strings of digits; integers are accepted too.
public enum IDText {
    public static func normalise(_ value: JSON) -> String? {
        let text: String
        switch value {
        case .string(let s): text = s
        case .number(let n): text = n
        default: return nil
        }
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return text
    }
}

enum UUIDText {
    static func isValid(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == 45 else { return false }
            } else {
                guard (48...57).contains(c) || (97...102).contains(c) || (65...70).contains(c) else { return false }
            }
        }
        return true
    }
}

public enum DateText {
    /// YYYY-MM-DD with a plausible month and day.
    public static func isDate(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digits.allSatisfy({ (48...57).contains(u[$0]) }) else { return false }
        let month = Int(u[5] - 48) * 10 + Int(u[6] - 48)
        let day = Int(u[8] - 48) * 10 + Int(u[9] - 48)
        return (1...12).contains(month) && (1...31).contains(day)
    }

    /// RFC 3339: a date, 'T' or ' ', hh:mm:ss, optional fraction, and 'Z' or an offset.
    public static func isTimestamp(_ s: String) -> Bool {
        guard s.utf8.count >= 20, s.utf8.count <= 40, isDate(String(s.prefix(10))) else { return false }
        let rest = Array(s.utf8.dropFirst(10))
        guard rest[0] == 84 || rest[0] == 116 || rest[0] == 32 else { return false }
        let time = rest[1...]
        guard time.count >= 9 else { return false }
        let t = Array(time)
        guard t[2] == 58, t[5] == 58, [0, 1, 3, 4, 6, 7].allSatisfy({ (48...57).contains(t[$0]) }) else { return false }
        var i = 8
        if i < t.count && t[i] == 46 {
            i += 1
            let start = i
            while i < t.count && (48...57).contains(t[i]) { i += 1 }
            guard i > start else { return false }
        }
        guard i < t.count else { return false }
        if t[i] == 90 || t[i] == 122 { return i + 1 == t.count }
        guard t[i] == 43 || t[i] == 45, t.count - i == 6, t[i + 3] == 58 else { return false }
        return [1, 2, 4, 5].allSatisfy { (48...57).contains(t[i + $0]) }
    }
}
