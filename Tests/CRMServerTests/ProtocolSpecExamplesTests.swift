import ProtocolTestSupport
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// The examples of the JSON-RPC 2.0 specification (section 7), adapted to this server's methods:
/// `subtract` becomes `auth.login` (by position and by name), `update`/`foobar` notifications
/// become `server.ping` and an unknown method, `sum`/`get_data` become `server.ping`.
final class ProtocolSpecExamplesTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!
    nonisolated(unsafe) static var key = ""

    override class func setUp() {
        harness = ServerHarness.startBlocking("spec") { h in
            try h.createTenant("spec-unit")
        }
        key = try! harness.key(.unit(tenant: "spec-unit", role: "manager"))
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    private func roundTrip(_ line: String, on client: TestClient? = nil) throws -> JSON {
        let c = try client ?? Self.harness.client()
        try c.send(line: line)
        return try c.readJSON()
    }

    func testCallWithPositionalParameters() throws {
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "auth.login", "params": ["\#(Self.key)"], "id": 1}"#)
        XCTAssertEqual(r["id"], .number("1"))
        XCTAssertEqual(r["result"]?["tenant"], "spec-unit")
        XCTAssertEqual(r["result"]?["role"], "manager")
    }

    func testCallWithNamedParameters() throws {
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "auth.login", "params": {"key": "\#(Self.key)"}, "id": 3}"#)
        XCTAssertEqual(r["id"], .number("3"))
        XCTAssertEqual(r["result"]?["kind"], "unit")
    }

    func testNotificationsGetNoAnswer() throws {
        let c = try Self.harness.client()
        try c.send(line: #"{"jsonrpc": "2.0", "method": "server.ping", "params": [1,2,3,4,5]}"#)
        try c.send(line: #"{"jsonrpc": "2.0", "method": "foobar"}"#)
        // The next answer on the wire is the one for the request that follows, nothing before it.
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "server.ping", "id": "after"}"#, on: c)
        XCTAssertEqual(r["id"], "after")
        XCTAssertEqual(r["result"], "pong")
    }

    func testNonExistentMethod() throws {
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#)
        XCTAssertEqual(r.errorCode, -32601)
        XCTAssertEqual(r["id"], "1")
    }

    func testInvalidJSON() throws {
        let c = try Self.harness.client()
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#, on: c)
        XCTAssertEqual(r.errorCode, -32700)
        XCTAssertEqual(r["id"], .null)
        // The connection stays usable.
        XCTAssertEqual(try roundTrip(#"{"jsonrpc":"2.0","id":2,"method":"server.ping"}"#, on: c)["result"], "pong")
    }

    func testInvalidRequestObject() throws {
        let r = try roundTrip(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
        XCTAssertEqual(r.errorCode, -32600)
        XCTAssertEqual(r["id"], .null)
    }

    func testBatchInvalidJSON() throws {
        let r = try roundTrip(#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#)
        XCTAssertEqual(r.errorCode, -32700)
        XCTAssertEqual(r["id"], .null)
    }

    func testEmptyBatch() throws {
        let r = try roundTrip("[]")
        XCTAssertNil(r.arrayValue, "an empty batch gets one error, not an array")
        XCTAssertEqual(r.errorCode, -32600)
    }

    func testInvalidBatchOfOne() throws {
        let r = try roundTrip("[1]")
        XCTAssertEqual(r.arrayValue?.count, 1)
        XCTAssertEqual(r.arrayValue?.first?.errorCode, -32600)
    }

    func testInvalidBatchOfThree() throws {
        let r = try roundTrip("[1,2,3]")
        XCTAssertEqual(r.arrayValue?.map(\.errorCode), [-32600, -32600, -32600])
        XCTAssertEqual(r.arrayValue?.map { $0["id"] }, [.null, .null, .null])
    }

    func testMixedBatch() throws {
        let r = try roundTrip("""
            [{"jsonrpc": "2.0", "method": "server.ping", "id": "1"},
             {"jsonrpc": "2.0", "method": "server.ping"},
             {"jsonrpc": "2.0", "method": "auth.login", "params": {"key": 42}, "id": "2"},
             {"foo": "boo"},
             {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
             {"jsonrpc": "2.0", "method": "server.health", "id": "9"}]
            """.replacingOccurrences(of: "\n", with: ""))
        let answers = try XCTUnwrap(r.arrayValue)
        XCTAssertEqual(answers.count, 5, "the notification gets no answer")
        func answer(_ id: JSON) -> JSON? { answers.first { $0["id"] == id } }
        XCTAssertEqual(answer("1")?["result"], "pong")
        XCTAssertEqual(answer("2")?.errorCode, -32602)
        XCTAssertEqual(answer("2")?["error"]?["data"]?["field"], "key")
        XCTAssertEqual(answer("5")?.errorCode, -32601)
        XCTAssertEqual(answer("9")?["result"]?["database"], "ok")
        XCTAssertEqual(answers.filter { $0["id"] == .null }.first?.errorCode, -32600)
    }

    func testBatchOfNotificationsGetsNothing() throws {
        let c = try Self.harness.client()
        try c.send(line: #"[{"jsonrpc": "2.0", "method": "server.ping", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "server.ping", "params": [7]}]"#)
        let r = try roundTrip(#"{"jsonrpc":"2.0","id":"next","method":"server.ping"}"#, on: c)
        XCTAssertEqual(r["id"], "next")
    }

    func testIDsAreEchoedAsGiven() throws {
        for id in [#""abc""#, "7", "-3", "1.5", "123456789012345678901234567890", "null"] {
            let line = #"{"jsonrpc":"2.0","id":\#(id),"method":"server.ping"}"#
            let c = try Self.harness.client()
            try c.send(line: line)
            let raw = try XCTUnwrap(c.readLine())
            XCTAssertTrue(raw.contains(#""id":\#(id)"#), "id \(id) echoed verbatim in \(raw)")
        }
    }

    func testDiscoverListsEveryMethodWithRoles() throws {
        let doc = try Self.harness.client().result("rpc.discover")
        XCTAssertEqual(doc["openrpc"]?.stringValue?.hasPrefix("1."), true)
        let methods = try XCTUnwrap(doc["methods"]?.arrayValue)
        let names = Set(methods.compactMap { $0["name"]?.stringValue })
        XCTAssertEqual(names, Set(AllMethods.registry().sortedNames))
        let login = try XCTUnwrap(methods.first { $0["name"] == "auth.login" })
        XCTAssertEqual(login["params"]?.arrayValue?.first?["name"], "key")
        XCTAssertEqual(login["params"]?.arrayValue?.first?["required"], true)
        XCTAssertEqual(login["x-roles"], ["anyone"])
    }
}
