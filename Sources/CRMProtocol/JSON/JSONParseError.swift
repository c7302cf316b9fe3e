/// Why and where `JSONParser` rejected its input.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// A string holds bytes that are not well-formed UTF-8 (overlong forms, UTF-8-encoded
        /// surrogates, bytes above 0xF4, truncated or broken sequences).
        case invalidUTF8
        /// Arrays and objects nest deeper than `maxDepth`.
        case tooDeep
        /// The input ended inside a value (or held no value at all).
        case unexpectedEnd
        /// A byte that cannot start or continue the value here.
        case unexpectedCharacter
        /// Something other than whitespace follows the value.
        case trailingData
        /// A number that does not follow RFC 8259's grammar (leading zeros, "1.", "-", "1e").
        case invalidNumber
        /// A backslash escape that is not one of `\" \\ \/ \b \f \n \r \t \uXXXX`, or a
        /// `\u` escape of a lone surrogate.
        case invalidEscape
        /// A byte below 0x20 inside a string; such characters must be escaped.
        case controlCharacterInString
        /// A number lexeme longer than `JSONParser.maxNumberLength`.
        case numberTooLong
    }

    public let reason: Reason
    /// The zero-based byte offset of the problem in the input (for numbers and escapes, where
    /// the number or escape starts; for a bad UTF-8 sequence, its first byte).
    public let offset: Int
    /// The offending byte, when there is one (unexpected characters, trailing data, control
    /// characters, bad UTF-8).
    public let byte: UInt8?

    public init(_ reason: Reason, offset: Int, byte: UInt8? = nil) {
        self.reason = reason
        self.offset = offset
        self.byte = byte
    }

    /// For example "unexpected character 'x' at byte 17".
    public var description: String {
        let at = "at byte \(offset)"
        switch reason {
        case .invalidUTF8: return "invalid UTF-8 \(at)"
        case .tooDeep: return "arrays and objects nested too deep \(at)"
        case .unexpectedEnd: return "unexpected end of input \(at)"
        case .unexpectedCharacter: return "unexpected \(Self.describe(byte)) \(at)"
        case .trailingData: return "unexpected \(Self.describe(byte)) after the value \(at)"
        case .invalidNumber: return "invalid number \(at)"
        case .invalidEscape: return "invalid escape sequence \(at)"
        case .controlCharacterInString: return "unescaped control character \(Self.describe(byte)) in string \(at)"
        case .numberTooLong: return "number longer than \(JSONParser.maxNumberLength) characters \(at)"
        }
    }

    private static func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "character" }
        if byte >= 0x21 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}
