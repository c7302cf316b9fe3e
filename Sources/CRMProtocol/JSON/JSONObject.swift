/// A JSON object: its members in the order they appeared (or were added).
///
/// Repeated keys are kept as they came (the parser does not reject them); lookups see the last
/// one, as most JSON implementations do. Setting a key leaves exactly one member with that key.
/// Keys compare with `String`'s `==`, the same equality a `Set<String>` of known names uses.
/// Lookups scan the members, which for the small objects of JSON-RPC beats hashing.
/// Equality is order-sensitive: `{"a":1,"b":2} != {"b":2,"a":1}`.
public struct JSONObject: Sendable, Equatable {
    /// The keys in order, repeats included.
    public private(set) var keys: [String]
    /// The values in the order of `keys`.
    public private(set) var values: [JSON]

    public init() {
        keys = []
        values = []
    }

    public init(_ pairs: [(String, JSON)]) {
        keys = pairs.map(\.0)
        values = pairs.map(\.1)
    }

    /// Parallel arrays of equal length.
    init(keys: [String], values: [JSON]) {
        assert(keys.count == values.count)
        self.keys = keys
        self.values = values
    }

    /// The number of members, repeats included.
    public var count: Int { keys.count }

    public var isEmpty: Bool { keys.isEmpty }

    /// The value of the last member named `key`. Setting a value replaces every member named
    /// `key` with one at the first one's position (or appends it); setting nil removes them.
    public subscript(key: String) -> JSON? {
        get {
            guard let i = lastIndex(of: key) else { return nil }
            return values[i]
        }
        set {
            if let newValue {
                set(key, newValue)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets `key` to `value`: replaces the first member named `key` (dropping any repeats) or
    /// appends a new member.
    public mutating func set(_ key: String, _ value: JSON) {
        guard let first = keys.firstIndex(of: key) else {
            keys.append(key)
            values.append(value)
            return
        }
        values[first] = value
        if first + 1 < keys.count, keys[(first + 1)...].contains(key) {
            removeRepeats(of: key, after: first)
        }
    }

    /// Removes every member named `key`; returns the value a lookup would have given.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let last = lastIndex(of: key) else { return nil }
        let old = values[last]
        var i = keys.count - 1
        while i >= 0 {
            if keys[i] == key {
                keys.remove(at: i)
                values.remove(at: i)
            }
            i -= 1
        }
        return old
    }

    private func lastIndex(of key: String) -> Int? {
        var i = keys.count - 1
        while i >= 0 {
            if keys[i] == key { return i }
            i -= 1
        }
        return nil
    }

    private mutating func removeRepeats(of key: String, after first: Int) {
        var i = keys.count - 1
        while i > first {
            if keys[i] == key {
                keys.remove(at: i)
                values.remove(at: i)
            }
            i -= 1
        }
    }
}

extension JSONObject: Sequence {
    public typealias Element = (key: String, value: JSON)

    public struct Iterator: IteratorProtocol {
        let object: JSONObject
        var index = 0

        public mutating func next() -> (key: String, value: JSON)? {
            guard index < object.keys.count else { return nil }
            defer { index += 1 }
            return (object.keys[index], object.values[index])
        }
    }

    public func makeIterator() -> Iterator { Iterator(object: self) }

    public var underestimatedCount: Int { keys.count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements)
    }
}
