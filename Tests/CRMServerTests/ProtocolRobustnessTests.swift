import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// Malformed input, access control and load: the server answers or closes as the contract says
/// and keeps serving everyone else.
final class ProtocolRobustnessTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("robust", limits: robustLimits) { h in
            try h.createTenant("robust-a")
            try h.createPartner("robust-p")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    var harness: ServerHarness { Self.harness }

    static var robustLimits: ServerLimits {
        var limits = ServerLimits()
        limits.maxLineBytes = 64 * 1024
        // Hundreds of connections from one address and one key, by design: not a flood to limit.
        limits.rateLimitPerSecond = 1e9
        limits.rateLimitBurst = 1e9
        limits.anonymousRatePerAddress = 1e9
        limits.anonymousBurstPerAddress = 1e9
        limits.anonymousRatePerConnection = 1e9
        limits.anonymousBurstPerConnection = 1e9
        limits.shutdownGrace = .seconds(2)
        return limits
    }

    private func assertStillServing(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try harness.client().result("server.ping"), "pong", file: file, line: line)
    }

    func testMalformedLinesGetErrorsAndTheConnectionStaysUsable() throws {
        let c = try harness.client()
        let cases: [(String, Int)] = [
            ("not json at all", -32700),
            ("{\"jsonrpc\":\"2.0\",", -32700),
            ("42", -32600),
            ("\"just a string\"", -32600),
            ("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"server.ping\"}", -32600),
            ("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"server.ping\"}", -32600),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server.ping\",\"params\":5}", -32600),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\",\"params\":{\"key\":[1]}}", -32602),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\",\"params\":{}}", -32602),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\",\"params\":{\"key\":\"x\",\"extra\":1}}", -32602),
            ("{\"jsonrpc\":\"2.0\",\"id\":1e999999,\"method\":\"nope.nope\"}", -32601),
            (String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000), -32700),
            (String(repeating: "{\"a\":", count: 500) + "1" + String(repeating: "}", count: 500), -32700),
        ]
        for (line, code) in cases {
            try c.send(line: line)
            let r = try c.readJSON()
            XCTAssertEqual(r.errorCode, code, "for \(line.prefix(60))")
        }
        // Invalid UTF-8 inside a string.
        try c.send(raw: Array(#"{"jsonrpc":"2.0","id":1,"method":"server.ping","params":{"x":""#.utf8) + [0xC0, 0x80, 0xFF] + Array("\"}}\n".utf8))
        XCTAssertEqual(try c.readJSON().errorCode, -32700)
        // \r\n line endings are accepted.
        try c.send(raw: Array("{\"jsonrpc\":\"2.0\",\"id\":\"crlf\",\"method\":\"server.ping\"}\r\n".utf8))
        XCTAssertEqual(try c.readJSON()["result"], "pong")
        XCTAssertEqual(try c.result("server.ping"), "pong")
    }

    func testWrongParamTypeNamesTheField() throws {
        let c = try harness.loggedIn(.unit(tenant: "robust-a", role: "manager"))
        let r = try c.call("staff.create", ["name": 12])
        XCTAssertEqual(r.errorCode, -32602)
        XCTAssertEqual(r["error"]?["data"]?["field"], "name")
        let missing = try c.call("staff.create", ["email": "a@b.c"])
        XCTAssertEqual(missing["error"]?["data"]?["field"], "name")
        XCTAssertEqual(missing["error"]?["data"]?["reason"], "is required")
        let limit = try c.call("staff.list", ["limit": 100_000])
        XCTAssertEqual(limit["error"]?["data"]?["field"], "limit")
    }

    func testOverLongLineIsAnsweredThenClosed() throws {
        let c = try harness.client()
        let huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server.ping\",\"params\":{\"pad\":\"" + String(repeating: "x", count: 70 * 1024) + "\"}}"
        try? c.send(line: huge)
        XCTAssertEqual(try c.readJSON().errorCode, -32013)
        XCTAssertNil(try? c.readLine() ?? nil, "the server closes the connection after -32013")
        try assertStillServing()
    }

    func testConnectionClosedMidLineHurtsNobody() throws {
        for _ in 0..<20 {
            let c = try harness.client()
            try c.send(raw: Array(#"{"jsonrpc":"2.0","id":1,"method":"serv"#.utf8))
        }
        try assertStillServing()
    }

    func testCallsBeforeLoginAreUnauthenticated() throws {
        let c = try harness.client()
        XCTAssertEqual(try c.call("staff.list").errorCode, -32001)
        XCTAssertEqual(try c.call("auth.whoami").errorCode, -32001)
        XCTAssertEqual(try c.call("auth.login", ["key": "crm_wrong"]).errorCode, -32001)
        XCTAssertEqual(try c.call("server.ping")["result"], "pong")
    }

    func testRevokedKeyStopsAtTheNextRequest() throws {
        let key = try harness.key(.unit(tenant: "robust-a", role: "agent"))
        let c = try harness.client()
        XCTAssertNotNil(try c.call("auth.login", ["key": .string(key)])["result"])
        XCTAssertNotNil(try c.call("staff.list")["result"])
        try harness.sql { conn in
            try conn.query("update crm.api_key set revoked_at = now() where key_hash = sha256(convert_to(\(key), 'UTF8'))")
        }
        XCTAssertEqual(try c.call("staff.list").errorCode, -32001)
        XCTAssertEqual(try c.call("auth.login", ["key": .string(key)]).errorCode, -32001)
    }

    func testPartnerKeyOnAUnitMethodIsForbidden() throws {
        let c = try harness.loggedIn(.partner("robust-p"))
        XCTAssertEqual(try c.call("staff.list").errorCode, -32003)
        XCTAssertEqual(try c.call("auth.whoami")["result"]?["partner"], "robust-p")
    }

    func testViewerMayReadButNotWrite() throws {
        let c = try harness.loggedIn(.unit(tenant: "robust-a", role: "viewer"))
        XCTAssertNotNil(try c.call("staff.list")["result"])
        XCTAssertEqual(try c.call("staff.create", ["name": "Nope"]).errorCode, -32003)
    }

    func testTwoHundredConnectionsPipeliningFiftyRequestsEach() throws {
        let key = try harness.key(.unit(tenant: "robust-a", role: "manager"))
        let clients = try (0..<200).map { _ in try harness.client() }
        for c in clients { XCTAssertNotNil(try c.call("auth.login", ["key": .string(key)])["result"]) }
        for (ci, c) in clients.enumerated() {
            var lines = ""
            for r in 0..<50 {
                let method = r % 5 == 0 ? "staff.list" : "server.ping"
                lines += #"{"jsonrpc":"2.0","id":"\#(ci)-\#(r)","method":"\#(method)"}"# + "\n"
            }
            try c.send(raw: Array(lines.utf8))
        }
        for (ci, c) in clients.enumerated() {
            var seen = Set<String>()
            for _ in 0..<50 {
                let r = try c.readJSON()
                let id = try XCTUnwrap(r["id"]?.stringValue)
                XCTAssertTrue(id.hasPrefix("\(ci)-"), "answer for another connection: \(id)")
                let n = Int(id.split(separator: "-")[1])!
                if n % 5 == 0 { XCTAssertNotNil(r["result"]?["items"], "\(r.serialized)") } else { XCTAssertEqual(r["result"], "pong") }
                seen.insert(id)
            }
            XCTAssertEqual(seen.count, 50)
        }
    }

    func testClientsThatNeverReadDoNotStallOthers() throws {
        let line = Array((#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"# + "\n").utf8)
        // Far more answers than socket buffers hold; the server must stop reading, not buffer.
        let greedy = try (0..<10).map { _ in try harness.client() }
        for client in greedy {
            let sender = Thread {
                for _ in 0..<20_000 { if (try? client.send(raw: line)) == nil { break } }
            }
            sender.start()
        }
        Thread.sleep(forTimeInterval: 1)
        for _ in 0..<20 { try assertStillServing() }
        // Reset them with their requests unread: the server drops what they left and serves on.
        for client in greedy { client.reset() }
        Thread.sleep(forTimeInterval: 0.5)
        for _ in 0..<20 { try assertStillServing() }
    }

    func testAnswerBudgetHoldsTheReaderWhileAnswersPileUp() async throws {
        let budget = AnswerBudget(limit: 100)
        budget.add(80)
        await budget.waitUntilWithin()  // within: returns at once
        budget.add(80)
        let released = LockedBox<Bool>(false)
        let waiter = Task {
            await budget.waitUntilWithin()
            released.set(true)
        }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertFalse(released.value, "160 bytes pending: the reader waits")
        budget.remove(80)
        await waiter.value
        XCTAssertTrue(released.value, "80 bytes pending: the reader goes on")
    }
}
