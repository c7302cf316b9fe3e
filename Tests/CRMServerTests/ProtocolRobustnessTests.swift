import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// Access with real keys end to end: before login, revoked keys, a partner on a unit method, a
/// viewer. (Malformed input, limits and load: ProtocolTests, in-process against stub methods.)
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
}
