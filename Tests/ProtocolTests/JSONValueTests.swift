import XCTest

@testable import CRMProtocol

/// Accessors, literals and `JSONObject` semantics.
final class JSONValueTests: XCTestCase {
    func testLiteralsAndNumberFactory() {
        let value: JSON = ["a": 1, "b": [true, nil, "s"], "c": [:], "d": -5]
        XCTAssertEqual(value, .object(JSONObject([
            ("a", .number("1")), ("b", .array([.bool(true), .null, .string("s")])),
            ("c", .object(JSONObject())), ("d", .number("-5")),
        ])))
        XCTAssertEqual(JSON.number(42), .number("42"))
        XCTAssertEqual(JSON.number(Int64.min), .number("-9223372036854775808"))
        XCTAssertEqual(JSON.number(UInt64.max), .number("18446744073709551615"))
        XCTAssertEqual(JSON.number(UInt8(7)), .number("7"))
        let limit = 500
        XCTAssertEqual(["maxLength": .number(limit)] as JSON, ["maxLength": 500])
    }

    func testScalarAccessors() {
        XCTAssertTrue(JSON.null.isNull)
        XCTAssertFalse(JSON.bool(false).isNull)
        XCTAssertEqual(JSON.string("x").stringValue, "x")
        XCTAssertNil(JSON.number("1").stringValue)
        XCTAssertEqual(JSON.bool(true).boolValue, true)
        XCTAssertNil(JSON.string("true").boolValue)
        XCTAssertEqual(JSON.array([1]).arrayValue, [1])
        XCTAssertNil(JSON.object(JSONObject()).arrayValue)
        XCTAssertEqual(JSON.object(["k": 1]).objectValue?["k"], 1)
        XCTAssertNil(JSON.array([]).objectValue)
        XCTAssertEqual((["k": "v"] as JSON)["k"], "v")
        XCTAssertNil((["k": "v"] as JSON)["missing"])
        XCTAssertNil(JSON.array(["k"])["k"])
        XCTAssertNil(JSON.raw(#"{"k":1}"#)["k"], "raw text is never parsed")
    }

    func testIntegerAccessors() {
        XCTAssertEqual(JSON.number("0").int64Value, 0)
        XCTAssertEqual(JSON.number("-0").int64Value, 0)
        XCTAssertEqual(JSON.number("42").intValue, 42)
        XCTAssertEqual(JSON.number("9223372036854775807").int64Value, .max)
        XCTAssertEqual(JSON.number("-9223372036854775808").int64Value, .min)
        XCTAssertNil(JSON.number("9223372036854775808").int64Value)
        XCTAssertNil(JSON.number("-9223372036854775809").int64Value)
        XCTAssertNil(JSON.number("123456789012345678901234567890").int64Value)
        XCTAssertNil(JSON.number("1.0").int64Value, "a fraction is not an integer lexeme")
        XCTAssertNil(JSON.number("1e3").int64Value, "an exponent is not an integer lexeme")
        XCTAssertNil(JSON.number("-").int64Value)
        XCTAssertNil(JSON.number("").int64Value)
        XCTAssertNil(JSON.string("42").int64Value)
        XCTAssertNil(JSON.string("42").intValue)
    }

    func testDoubleAccessor() {
        XCTAssertEqual(JSON.number("1.5").doubleValue, 1.5)
        XCTAssertEqual(JSON.number("-2e3").doubleValue, -2000)
        XCTAssertEqual(JSON.number("1e400").doubleValue, .infinity)
        XCTAssertEqual(JSON.number("1.23e-400").doubleValue, 0)
        XCTAssertNil(JSON.string("1.5").doubleValue)
    }

    func testTypeNames() {
        XCTAssertEqual(JSON.null.typeName, "null")
        XCTAssertEqual(JSON.bool(true).typeName, "boolean")
        XCTAssertEqual(JSON.number("12").typeName, "integer")
        XCTAssertEqual(JSON.number("-1.5").typeName, "number")
        XCTAssertEqual(JSON.number("1E5").typeName, "number")
        XCTAssertEqual(JSON.string("").typeName, "string")
        XCTAssertEqual(JSON.array([]).typeName, "array")
        XCTAssertEqual(JSON.object(JSONObject()).typeName, "object")
        XCTAssertEqual(JSON.raw(#" {"a":1}"#).typeName, "object")
        XCTAssertEqual(JSON.raw("[1]").typeName, "array")
        XCTAssertEqual(JSON.raw("3").typeName, "integer")
        XCTAssertEqual(JSON.raw("null").typeName, "null")
    }

    func testObjectKeepsOrderAndLastDuplicateWins() throws {
        let parsed = try JSONParser.parse(#"{"b":1,"a":2,"b":3}"#)
        guard case .object(var object) = parsed else { return XCTFail("not an object") }
        XCTAssertEqual(object.keys, ["b", "a", "b"])
        XCTAssertEqual(object.count, 3)
        XCTAssertEqual(object["b"], 3)
        XCTAssertEqual(parsed["b"], 3)
        XCTAssertEqual(parsed.serialized, #"{"b":1,"a":2,"b":3}"#)
        object["b"] = "x"
        XCTAssertEqual(object.keys, ["b", "a"], "setting leaves one member, at the first position")
        XCTAssertEqual(object["b"], "x")
        object.set("c", 4)
        XCTAssertEqual(object.keys, ["b", "a", "c"])
        object["a"] = nil
        XCTAssertEqual(object.keys, ["b", "c"])
        XCTAssertEqual(object.removeValue(forKey: "b"), "x")
        XCTAssertNil(object.removeValue(forKey: "b"))
        XCTAssertEqual(object.map(\.key), ["c"])
        XCTAssertEqual(object.map(\.value), [4])
        XCTAssertFalse(object.isEmpty)
    }

    func testObjectEqualityIsOrderSensitive() {
        let ab: JSONObject = ["a": 1, "b": 2]
        XCTAssertEqual(ab, JSONObject([("a", 1), ("b", 2)]))
        XCTAssertNotEqual(ab, ["b": 2, "a": 1])
        XCTAssertNotEqual(JSON.number("1"), JSON.number("1.0"), "numbers compare by lexeme")
        var built = JSONObject()
        built["a"] = 1
        built["b"] = 2
        XCTAssertEqual(built, ab)
        var pairs: [String] = []
        for (key, value) in ab { pairs.append("\(key)=\(value)") }
        XCTAssertEqual(pairs, ["a=1", "b=2"])
    }
}
