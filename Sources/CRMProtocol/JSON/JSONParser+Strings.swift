/// Strings: UTF-8 validation, escapes, and the no-escape fast path.
extension JSONParserState {
    /// A string starting at the opening quote at `i`; leaves `i` after the closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        i += 1
        let start = i
        try scanPlain()
        if bytes[i] == JSONByte.quote {
            // Fast path: no escapes, so the bytes are the string.
            defer { i += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while true {
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i]))
            if bytes[i] == JSONByte.quote {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            try appendEscape()
            runStart = i
            try scanPlain()
        }
    }

    /// Advances over bytes that stand for themselves (checking UTF-8 and rejecting control
    /// characters) and stops at a quote or backslash, which is then at `i`.
    @inline(__always)
    mutating func scanPlain() throws(JSONParseError) {
        while true {
            // Eight bytes at a time while none is special: < 0x20, '"', '\\' or >= 0x80.
            while i &+ 8 <= end {
                let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if Self.hasSpecialByte(w) { break }
                i &+= 8
            }
            guard i < end else { throw fail(.unexpectedEnd) }
            let c = bytes[i]
            if c == JSONByte.quote || c == JSONByte.backslash { return }
            if c < 0x20 { throw fail(.controlCharacterInString) }
            if c < 0x80 {
                i &+= 1
            } else {
                try skipMultiByteScalar()
            }
        }
    }

    @inline(__always)
    static func hasSpecialByte(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        // A byte below n shows as a high bit in (w - n) & ~w; exact for "any byte", which is all
        // that is asked.
        let control = (w &- ones &* 0x20) & ~w
        let q = w ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q
        let b = w ^ (ones &* 0x5C)
        let backslash = (b &- ones) & ~b
        return (control | quote | backslash | w) & highs != 0
    }

    /// One well-formed multi-byte UTF-8 sequence (Unicode Table 3-7) starting at `i`.
    @inline(__always)
    mutating func skipMultiByteScalar() throws(JSONParseError) {
        let lead = bytes[i]
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        let trailing: Int
        switch lead {
        case 0xC2...0xDF: trailing = 1
        case 0xE0: trailing = 2; low = 0xA0  // no overlong 3-byte forms
        case 0xED: trailing = 2; high = 0x9F  // no surrogates
        case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
        case 0xF0: trailing = 3; low = 0x90  // no overlong 4-byte forms
        case 0xF1...0xF3: trailing = 3
        case 0xF4: trailing = 3; high = 0x8F  // nothing above U+10FFFF
        default: throw fail(.invalidUTF8)  // continuation bytes, C0, C1, F5...FF
        }
        guard i + trailing < end else { throw fail(.invalidUTF8) }
        let second = bytes[i + 1]
        guard second >= low && second <= high else { throw fail(.invalidUTF8) }
        if trailing >= 2 {
            guard bytes[i + 2] & 0xC0 == 0x80 else { throw fail(.invalidUTF8) }
            if trailing == 3 {
                guard bytes[i + 3] & 0xC0 == 0x80 else { throw fail(.invalidUTF8) }
            }
        }
        i += trailing + 1
    }

    /// Decodes the escape at `i` (a backslash) into `scratch`.
    mutating func appendEscape() throws(JSONParseError) {
        let escape = i
        i += 1
        guard i < end else { throw fail(.unexpectedEnd) }
        let c = bytes[i]
        i += 1
        switch c {
        case JSONByte.quote, JSONByte.backslash, UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hex4(escape: escape)
            var scalar = unit
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed by an escaped low one.
                guard i < end else { throw fail(.unexpectedEnd) }
                guard bytes[i] == JSONByte.backslash else { throw JSONParseError(.invalidEscape, offset: escape) }
                guard i + 1 < end else { throw JSONParseError(.unexpectedEnd, offset: i + 1) }
                guard bytes[i + 1] == UInt8(ascii: "u") else { throw JSONParseError(.invalidEscape, offset: escape) }
                i += 2
                let low = try hex4(escape: escape)
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.invalidEscape, offset: escape) }
                scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw JSONParseError(.invalidEscape, offset: escape)
            default:
                break
            }
            appendUTF8(scalar)
        default:
            throw JSONParseError(.invalidEscape, offset: escape)
        }
    }

    /// Four hex digits at `i`.
    mutating func hex4(escape: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard i < end else { throw fail(.unexpectedEnd) }
            let c = bytes[i]
            let digit: UInt8
            switch c {
            case JSONByte.zero...JSONByte.nine: digit = c - JSONByte.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidEscape, offset: escape)
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    /// A scalar value (never a surrogate) as UTF-8.
    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
