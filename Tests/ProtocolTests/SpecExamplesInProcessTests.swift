@testable import CRMProtocol
import ProtocolTestSupport
import XCTest

/// The JSON-RPC 2.0 specification's examples (section 7), with the methods in this server's
/// area.verb names (math.subtract, spec.get_data, ...), and the server's own
/// rules around them (access, params, batches, line limits), against stub methods in-process:
/// no PostgreSQL. (CRMServerTests runs the same protocol end to end over the CRM's methods.)
final class SpecExamplesInProcessTests: XCTestCase {
    nonisolated(unsafe) static var stub: StubServer!

    override class func setUp() {
        var limits = ServerLimits()
        limits.maxLineBytes = 4096
        limits.maxBatchSize = 10
        stub = StubServer.startBlocking(limits: limits)
    }

    override class func tearDown() { stub?.stopBlocking() }

    private func roundTrip(_ line: String, on client: TestClient? = nil) throws -> JSON {
        let c = try client ?? Self.stub.client()
        try c.send(line: line)
        return try c.readJSON()
    }

    func testPositionalParameters() throws {
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "math.subtract", "params": [42, 23], "id": 1}"#)
        XCTAssertEqual(r["jsonrpc"], "2.0")
        XCTAssertEqual(r["result"], .number("19"))
        XCTAssertEqual(r["id"], .number("1"))
        XCTAssertEqual(try roundTrip(#"{"jsonrpc": "2.0", "method": "math.subtract", "params": [23, 42], "id": 2}"#)["result"], .number("-19"))
    }

    /// A connection's requests run on its event loop, batch elements too, and come back to it
    /// after awaiting work done elsewhere: only the database work leaves the loop.
    func testHandlersRunOnTheConnectionsEventLoop() throws {
        let single = try roundTrip(#"{"jsonrpc": "2.0", "method": "spec.thread", "id": 1}"#)
        XCTAssertEqual(single["result"], ["on_event_loop": true, "after_await": true], single.serialized)
        let batch = try roundTrip(#"[{"jsonrpc": "2.0", "method": "spec.thread", "id": 2}, {"jsonrpc": "2.0", "method": "spec.thread", "id": 3}]"#)
        XCTAssertEqual(batch.arrayValue?.count, 2)
        for answer in batch.arrayValue ?? [] {
            XCTAssertEqual(answer["result"], ["on_event_loop": true, "after_await": true], answer.serialized)
        }
    }

    func testNamedParameters() throws {
        XCTAssertEqual(try roundTrip(#"{"jsonrpc": "2.0", "method": "math.subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#)["result"],
                       .number("19"))
        XCTAssertEqual(try roundTrip(#"{"jsonrpc": "2.0", "method": "math.subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#)["result"],
                       .number("19"))
    }

    func testNotificationsAreNotAnswered() throws {
        let c = try Self.stub.client()
        try c.send(line: #"{"jsonrpc": "2.0", "method": "spec.update", "params": [1,2,3,4,5]}"#)
        try c.send(line: #"{"jsonrpc": "2.0", "method": "foobar"}"#)
        XCTAssertEqual(try roundTrip(#"{"jsonrpc": "2.0", "method": "spec.get_data", "id": "next"}"#, on: c)["id"], "next",
                       "the first answer on the wire is the request's")
    }

    func testErrors() throws {
        let missing = try roundTrip(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#)
        XCTAssertEqual(missing.errorCode, -32601)
        XCTAssertEqual(missing["id"], "1")
        let parse = try roundTrip(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
        XCTAssertEqual(parse.errorCode, -32700)
        XCTAssertEqual(parse["id"], .null)
        let invalid = try roundTrip(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
        XCTAssertEqual(invalid.errorCode, -32600)
        XCTAssertEqual(invalid["id"], .null)
    }

    func testBatches() throws {
        XCTAssertEqual(try roundTrip(#"[{"jsonrpc": "2.0", "method": "math.sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method""#).errorCode,
                       -32700, "a batch that is not JSON")
        XCTAssertEqual(try roundTrip("[]").errorCode, -32600, "an empty batch")
        XCTAssertEqual(try roundTrip("[1]").arrayValue?.map(\.errorCode), [-32600])
        XCTAssertEqual(try roundTrip("[1,2,3]").arrayValue?.map(\.errorCode), [-32600, -32600, -32600])

        let mixed = try roundTrip("""
            [{"jsonrpc": "2.0", "method": "math.sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method": "spec.notify_hello", "params": [7]}, \
            {"jsonrpc": "2.0", "method": "math.subtract", "params": [42,23], "id": "2"}, {"foo": "boo"}, \
            {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"}, {"jsonrpc": "2.0", "method": "spec.get_data", "id": "9"}]
            """)
        let answers = try XCTUnwrap(mixed.arrayValue)
        XCTAssertEqual(answers.count, 5, "the notification is not answered")
        func answer(_ id: String) -> JSON? { answers.first { $0["id"] == .string(id) } }
        XCTAssertEqual(answer("1")?["result"], .number("7"))
        XCTAssertEqual(answer("2")?["result"], .number("19"))
        XCTAssertEqual(answer("5")?.errorCode, -32601)
        XCTAssertEqual(answer("9")?["result"], ["hello", .number("5")])
        XCTAssertEqual(answers.filter { $0["id"] == .null }.map(\.errorCode), [-32600], "{\"foo\": \"boo\"} is an invalid request")

        // Only notifications: nothing comes back; the next request's answer is the next line.
        let c = try Self.stub.client()
        try c.send(line: #"[{"jsonrpc": "2.0", "method": "spec.notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "spec.notify_hello", "params": [7]}]"#)
        XCTAssertEqual(try roundTrip(#"{"jsonrpc": "2.0", "method": "spec.get_data", "id": 10}"#, on: c)["id"], .number("10"))

        let tooMany = "[" + (1...11).map { #"{"jsonrpc": "2.0", "method": "spec.get_data", "id": \#($0)}"# }.joined(separator: ",") + "]"
        let refused = try roundTrip(tooMany)
        XCTAssertEqual(refused.errorCode, -32600)
        XCTAssertEqual(refused["error"]?["data"]?["limit"], .number("10"))
    }

    func testParamsAreCheckedBeforeTheHandler() throws {
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "math.subtract", "params": {"minuend": "many", "subtrahend": 1}, "id": 1}"#)
        XCTAssertEqual(r.errorCode, -32602)
        XCTAssertEqual(r["error"]?["data"]?["field"], "minuend")
        XCTAssertEqual(try roundTrip(#"{"jsonrpc": "2.0", "method": "math.subtract", "params": {"minuend": 1}, "id": 2}"#).errorCode, -32602,
                       "a required param is missing")
    }

    func testAccessBeforeAndAfterLogin() throws {
        let c = try Self.stub.client()
        XCTAssertEqual(try c.call("plans.approve").errorCode, -32001, "no login")
        XCTAssertEqual(try c.call("auth.login", ["key": "nobody"]).errorCode, -32001)
        XCTAssertEqual(try c.result("auth.login", ["key": "agent"])["role"], "agent")
        XCTAssertEqual(try c.call("plans.approve").errorCode, -32003, "an agent is not a manager")
        XCTAssertEqual(try c.result("auth.login", ["key": "manager"])["role"], "manager")
        XCTAssertEqual(try c.result("plans.approve"), "approved by manager")
    }

    func testAnOverlongLineIsRefusedAndTheConnectionClosed() throws {
        let c = try Self.stub.client()
        try c.send(line: #"{"jsonrpc": "2.0", "method": "spec.get_data", "id": 1, "pad": ""# + String(repeating: "x", count: 5000) + #""}"#)
        XCTAssertEqual(try c.readJSON().errorCode, -32013)
        XCTAssertTrue(c.isClosedByServer())
    }
}
