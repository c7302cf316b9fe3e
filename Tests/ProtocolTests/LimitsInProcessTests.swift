@testable import CRMProtocol
import Foundation
import ProtocolTestSupport
import XCTest

/// Graceful shutdown, idle timeout, slow senders, rate limit and the connection cap, each against a
/// stub server with small limits, in-process. (A statement cancelled at its deadline is
/// PostgreSQL's part: CRMServerTests/ServerLimitsTests.)
final class LimitsInProcessTests: XCTestCase {
    private func start(_ configure: (inout ServerLimits) -> Void) async throws -> StubServer {
        var limits = ServerLimits()
        configure(&limits)
        return try await StubServer.start(limits: limits)
    }

    func testGracefulShutdownFinishesRequestsInFlight() async throws {
        let h = try await start { $0.shutdownGrace = .seconds(10) }
        let c = try h.client()
        XCTAssertEqual(try c.result("auth.login", ["key": "manager"])["role"], "manager")
        try c.send(line: #"{"jsonrpc":"2.0","id":"slow","method":"spec.sleep","params":{"seconds":1}}"#)
        try await Task.sleep(for: .milliseconds(200))
        let stopping = Task { await h.stop() }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertThrowsError(try TestClient(port: h.port, timeoutSeconds: 2).call("server.ping"), "no new connections while stopping")
        let answer = try c.readJSON()
        XCTAssertEqual(answer["id"], "slow")
        XCTAssertEqual(answer["result"], "slept", "the request in flight was answered")
        await stopping.value
    }

    func testIdleConnectionsAreClosed() async throws {
        let h = try await start { $0.idleTimeout = .seconds(1) }
        let c = try h.client()
        XCTAssertEqual(try c.result("server.ping"), "pong")
        try await Task.sleep(for: .milliseconds(2500))
        XCTAssertNil(try c.readLine(), "the server closed the idle connection")
        await h.stop()
    }

    func testAClientSendingAByteAtATimeIsClosedWhileOthersAreServed() async throws {
        let h = try await start { $0.lineTimeout = .seconds(1); $0.idleTimeout = .seconds(60) }
        let slow = try h.client()
        let normal = try h.client()
        let started = Date()
        var closed = false
        for byte in Array("{\"jsonrpc\":\"2.0\",\"method\":\"server.ping\",\"id\":1".utf8) {
            do { try slow.send(raw: [byte]) } catch { closed = true; break }
            XCTAssertEqual(try normal.result("server.ping"), "pong", "a normal client is served meanwhile")
            try await Task.sleep(for: .milliseconds(150))
            if Date().timeIntervalSince(started) > 3 { break }
        }
        if !closed { closed = slow.isClosedByServer() }
        XCTAssertTrue(closed, "the slow sender was cut off")
        XCTAssertEqual(try normal.result("server.ping"), "pong")
        await h.stop()
    }

    func testRateLimitPerKey() async throws {
        let h = try await start { $0.rateLimitPerSecond = 1; $0.rateLimitBurst = 5 }
        let c = try h.client()
        XCTAssertEqual(try c.result("auth.login", ["key": "manager"])["role"], "manager")
        var codes: [Int?] = []
        for _ in 0..<8 { codes.append(try c.call("plans.approve").errorCode) }
        XCTAssertEqual(codes.prefix(4).compactMap { $0 }, [], "the burst passes (the login took one)")
        XCTAssertTrue(codes.suffix(2).allSatisfy { $0 == -32029 }, "then -32029: \(codes)")
        XCTAssertEqual(try c.call("server.ping").errorCode, -32029, "a logged-in session pays for methods open to anyone too")
        XCTAssertEqual(try h.client().result("server.ping"), "pong", "a session without login pays from its own buckets")
        await h.stop()
    }

    func testConnectionCap() async throws {
        let h = try await start { $0.maxConnections = 3 }
        let held = try (0..<3).map { _ in try h.client() }
        for c in held { XCTAssertEqual(try c.result("server.ping"), "pong") }
        let extra = try h.client()
        let refusal = try extra.readJSON()
        XCTAssertEqual(refusal.errorCode, -32029)
        XCTAssertNil(try extra.readLine(), "the extra connection is closed")
        XCTAssertEqual(try held[0].result("server.ping"), "pong", "the others keep working")
        await h.stop()
    }
}
