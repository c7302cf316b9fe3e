public import NIOCore

/// A strict RFC 8259 parser: exactly one value, optionally surrounded by whitespace (space, tab,
/// LF, CR). No comments, trailing commas, single quotes, NaN/Infinity, leading zeros or byte
/// order mark. Strings must be well-formed UTF-8 with control characters escaped; `\u` escapes
/// must pair surrogates. Numbers keep their lexeme. Repeated object keys are kept (lookups see
/// the last). Nesting is tracked on an explicit stack, so depth is bounded by `maxDepth`, not by
/// the thread's stack.
public enum JSONParser {
    /// The longest number lexeme accepted, in bytes.
    public static let maxNumberLength = 1000

    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        var parser = JSONParserState(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses the buffer's readable bytes (the reader index does not move).
    public static func parse(_ buffer: ByteBuffer, maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        try buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSON in try parse(bytes, maxDepth: maxDepth) }
        }.get()
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        try bytes.withUnsafeBytes { bytes in
            Result { () throws(JSONParseError) -> JSON in try parse(bytes, maxDepth: maxDepth) }
        }.get()
    }

    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        var text = text
        return try text.withUTF8 { utf8 in
            Result { () throws(JSONParseError) -> JSON in try parse(UnsafeRawBufferPointer(utf8), maxDepth: maxDepth) }
        }.get()
    }
}

enum JSONByte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
}

/// An open array or object: where its values (and keys) start on the shared stacks.
private struct Frame {
    var isObject: Bool
    var valueStart: Int
    var keyStart: Int
}

struct JSONParserState {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    let maxDepth: Int
    var i = 0
    /// Reused for strings with escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.end = bytes.count
        self.maxDepth = maxDepth
    }

    // MARK: Structure

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        var values: [JSON] = []
        var keys: [String] = []
        var frames: [Frame] = []
        if end > 2 {
            values.reserveCapacity(32)
            keys.reserveCapacity(16)
            frames.reserveCapacity(8)
        }
        outer: while true {
            skipWhitespace()
            guard i < end else { throw fail(.unexpectedEnd) }
            var value: JSON
            let c = bytes[i]
            switch c {
            case JSONByte.openBrace, JSONByte.openBracket:
                guard frames.count < maxDepth else { throw fail(.tooDeep) }
                let isObject = c == JSONByte.openBrace
                i += 1
                skipWhitespace()
                if i < end && bytes[i] == (isObject ? JSONByte.closeBrace : JSONByte.closeBracket) {
                    i += 1
                    value = isObject ? .object(JSONObject()) : .array([])
                } else {
                    frames.append(Frame(isObject: isObject, valueStart: values.count, keyStart: keys.count))
                    if isObject { keys.append(try parseKey()) }
                    continue outer
                }
            case JSONByte.quote:
                value = .string(try parseString())
            case JSONByte.minus, JSONByte.zero...JSONByte.nine:
                value = .number(try parseNumber())
            case UInt8(ascii: "t"):
                try literal("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                value = .null
            default:
                throw fail(.unexpectedCharacter)
            }
            // A value is complete: add it to the open container, closing containers as they end.
            while let frame = frames.last {
                values.append(value)
                skipWhitespace()
                guard i < end else { throw fail(.unexpectedEnd) }
                let c = bytes[i]
                if c == JSONByte.comma {
                    i += 1
                    if frame.isObject {
                        skipWhitespace()
                        keys.append(try parseKey())
                    }
                    continue outer
                }
                guard c == (frame.isObject ? JSONByte.closeBrace : JSONByte.closeBracket) else {
                    throw fail(.unexpectedCharacter)
                }
                i += 1
                frames.removeLast()
                if frame.isObject {
                    value = .object(JSONObject(keys: Array(keys[frame.keyStart...]), values: Array(values[frame.valueStart...])))
                    keys.removeSubrange(frame.keyStart...)
                } else {
                    value = .array(Array(values[frame.valueStart...]))
                }
                values.removeSubrange(frame.valueStart...)
            }
            skipWhitespace()
            guard i == end else { throw fail(.trailingData) }
            return value
        }
    }

    /// `"key"` then `:`.
    mutating func parseKey() throws(JSONParseError) -> String {
        guard i < end else { throw fail(.unexpectedEnd) }
        guard bytes[i] == JSONByte.quote else { throw fail(.unexpectedCharacter) }
        let key = try parseString()
        skipWhitespace()
        guard i < end else { throw fail(.unexpectedEnd) }
        guard bytes[i] == JSONByte.colon else { throw fail(.unexpectedCharacter) }
        i += 1
        return key
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expected in text {
            guard i < end else { throw fail(.unexpectedEnd) }
            guard bytes[i] == expected else { throw fail(.unexpectedCharacter) }
            i += 1
        }
    }

    // MARK: Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as its lexeme.
    mutating func parseNumber() throws(JSONParseError) -> String {
        let start = i
        if bytes[i] == JSONByte.minus { i += 1 }
        guard i < end, isDigit(bytes[i]) else { throw JSONParseError(.invalidNumber, offset: start) }
        if bytes[i] == JSONByte.zero {
            i += 1
            if i < end && isDigit(bytes[i]) { throw JSONParseError(.invalidNumber, offset: start) }
        } else {
            skipDigits()
        }
        if i < end && bytes[i] == JSONByte.dot {
            i += 1
            guard i < end, isDigit(bytes[i]) else { throw JSONParseError(.invalidNumber, offset: start) }
            skipDigits()
        }
        if i < end && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < end && (bytes[i] == JSONByte.plus || bytes[i] == JSONByte.minus) { i += 1 }
            guard i < end, isDigit(bytes[i]) else { throw JSONParseError(.invalidNumber, offset: start) }
            skipDigits()
        }
        guard i - start <= JSONParser.maxNumberLength else { throw JSONParseError(.numberTooLong, offset: start) }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }

    @inline(__always)
    func isDigit(_ c: UInt8) -> Bool { c &- JSONByte.zero < 10 }

    @inline(__always)
    mutating func skipDigits() {
        while i < end && isDigit(bytes[i]) { i += 1 }
    }

    // MARK: Errors

    /// An error at the current offset, naming the byte there if there is one.
    func fail(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason, offset: i, byte: i < end ? bytes[i] : nil)
    }
}
