import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import PQ
import XCTest

/// A viewer only reads, and PostgreSQL sees to it: its requests run as `crm_viewer` (no write
/// privilege anywhere) in READ ONLY transactions, and no read method writes.
final class ReadOnlyRoleTests: XCTestCase {
    /// A method open to viewers that tries to write anyway: what a bug in a read method would do.
    static let sneakyWrite = RPCMethod("test.sneaky_write", summary: "writes although the caller only reads", access: .unit) { _, ctx in
        _ = try await ctx.query("insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Sneaky')")
        return "wrote"
    }

    func testAViewerCannotWriteEvenThroughABuggyMethodAndReadingTiersWritesNothing() async throws {
        let h = try await ServerHarness.start("viewer", extraMethods: [Self.sneakyWrite])
        try h.createTenant("view-unit")
        let manager = try h.loggedIn(.unit(tenant: "view-unit", role: "manager"))
        let viewer = try h.loggedIn(.unit(tenant: "view-unit", role: "viewer"))
        let agent = try h.loggedIn(.unit(tenant: "view-unit", role: "agent"))
        let customer = try manager.result("customers.create", ["name": "Vera Viewed"])
        let product = try manager.result("products.create", ["sku": "V1", "name": "Viewed thing", "list_price": "10.00", "unit_cost": "4.00"])
        _ = try manager.result("orders.create", ["customer_id": customer["id"]!, "status": "confirmed", "ordered_at": "2030-06-01T10:00:00Z",
                                                 "lines": [["product_id": product["id"]!, "quantity": 1]]])

        let refused = try viewer.call("test.sneaky_write")
        XCTAssertEqual(refused.errorCode, -32003, "the database refuses the write: \(refused.serialized)")
        XCTAssertEqual(try manager.result("test.sneaky_write"), "wrote", "the same method writes for a manager")
        XCTAssertEqual(try viewer.result("customers.get", ["id": customer["id"]!])["name"], "Vera Viewed", "a viewer reads")

        // Tiers of a year never refreshed: answered live, and nothing is written for the reader.
        let snapshot = { () throws -> Int in
            var n = 0
            try h.sql { n = try $0.query("select count(*)::int as n from crm.customer_tier_snapshot")[0].get("n") }
            return n
        }
        let before = try snapshot()
        let tiers = try viewer.result("reports.customer_tiers", ["year": 2031])
        XCTAssertNotNil(tiers["items"]?.arrayValue)
        XCTAssertEqual(try snapshot(), before, "reading tiers wrote no snapshot row")

        // Refreshing is an explicit act of a manager or director.
        XCTAssertEqual(try viewer.call("reports.refresh_tiers", ["year": 2031]).errorCode, -32003)
        XCTAssertEqual(try agent.call("reports.refresh_tiers", ["year": 2031]).errorCode, -32003)
        XCTAssertNotNil(try manager.result("reports.refresh_tiers", ["year": 2031]).intValue)
        XCTAssertEqual(try snapshot(), before + 1, "the manager's refresh tiered the unit's one customer")
        await h.stop()
    }
}
