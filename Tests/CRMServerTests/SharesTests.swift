import ProtocolTestSupport
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// shares.* through the protocol: a unit's manager shares a customer with another unit, which then
/// reads it (read-only) until the share is revoked; only managers and directors share.
final class SharesTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("shares") { h in
            try h.createTenant("hotel-berlin")
            try h.createTenant("hotel-munich")
        }
    }

    override class func tearDown() { harness?.stopBlocking() }

    func testAGuestSharedWithAnotherHotelUntilRevoked() throws {
        let berlin = try Self.harness.loggedIn(.unit(tenant: "hotel-berlin", role: "manager"))
        let munich = try Self.harness.loggedIn(.unit(tenant: "hotel-munich", role: "agent"))
        let guest = try berlin.result("customers.create", ["name": "Gisela Guest", "phones": ["+49 30 5550101"]])["id"]!
        XCTAssertEqual(try munich.call("customers.get", ["id": guest]).errorCode, -32004, "not shared yet")

        let agent = try Self.harness.loggedIn(.unit(tenant: "hotel-berlin", role: "agent"))
        XCTAssertEqual(try agent.call("shares.grant", ["shared_with": "hotel-munich", "customer_id": guest]).errorCode, -32003,
                       "agents do not share")
        XCTAssertEqual(try berlin.call("shares.grant", ["shared_with": "hotel-nowhere", "customer_id": guest]).errorCode, -32004)

        let share = try berlin.result("shares.grant", ["shared_with": "hotel-munich", "customer_id": guest])
        XCTAssertEqual(share["shared_with"], "hotel-munich")
        XCTAssertEqual(share["all_customers"], false)
        let seen = try munich.result("customers.get", ["id": guest])
        XCTAssertEqual(seen["name"], "Gisela Guest", "Munich reads the shared guest")
        XCTAssertEqual(seen["shared_from"], "hotel-berlin", "and the unit it comes from")
        XCTAssertEqual(try berlin.result("customers.get", ["id": guest])["shared_from"], .null, "Berlin's own guest")
        XCTAssertEqual(try munich.call("customers.update", ["id": guest, "version": 1, "name": "Changed"]).errorCode, -32004, "read-only")
        XCTAssertEqual(try munich.result("shares.list", ["direction": "received"])["items"]?.arrayValue?.map { $0["id"] }, [share["id"]!])
        XCTAssertEqual(try berlin.result("shares.list")["items"]?.arrayValue?.count, 1)
        let viewer = try Self.harness.loggedIn(.unit(tenant: "hotel-berlin", role: "viewer"))
        XCTAssertEqual(try viewer.result("shares.list")["items"]?.arrayValue?.count, 1, "a viewer may read the shares")

        XCTAssertEqual(try munich.call("shares.revoke", ["id": share["id"]!]).errorCode, -32003, "an agent of the other unit cannot revoke")
        XCTAssertNotEqual(try berlin.result("shares.revoke", ["id": share["id"]!])["revoked_at"], .null)
        XCTAssertEqual(try munich.call("customers.get", ["id": guest]).errorCode, -32004, "revoked: gone at the next request")
        XCTAssertEqual(try berlin.call("shares.revoke", ["id": share["id"]!]).errorCode, -32004, "revoked once")
        XCTAssertEqual(try berlin.result("shares.list")["items"]?.arrayValue?.count, 0)
        XCTAssertEqual(try berlin.result("shares.list", ["include_revoked": true])["items"]?.arrayValue?.count, 1)
    }
}
