import Foundation
import NIOCore
import XCTest

@testable import CRMProtocol

/// Serialization, round trips through the parser, a crash hunt over mutated input, and a speed
/// measurement that is printed, never asserted.
final class JSONWriterTests: XCTestCase {
    func testCompactOutput() {
        let value: JSON = ["jsonrpc": "2.0", "id": .number("123456789012345678901234567890"),
                           "result": ["list": [1, .number("1.23e-400"), true, false, nil, [:], []], "name": "Zoë 😀"]]
        XCTAssertEqual(value.serialized,
                       #"{"jsonrpc":"2.0","id":123456789012345678901234567890,"result":{"list":[1,1.23e-400,true,false,null,{},[]],"name":"Zoë 😀"}}"#)
        XCTAssertEqual(value.description, value.serialized)
    }

    func testEscapes() {
        let s = "\"\\/\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}\u{7F}é\u{2028}"
        XCTAssertEqual(JSON.string(s).serialized, #""\"\\/\n\r\t\b\f\u0000\u0001\u001f"# + "\u{7F}é\u{2028}\"")
        XCTAssertEqual(JSON.object(["a\"b\n": 1]).serialized, #"{"a\"b\n":1}"#)
    }

    func testRawIsVerbatim() {
        let raw = #"{"built_by":"postgres", "n": [1, 2]}"#
        XCTAssertEqual(JSON.object(["id": 1, "result": .raw(raw)]).serialized, #"{"id":1,"result":"# + raw + "}")
    }

    func testWritesAppendToExistingOutput() {
        var buffer = ByteBuffer(string: "> ")
        JSON.array([1, "a"]).write(into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
        XCTAssertEqual(buffer.getString(at: buffer.readerIndex, length: buffer.readableBytes), "> [1,\"a\"]\n")
        var bytes = Array("> ".utf8)
        JSON.object(["k": nil]).write(into: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), #"> {"k":null}"#)
    }

    func testEveryControlCharacterRoundTrips() throws {
        for scalar in (0...0x7F).compactMap(Unicode.Scalar.init) {
            let s = "a\(Character(scalar))b"
            let text = JSON.string(s).serialized
            XCTAssertEqual(try JSONParser.parse(text), .string(s), text)
            XCTAssertFalse(text.utf8.contains { $0 < 0x20 }, text)
        }
    }

    func testRandomValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let value = randomValue(&rng, depth: 0)
            let text = value.serialized
            XCTAssertEqual(try JSONParser.parse(text), value, text)
            var buffer = ByteBuffer()
            value.write(into: &buffer)
            XCTAssertEqual(try JSONParser.parse(buffer), value)
        }
    }

    /// Mutated documents must be rejected or accepted cleanly, never crash; whatever is
    /// accepted must survive another trip through the writer.
    func testMutatedInputNeverCrashes() throws {
        var rng = SplitMix64(seed: 7)
        let seeds = (0..<40).map { _ in Array(randomValue(&rng, depth: 0).serialized.utf8) }
        let interesting: [UInt8] = Array("{}[]\",:\\u0123456789-+.eEtrufalsn ".utf8) + [0x00, 0x1F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0...(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                let byte = interesting[Int(rng.next() % UInt64(interesting.count))]
                switch rng.next() % 3 {
                case 0 where at < bytes.count: bytes[at] = byte
                case 1 where at < bytes.count: bytes.remove(at: at)
                default: bytes.insert(byte, at: at)
                }
            }
            if rng.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1)))) }
            guard let value = try? JSONParser.parse(bytes, maxDepth: 8) else { continue }
            accepted += 1
            XCTAssertEqual(try JSONParser.parse(value.serialized, maxDepth: 8), value)
        }
        XCTAssertGreaterThan(accepted, 0)
    }
}

private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let sampleNumbers = ["0", "-0", "1", "-17", "3.25", "1e10", "-2.5E-3", "123456789012345678901234567890", "1.23e-400"]
private let sampleScalars: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "\u{FFFF}", "😀", "\u{10FFFF}"]

private func randomString(_ rng: inout SplitMix64) -> String {
    var s = String.UnicodeScalarView()
    for _ in 0..<(rng.next() % 12) { s.append(sampleScalars[Int(rng.next() % UInt64(sampleScalars.count))]) }
    return String(s)
}

private func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSON {
    switch rng.next() % (depth < 5 ? 7 : 5) {
    case 0: return .null
    case 1: return .bool(rng.next() % 2 == 0)
    case 2: return .number(sampleNumbers[Int(rng.next() % UInt64(sampleNumbers.count))])
    case 3, 4: return .string(randomString(&rng))
    case 5: return .array((0..<(rng.next() % 5)).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
        return .object(JSONObject((0..<(rng.next() % 5)).map { _ in (randomString(&rng), randomValue(&rng, depth: depth + 1)) }))
    }
}

final class JSONRawWriterTests: XCTestCase {
    func testRawJSONWithLineBreaksStaysOnOneLine() throws {
        let raw = JSON.raw("[{\"a\" : \"x\\ny\"}, \n {\"a\" : 2}]\r\n")
        let text = JSON.array([raw]).serialized
        XCTAssertFalse(text.contains("\n") || text.contains("\r"))
        XCTAssertEqual(try JSONParser.parse(text).arrayValue?.first?.arrayValue?.first?["a"], "x\ny", "escaped newlines inside strings survive")
    }
}
