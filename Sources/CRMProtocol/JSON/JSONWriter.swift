public import NIOCore

/// Compact serialization: no whitespace, object members in order, numbers as their lexemes,
/// `.raw` text verbatim except for line breaks (see `appendRaw`). In strings, `"` and `\` are escaped, control characters become
/// `\n \r \t \b \f` or `\u00XX`, and everything else (including non-ASCII) passes through as
/// UTF-8. Nested values are written recursively; parsed values are at most `maxDepth` deep.
extension JSON {
    public func write(into buffer: inout ByteBuffer) {
        // Appending to an array byte by byte is several times cheaper than to a ByteBuffer;
        // one copy at the end costs less than the difference.
        var output = JSONOutput(bytes: [])
        output.bytes.reserveCapacity(256)
        output.write(self)
        buffer.writeBytes(output.bytes)
    }

    public func write(into bytes: inout [UInt8]) {
        var output = JSONOutput(bytes: bytes)
        bytes = []  // keep the storage uniquely referenced while writing
        output.write(self)
        bytes = output.bytes
    }

    /// The compact serialization as a string.
    public var serialized: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The serializer's state: the bytes written so far.
struct JSONOutput {
    var bytes: [UInt8]

    @inline(__always)
    mutating func append(_ byte: UInt8) { bytes.append(byte) }

    @inline(__always)
    mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    mutating func write(_ value: JSON) {
        switch value {
        case .null: appendASCII("null")
        case .bool(let b): appendASCII(b ? "true" : "false")
        case .number(let lexeme): appendUTF8(lexeme)
        case .raw(let text): appendRaw(text)
        case .string(let s): writeString(s)
        case .array(let items):
            append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { append(UInt8(ascii: ",")) }
                first = false
                write(item)
            }
            append(UInt8(ascii: "]"))
        case .object(let object):
            append(UInt8(ascii: "{"))
            for index in object.keys.indices {
                if index > 0 { append(UInt8(ascii: ",")) }
                writeString(object.keys[index])
                append(UInt8(ascii: ":"))
                write(object.values[index])
            }
            append(UInt8(ascii: "}"))
        }
    }

    mutating func appendASCII(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Pre-serialized JSON (from PostgreSQL) on a line protocol: PostgreSQL's json_agg and
    /// pretty output put line breaks between elements. In valid JSON a raw CR or LF can only be
    /// whitespace between tokens (inside strings they are escaped), so they become spaces and
    /// a message always stays on one line.
    mutating func appendRaw(_ text: String) {
        let start = bytes.count
        appendUTF8(text)
        for i in start..<bytes.count where bytes[i] == 10 || bytes[i] == 13 {
            bytes[i] = 32
        }
    }

    /// A quoted, escaped string; runs of bytes that need no escape are copied in one go.
    mutating func writeString(_ string: String) {
        append(JSONByte.quote)
        var string = string
        string.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            var runStart = 0
            for index in 0..<bytes.count {
                let c = bytes[index]
                guard c < 0x20 || c == JSONByte.quote || c == JSONByte.backslash else { continue }
                if runStart < index { append(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
                runStart = index + 1
                append(JSONByte.backslash)
                switch c {
                case JSONByte.quote, JSONByte.backslash: append(c)
                case 0x0A: append(UInt8(ascii: "n"))
                case 0x0D: append(UInt8(ascii: "r"))
                case 0x09: append(UInt8(ascii: "t"))
                case 0x08: append(UInt8(ascii: "b"))
                case 0x0C: append(UInt8(ascii: "f"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    appendASCII("u00")
                    append(hex.utf8Start[Int(c >> 4)])
                    append(hex.utf8Start[Int(c & 0x0F)])
                }
            }
            if runStart < bytes.count { append(UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
        }
        append(JSONByte.quote)
    }
}
