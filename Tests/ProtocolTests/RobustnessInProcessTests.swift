@testable import CRMProtocol
import Foundation
import ProtocolTestSupport
import XCTest

/// Malformed input and load, in-process against stub methods: the server answers or closes as the
/// contract says and keeps serving everyone else. (Access with real keys, revocation and roles
/// are tested end to end in CRMServerTests/ProtocolRobustnessTests.)
final class RobustnessInProcessTests: XCTestCase {
    nonisolated(unsafe) static var stub: StubServer!

    override class func setUp() {
        var limits = ServerLimits()
        limits.maxLineBytes = 64 * 1024
        // Hundreds of connections from one address, by design: not a flood to limit.
        limits.rateLimitPerSecond = 1e9
        limits.rateLimitBurst = 1e9
        limits.anonymousRatePerAddress = 1e9
        limits.anonymousBurstPerAddress = 1e9
        limits.anonymousRatePerConnection = 1e9
        limits.anonymousBurstPerConnection = 1e9
        stub = StubServer.startBlocking(limits: limits)
    }

    override class func tearDown() { stub?.stopBlocking() }

    private func assertStillServing(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try Self.stub.client().result("server.ping"), "pong", file: file, line: line)
    }

    func testMalformedLinesGetErrorsAndTheConnectionStaysUsable() throws {
        let c = try Self.stub.client()
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
            XCTAssertEqual(try c.readJSON().errorCode, code, "for \(line.prefix(60))")
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
        let c = try Self.stub.client()
        let r = try c.call("math.subtract", ["minuend": "12", "subtrahend": 1])
        XCTAssertEqual(r.errorCode, -32602)
        XCTAssertEqual(r["error"]?["data"]?["field"], "minuend")
        let missing = try c.call("math.subtract", ["minuend": 1])
        XCTAssertEqual(missing["error"]?["data"]?["field"], "subtrahend")
        XCTAssertEqual(missing["error"]?["data"]?["reason"], "is required")
    }

    func testOverLongLineIsAnsweredThenClosed() throws {
        let c = try Self.stub.client()
        let huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server.ping\",\"params\":{\"pad\":\"" + String(repeating: "x", count: 70 * 1024) + "\"}}"
        try? c.send(line: huge)
        XCTAssertEqual(try c.readJSON().errorCode, -32013)
        XCTAssertNil(try? c.readLine() ?? nil, "the server closes the connection after -32013")
        try assertStillServing()
    }

    func testConnectionClosedMidLineHurtsNobody() throws {
        for _ in 0..<20 {
            let c = try Self.stub.client()
            try c.send(raw: Array(#"{"jsonrpc":"2.0","id":1,"method":"serv"#.utf8))
        }
        try assertStillServing()
    }

    func testTwoHundredConnectionsPipeliningFiftyRequestsEach() throws {
        let clients = try (0..<200).map { _ in try Self.stub.client() }
        for c in clients { XCTAssertEqual(try c.result("auth.login", ["key": "manager"])["role"], "manager") }
        for (ci, c) in clients.enumerated() {
            var lines = ""
            for r in 0..<50 {
                let method = r % 5 == 0 ? "plans.approve" : "server.ping"
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
                XCTAssertEqual(r["result"], n % 5 == 0 ? "approved by manager" : "pong")
                seen.insert(id)
            }
            XCTAssertEqual(seen.count, 50)
        }
    }

    func testClientsThatNeverReadDoNotStallOthers() throws {
        let line = Array((#"{"jsonrpc":"2.0","id":1,"method":"spec.get_data"}"# + "\n").utf8)
        // Far more answers than socket buffers hold; the server must stop reading, not buffer.
        let greedy = try (0..<10).map { _ in try Self.stub.client() }
        for client in greedy {
            let sender = Thread {
                for _ in 0..<50_000 { if (try? client.send(raw: line)) == nil { break } }
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
        let released = Flag()
        let waiter = Task {
            await budget.waitUntilWithin()
            released.set()
        }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertFalse(released.isSet, "160 bytes pending: the reader waits")
        budget.remove(80)
        await waiter.value
        XCTAssertTrue(released.isSet, "80 bytes pending: the reader goes on")
    }
}

/// A flag one task sets and another reads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
