import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// A request's deadline cancels its statement in PostgreSQL (PQcancel). Graceful shutdown, idle
/// timeout, slow senders, rate limit and the connection cap: ProtocolTests/LimitsInProcessTests.
final class ServerLimitsTests: XCTestCase {
    /// A method that sleeps in PostgreSQL, for deadline and shutdown tests.
    static let sleep = RPCMethod("test.sleep", summary: "sleeps in SQL", params: [ParamSpec("seconds", .number, required: true)], access: .unit) { p, ctx in
        let seconds = p.object["seconds"]?.doubleValue ?? 0
        _ = try await ctx.db { conn in try conn.query("select pg_sleep(\(seconds))") }
        return "slept"
    }

    private func start(_ label: String, _ configure: (inout ServerLimits) -> Void) async throws -> ServerHarness {
        var limits = ServerLimits()
        configure(&limits)
        let h = try await ServerHarness.start(label, limits: limits, extraMethods: [Self.sleep])
        try h.createTenant("\(label)-unit")
        return h
    }

    func testASlowStatementIsCancelledAtTheDeadline() async throws {
        let h = try await start("deadline") { $0.requestDeadline = .milliseconds(300) }
        let c = try h.loggedIn(.unit(tenant: "deadline-unit", role: "manager"))
        let started = ContinuousClock.now
        let r = try c.call("test.sleep", ["seconds": 5])
        XCTAssertEqual(r.errorCode, -32008)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(4), "cancelled, not waited out")
        XCTAssertEqual(try c.result("test.sleep", ["seconds": .number("0.01")]), "slept", "the connection and pool are fine afterwards")
        await h.stop()
    }

}
