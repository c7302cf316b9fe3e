public import CRMModel
public import Foundation

/// Validated params with typed accessors. Validation has already checked every declared field's
/// type, so these accessors only decide between present and absent.
public struct Params: Sendable {
    public let object: JSONObject

    init(_ object: JSONObject) { self.object = object }

    public func has(_ name: String) -> Bool {
        guard let v = object[name] else { return false }
        return !v.isNull
    }

    public func string(_ name: String) -> String? { object[name]?.stringValue }

    public func requiredString(_ name: String) throws(CRMError) -> String {
        guard let s = string(name) else { throw CRMError.invalidParams(name, "is required") }
        return s
    }

    public func int(_ name: String) -> Int? { object[name]?.int64Value.map(Int.init) }

    public func bool(_ name: String) -> Bool? { object[name]?.boolValue }

    /// An id parameter as the digits PostgreSQL's bigint parses.
    public func id(_ name: String) -> Int64? { object[name].flatMap(IDText.normalise).flatMap { Int64($0) } }

    public func requiredID(_ name: String) throws(CRMError) -> Int64 {
        guard let v = id(name) else { throw CRMError.invalidParams(name, "is required") }
        return v
    }

    /// An amount as exact decimal text (checked by the declaration: digits, an optional sign and
    /// fraction), for a `numeric` parameter.
    public func decimal(_ name: String) -> String? {
        switch object[name] {
        case .string(let s)?: return Amount.isValid(s, maxScale: 38) ? s : nil
        case .number(let n)?: return Amount.isValid(n, maxScale: 38) ? n : nil
        default: return nil
        }
    }

    /// A nested value serialized back to JSON text, for a `jsonb` parameter.
    public func jsonText(_ name: String) -> String? {
        guard let v = object[name], !v.isNull else { return nil }
        return v.serialized
    }

    public func stringArray(_ name: String) -> [String]? {
        guard case .array(let items)? = object[name] else { return nil }
        return items.compactMap(\.stringValue)
    }

    /// An array of ids (strings or integers, validated by the declaration) as a PostgreSQL array literal.
    public func idArray(_ name: String) -> String? {
        guard case .array(let items)? = object[name] else { return nil }
        return "{" + items.compactMap(IDText.normalise).joined(separator: ",") + "}"
    }

    public func uuid(_ name: String) -> UUID? { string(name).flatMap(UUID.init(uuidString:)) }

    /// The page size, defaulting and capped.
    public var limit: Int { min(int("limit") ?? Paging.defaultLimit, Paging.maxLimit) }
}

/// Keyset paging: a cursor is the last key of the previous page, base64url-encoded so clients
/// treat it as opaque. No method returns an unbounded list.
public enum Paging {
    public static let defaultLimit = 50
    public static let maxLimit = 500

    public static func encode(_ key: String) -> String {
        Data(key.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The answer to a cursor this server did not issue (never a silent restart from page one).
    public static let notIssued = CRMError.invalidParams("cursor", "is not a cursor this server issued")

    public static func decode(_ cursor: String?) throws(CRMError) -> String? {
        guard let cursor else { return nil }
        var s = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s), let key = String(data: data, encoding: .utf8) else {
            throw Paging.notIssued
        }
        return key
    }
}

/// The cursor of a list paged by id: the last id of the page before. A cursor that is not one
/// this server issued is -32602, never a silent restart from the first page.
public enum IDCursor {
    /// Ids after the cursor's; from the start without one.
    public static func after(_ cursor: String?) throws(CRMError) -> Int64 {
        try decode(cursor) ?? 0
    }

    /// Ids before the cursor's (lists that run backwards); from the end without one.
    public static func before(_ cursor: String?) throws(CRMError) -> Int64 {
        try decode(cursor) ?? Int64.max
    }

    static func decode(_ cursor: String?) throws(CRMError) -> Int64? {
        guard let key = try Paging.decode(cursor) else { return nil }
        guard let id = Int64(key) else { throw Paging.notIssued }
        return id
    }
}

/// The cursor of a list that runs newest first: the last row's time (as PostgreSQL printed it)
/// and its id, the tie-breaker. Ids reveal nothing (ARCHITECTURE.md, "Ids"), so they give no
/// order of their own. Each statement fetches rows where `(time, id) < (cursor)`.
public enum TimeCursor {
    public static func decode(_ cursor: String?) throws(CRMError) -> (at: String?, id: Int64?) {
        guard let key = try Paging.decode(cursor) else { return (nil, nil) }
        let parts = key.split(separator: "|")
        guard parts.count == 2, parts[0].count <= 40, parts[0].first?.isNumber == true, let id = Int64(parts[1]) else {
            throw Paging.notIssued
        }
        return (String(parts[0]), id)
    }
}

/// A cursor for lists ranked by an amount: "amount|id" of the last row of the page.
public enum RankCursor {
    public static func decode(_ cursor: String?) throws(CRMError) -> (String?, Int64?) {
        guard let key = try Paging.decode(cursor) else { return (nil, nil) }
        let parts = key.split(separator: "|")
        guard parts.count == 2, Amount.isValid(String(parts[0]), maxScale: 38), let id = Int64(parts[1]) else {
            throw Paging.notIssued
        }
        return (String(parts[0]), id)
    }
}
