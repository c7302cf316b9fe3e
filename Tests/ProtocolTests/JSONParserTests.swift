import NIOCore
import XCTest

@testable import CRMProtocol

/// What the parser accepts, what it rejects, and where it says the problem is.
final class JSONParserTests: XCTestCase {
    func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSON {
        try JSONParser.parse(text, maxDepth: maxDepth)
    }

    func assertRejects(
        _ bytes: [UInt8], _ reason: JSONParseError.Reason, at offset: Int? = nil, maxDepth: Int = 64,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let value = try JSONParser.parse(bytes, maxDepth: maxDepth)
            XCTFail("accepted \(bytes.prefix(40)) as \(value.serialized.prefix(80))", file: file, line: line)
        } catch {
            XCTAssertEqual(error.reason, reason, "\(error)", file: file, line: line)
            if let offset { XCTAssertEqual(error.offset, offset, "\(error)", file: file, line: line) }
        }
    }

    func assertRejects(
        _ text: String, _ reason: JSONParseError.Reason, at offset: Int? = nil, maxDepth: Int = 64,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertRejects(Array(text.utf8), reason, at: offset, maxDepth: maxDepth, file: file, line: line)
    }

    func testScalarsAndContainers() throws {
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse("true"), .bool(true))
        XCTAssertEqual(try parse("false"), .bool(false))
        XCTAssertEqual(try parse("\"hi\""), .string("hi"))
        XCTAssertEqual(try parse("-0"), .number("-0"))
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("{}"), .object(JSONObject()))
        XCTAssertEqual(try parse(" \t\r\n{ \"a\" : [ 1 , 2.5 , { } , [ ] ] , \"b\":null } \n"),
                       ["a": [1, .number("2.5"), [:], []], "b": nil])
        let request = try parse(#"{"jsonrpc":"2.0","id":7,"method":"contacts.get","params":{"id":"42"}}"#)
        XCTAssertEqual(request["method"], "contacts.get")
        XCTAssertEqual(request["params"]?["id"], "42")
        XCTAssertEqual(request.objectValue?.keys, ["jsonrpc", "id", "method", "params"])
    }

    func testEntryPointsAgree() throws {
        let text = #"[1,"é",{"k":true}]"#
        let expected = try parse(text)
        XCTAssertEqual(try JSONParser.parse(Array(text.utf8)), expected)
        var buffer = ByteBuffer(string: "junk" + text)
        buffer.moveReaderIndex(forwardBy: 4)
        XCTAssertEqual(try JSONParser.parse(buffer), expected)
        XCTAssertEqual(buffer.readerIndex, 4, "parsing must not consume the buffer")
        let viaPointer = try Array(text.utf8).withUnsafeBytes { bytes in
            Result { () throws(JSONParseError) -> JSON in try JSONParser.parse(bytes) }
        }.get()
        XCTAssertEqual(viaPointer, expected)
    }

    func testNumbersKeepTheirLexeme() throws {
        for lexeme in ["0", "-0", "7", "-12", "123456789012345678901234567890", "1.23e-400", "1e400",
                       "0.000000000000000000000000001", "1E+2", "1e-2", "-0.0", "3.14159265358979323846264338327950288"] {
            XCTAssertEqual(try parse(lexeme), .number(lexeme))
            XCTAssertEqual(try parse("[\(lexeme)]"), .array([.number(lexeme)]))
            XCTAssertEqual(try parse(lexeme).serialized, lexeme)
        }
        XCTAssertEqual(try parse(String(repeating: "9", count: JSONParser.maxNumberLength)).serialized.count, 1000)
        assertRejects(String(repeating: "9", count: JSONParser.maxNumberLength + 1), .numberTooLong, at: 0)
        assertRejects("[1, -0." + String(repeating: "5", count: 2000) + "]", .numberTooLong, at: 4)
    }

    func testRejectsMalformedNumbers() {
        assertRejects("01", .invalidNumber, at: 0)
        assertRejects("-01", .invalidNumber, at: 0)
        assertRejects("[00]", .invalidNumber, at: 1)
        assertRejects("1.", .invalidNumber, at: 0)
        assertRejects("[1.]", .invalidNumber, at: 1)
        assertRejects("1.e5", .invalidNumber, at: 0)
        assertRejects("1e", .invalidNumber, at: 0)
        assertRejects("1e+", .invalidNumber, at: 0)
        assertRejects("-", .invalidNumber, at: 0)
        assertRejects("-.5", .invalidNumber, at: 0)
        assertRejects("-Infinity", .invalidNumber, at: 0)
        assertRejects("+1", .unexpectedCharacter, at: 0)
        assertRejects(".5", .unexpectedCharacter, at: 0)
        assertRejects("NaN", .unexpectedCharacter, at: 0)
        assertRejects("Infinity", .unexpectedCharacter, at: 0)
        assertRejects("0x10", .trailingData, at: 1)
        assertRejects("1.5.3", .trailingData, at: 3)
    }

    func testRejectsStructuralMistakes() {
        assertRejects("", .unexpectedEnd, at: 0)
        assertRejects("   ", .unexpectedEnd, at: 3)
        assertRejects("1 2", .trailingData, at: 2)
        assertRejects("{} x", .trailingData, at: 3)
        assertRejects("nullx", .trailingData, at: 4)
        assertRejects("[1]]", .trailingData, at: 3)
        assertRejects("[1,]", .unexpectedCharacter, at: 3)
        assertRejects(#"{"a":1,}"#, .unexpectedCharacter, at: 7)
        assertRejects("[,1]", .unexpectedCharacter, at: 1)
        assertRejects("[1,,2]", .unexpectedCharacter, at: 3)
        assertRejects("[1 2]", .unexpectedCharacter, at: 3)
        assertRejects(#"{"a" 1}"#, .unexpectedCharacter, at: 5)
        assertRejects(#"{"a":1 "b":2}"#, .unexpectedCharacter, at: 7)
        assertRejects("{a:1}", .unexpectedCharacter, at: 1)
        assertRejects("{1:1}", .unexpectedCharacter, at: 1)
        assertRejects("[1}", .unexpectedCharacter, at: 2)
        assertRejects(#"{"a":1]"#, .unexpectedCharacter, at: 6)
        assertRejects("'a'", .unexpectedCharacter, at: 0)
        assertRejects("{'a':1}", .unexpectedCharacter, at: 1)
        assertRejects("// c\n1", .unexpectedCharacter, at: 0)
        assertRejects("/* c */ 1", .unexpectedCharacter, at: 0)
        assertRejects("[1 /* c */]", .unexpectedCharacter, at: 3)
        assertRejects("1 # c", .trailingData, at: 2)
        assertRejects("tru", .unexpectedEnd, at: 3)
        assertRejects("trUe", .unexpectedCharacter, at: 2)
        assertRejects("True", .unexpectedCharacter, at: 0)
        assertRejects("nul", .unexpectedEnd, at: 3)
        assertRejects("[", .unexpectedEnd, at: 1)
        assertRejects("[1", .unexpectedEnd, at: 2)
        assertRejects("[1,", .unexpectedEnd, at: 3)
        assertRejects("{", .unexpectedEnd, at: 1)
        assertRejects(#"{"a""#, .unexpectedEnd, at: 4)
        assertRejects(#"{"a":"#, .unexpectedEnd, at: 5)
        assertRejects(#"{"a":1"#, .unexpectedEnd, at: 6)
        assertRejects(#""abc"#, .unexpectedEnd, at: 4)
        assertRejects("\u{FEFF}1", .unexpectedCharacter, at: 0)  // no byte order mark
        assertRejects("\u{A0}1", .unexpectedCharacter, at: 0)  // only the four JSON whitespace bytes
        assertRejects("\u{0B}1", .unexpectedCharacter, at: 0)
        assertRejects([0x31, 0x00], .trailingData, at: 1)
    }

    func testStringsAndEscapes() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u0041\u00e9\u20AC\u0000""#), .string("Aé€\u{0}"))
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse(#""x\uD83D\uDE00y""#), .string("x😀y"))
        XCTAssertEqual(try parse(#""ab\ncd\u00e9ef\"""#), .string("ab\ncdéef\""))
        XCTAssertEqual(try parse(#"{"k\u00e9y":1}"#)["kéy"], 1)
        XCTAssertEqual(try parse("\"\u{7F}é€😀\u{10FFFF}\u{D7FF}\u{E000}\""), .string("\u{7F}é€😀\u{10FFFF}\u{D7FF}\u{E000}"))
        // Long strings cross the eight-byte fast path at every alignment.
        for pad in 0..<17 {
            let s = String(repeating: "a", count: pad) + "é" + String(repeating: "b", count: pad) + "\\n😀"
            XCTAssertEqual(try parse("\"\(s)\""), .string(s.replacingOccurrences(of: "\\n", with: "\n")))
        }
    }

    func testRejectsBadStrings() {
        assertRejects("\"a\nb\"", .controlCharacterInString, at: 2)
        assertRejects("\"\t\"", .controlCharacterInString, at: 1)
        assertRejects([0x22, 0x00, 0x22], .controlCharacterInString, at: 1)
        assertRejects("\"0123456789\u{1F}\"", .controlCharacterInString, at: 11)
        assertRejects(#""\x""#, .invalidEscape, at: 1)
        assertRejects(#""\'""#, .invalidEscape, at: 1)
        assertRejects(#""\U0041""#, .invalidEscape, at: 1)
        assertRejects(#""ab\u12G4""#, .invalidEscape, at: 3)
        assertRejects(#""\u12""#, .invalidEscape, at: 1)
        assertRejects(#""\u12"#, .unexpectedEnd, at: 5)
        assertRejects(#""\"#, .unexpectedEnd, at: 2)
        assertRejects(#""\ud800""#, .invalidEscape, at: 1)
        assertRejects(#""\udc00""#, .invalidEscape, at: 1)
        assertRejects(#""\ud800x""#, .invalidEscape, at: 1)
        assertRejects(#""\ud800\u0041""#, .invalidEscape, at: 1)
        assertRejects(#""\ud800\ud800""#, .invalidEscape, at: 1)
        assertRejects(#""\ud800\n""#, .invalidEscape, at: 1)
        assertRejects(#""\ud800"#, .unexpectedEnd)
    }

    func testRejectsInvalidUTF8() {
        func quoted(_ bytes: [UInt8]) -> [UInt8] { [0x22, 0x61] + bytes + [0x22] }
        assertRejects(quoted([0xC0, 0x80]), .invalidUTF8, at: 2)  // overlong NUL
        assertRejects(quoted([0xC1, 0xBF]), .invalidUTF8, at: 2)
        assertRejects(quoted([0xE0, 0x80, 0x80]), .invalidUTF8, at: 2)
        assertRejects(quoted([0xE0, 0x9F, 0xBF]), .invalidUTF8, at: 2)
        assertRejects(quoted([0xF0, 0x8F, 0xBF, 0xBF]), .invalidUTF8, at: 2)
        assertRejects(quoted([0xED, 0xA0, 0x80]), .invalidUTF8, at: 2)  // U+D800 encoded
        assertRejects(quoted([0xED, 0xBF, 0xBF]), .invalidUTF8, at: 2)
        assertRejects(quoted([0xF4, 0x90, 0x80, 0x80]), .invalidUTF8, at: 2)  // above U+10FFFF
        for lead: UInt8 in [0xF5, 0xF8, 0xFE, 0xFF, 0x80, 0xBF] {
            assertRejects(quoted([lead, 0x80, 0x80, 0x80]), .invalidUTF8, at: 2)
        }
        assertRejects(quoted([0xE2, 0x82]), .invalidUTF8, at: 2)  // truncated before the quote
        assertRejects(quoted([0xC3, 0x41]), .invalidUTF8, at: 2)
        assertRejects(quoted([0xF0, 0x9F, 0x98, 0x41]), .invalidUTF8, at: 2)
        assertRejects([0x22, 0xE2, 0x82], .invalidUTF8, at: 1)  // truncated at the end of input
        assertRejects([0x22, 0xF0], .invalidUTF8, at: 1)
        assertRejects([0x22] + Array(repeating: 0x61, count: 20) + [0xFF, 0x22], .invalidUTF8, at: 21)
        assertRejects([0xFF], .unexpectedCharacter, at: 0)
        assertRejects([0x5B, 0xC3, 0xA9, 0x5D], .unexpectedCharacter, at: 1)
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try parse(ok))
        assertRejects("[" + ok + "]", .tooDeep, at: 64)
        assertRejects(String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65), .tooDeep, at: 5 * 64)
        assertRejects("[[[]]]", .tooDeep, at: 2, maxDepth: 2)
        assertRejects("[{}]", .tooDeep, at: 1, maxDepth: 1)
        assertRejects("[]", .tooDeep, at: 0, maxDepth: 0)
        XCTAssertEqual(try parse("1", maxDepth: 0), 1)
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000), maxDepth: 1000))
        assertRejects(String(repeating: "[", count: 100_000), .tooDeep, at: 64)
        assertRejects(Array(repeating: UInt8(ascii: "["), count: 1 << 20), .tooDeep, at: 64)
    }

    func testDescription() {
        do {
            _ = try parse(String(repeating: " ", count: 17) + "x")
            XCTFail("accepted")
        } catch {
            XCTAssertEqual(error.description, "unexpected character 'x' at byte 17")
        }
        XCTAssertEqual(JSONParseError(.unexpectedCharacter, offset: 0, byte: 0xFF).description, "unexpected byte 0xFF at byte 0")
        XCTAssertEqual(JSONParseError(.unexpectedEnd, offset: 3).description, "unexpected end of input at byte 3")
        XCTAssertEqual(JSONParseError(.trailingData, offset: 2, byte: 0x32).description, "unexpected character '2' after the value at byte 2")
        XCTAssertEqual(JSONParseError(.controlCharacterInString, offset: 1, byte: 0x0A).description,
                       "unescaped control character byte 0x0A in string at byte 1")
    }
}
