import ProtocolTestSupport
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// A guest known at every hotel, through the protocol: Berlin shares its guest with Munich, which
/// knows her too (same phone). Munich's customers.lookup and customers.get show Berlin's stays,
/// balance, open case and last price, each naming Berlin; reports.group_customer_value adds her
/// profit contribution across both hotels. Hamburg, not shared with, sees nothing; a revoked share
/// shows nothing at the next request. Figures worked by hand.
final class SharedCustomerTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("sharedcustomer") { h in
            try h.createTenant("hotel-berlin")
            try h.createTenant("hotel-munich")
            try h.createTenant("hotel-hamburg")
        }
    }

    override class func tearDown() { harness?.stopBlocking() }

    /// The shared part as unit:id or unit:figure per item (lookup answers json, get jsonb: key order differs).
    static func summary(_ shared: JSON?) -> [String] {
        func items(_ key: String, _ field: String) -> [String] {
            (shared?[key]?.arrayValue ?? []).map { "\(key) \($0["unit"]?.stringValue ?? "-"):\($0[field]?.stringValue ?? "-")" }
        }
        return items("customers", "customer_id") + items("customers", "balance") + items("orders", "id") + items("open_cases", "id")
            + items("last_quotes", "price")
    }

    func testAGuestKnownAtEveryHotel() throws {
        let berlin = try Self.harness.loggedIn(.unit(tenant: "hotel-berlin", role: "manager"))
        let munich = try Self.harness.loggedIn(.unit(tenant: "hotel-munich", role: "manager"))
        let hamburg = try Self.harness.loggedIn(.unit(tenant: "hotel-hamburg", role: "manager"))
        let phone: JSON = "+49 30 5550199"

        // Berlin: Greta stays two nights at 100.00 (cost 40.00), shipped: invoiced 200.00; she pays
        // 50.00 (balance 150.00); her key is lost (an open case); she is quoted 90.00 for the room.
        let room = try berlin.result("products.create", ["sku": "ROOM", "name": "Double room", "list_price": "100.00", "unit_cost": "40.00"])["id"]!
        let greta = try berlin.result("customers.create", ["name": "Greta Guest", "phones": [phone], "emails": ["greta@example.com"]])["id"]!
        let stay = try berlin.result("orders.create", ["customer_id": greta, "lines": [["product_id": room, "quantity": 2]], "status": "confirmed"])["id"]!
        _ = try berlin.result("orders.set_status", ["id": stay, "status": "shipped"])
        _ = try berlin.result("payments.record", ["customer_id": greta, "amount": "50.00"])
        let lostKey = try berlin.result("cases.open", ["customer_id": greta, "category": "complaint", "subject": "Lost key"])["id"]!
        _ = try berlin.result("interactions.log", ["customer_id": greta, "channel": "phone", "quotes": [["product_id": room, "price": "90.00"]]])
        // Munich knows her by the same phone, with no stay yet.
        let gretaMunich = try munich.result("customers.create", ["name": "Greta in Munich", "phones": [phone]])["id"]!

        let before = try munich.result("customers.lookup", ["phone": phone])
        XCTAssertEqual(before["customer"]?["name"], "Greta in Munich")
        XCTAssertEqual(before["shared"]?["customers"]?.arrayValue?.count, 0, "nothing shared yet")

        _ = try berlin.result("shares.grant", ["shared_with": "hotel-munich", "customer_id": greta])

        // customers.lookup in Munich: her own record first, Berlin's in `shared`, each item naming Berlin.
        let lookup = try munich.result("customers.lookup", ["phone": phone])
        XCTAssertEqual(lookup["customer"]?["name"], "Greta in Munich")
        let shared = try XCTUnwrap(lookup["shared"])
        let there = try XCTUnwrap(shared["customers"]?.arrayValue)
        XCTAssertEqual(there.count, 1)
        XCTAssertEqual(there.first?["unit"], "hotel-berlin")
        XCTAssertEqual(there.first?["unit_name"], "Hotel-Berlin")
        XCTAssertEqual(there.first?["customer_id"], greta)
        XCTAssertEqual(there.first?["balance"], "150.00", "invoiced 200.00, paid 50.00")
        XCTAssertEqual(there.first?["sales_last_12_months"], "200.00")
        let stays = try XCTUnwrap(shared["orders"]?.arrayValue)
        XCTAssertEqual(stays.map { $0["id"] }, [stay])
        XCTAssertEqual(stays.first?["total"], "200.00")
        XCTAssertEqual(stays.first?["status"], "shipped")
        XCTAssertEqual(stays.first?["unit"], "hotel-berlin")
        XCTAssertEqual(shared["open_cases"]?.arrayValue?.map { $0["id"] }, [lostKey])
        XCTAssertEqual(shared["open_cases"]?.arrayValue?.first?["unit_name"], "Hotel-Berlin")
        XCTAssertEqual(shared["last_quotes"]?.arrayValue?.map { $0["price"] }, ["90.00"])
        XCTAssertEqual(shared["last_quotes"]?.arrayValue?.first?["unit"], "hotel-berlin")
        XCTAssertEqual(lookup["open_cases"]?.arrayValue?.count, 0, "Munich's own lists stay Munich's")

        // customers.get: of Munich's Greta and of Berlin's Greta, the same shared part.
        XCTAssertEqual(Self.summary(try munich.result("customers.get", ["id": gretaMunich])["shared"]), Self.summary(shared))
        let got = try munich.result("customers.get", ["id": greta])
        XCTAssertEqual(got["shared_from"], "hotel-berlin")
        XCTAssertEqual(Self.summary(got["shared"]), Self.summary(shared))
        let viewer = try Self.harness.loggedIn(.unit(tenant: "hotel-munich", role: "viewer"))
        XCTAssertEqual(Self.summary(try viewer.result("customers.lookup", ["phone": phone])["shared"]), Self.summary(shared),
                       "a viewer sees the same")

        // Read-only: Munich cannot pay into Berlin's guest or change her case; Berlin's figures stand.
        XCTAssertNotNil(try munich.call("payments.record", ["customer_id": greta, "amount": "1.00"]).errorCode)
        XCTAssertNotNil(try munich.call("cases.assign", ["id": lostKey, "assigned_to": "1"]).errorCode)
        XCTAssertEqual(try berlin.result("customers.lookup", ["phone": phone])["balance"], "150.00")

        // Hamburg: not shared with, nothing.
        XCTAssertEqual(try hamburg.call("customers.lookup", ["phone": phone]).errorCode, -32004)
        XCTAssertEqual(try hamburg.call("customers.get", ["id": greta]).errorCode, -32004)
        XCTAssertEqual(try hamburg.result("reports.group_customer_value")["items"]?.arrayValue?.count, 0)

        // The group view in Munich: both records of Greta, her margin 2 x (100 - 40) = 120.00 at
        // Berlin, none yet at Munich; paged by customer id.
        let group = try XCTUnwrap(munich.result("reports.group_customer_value")["items"]?.arrayValue)
        XCTAssertEqual(Set(group.compactMap { $0["customer_id"]?.stringValue }), Set([greta, gretaMunich].compactMap(\.stringValue)))
        for row in group {
            XCTAssertEqual(row["tenant"], "hotel-munich")
            XCTAssertEqual(row["group_units"], ["hotel-berlin", "hotel-munich"])
            XCTAssertEqual(row["group_customers"], 2)
            XCTAssertEqual(row["group_gross_margin_12m"]?.doubleValue, 120)
            XCTAssertEqual(row["group_revenue_12m"]?.doubleValue, 200)
        }
        let berlinRow = try XCTUnwrap(group.first { $0["customer_id"] == greta })
        XCTAssertEqual(berlinRow["unit"], "hotel-berlin")
        XCTAssertEqual(berlinRow["unit_name"], "Hotel-Berlin")
        XCTAssertEqual(berlinRow["gross_margin_12m"]?.doubleValue, 120)
        XCTAssertEqual(berlinRow["share_of_group_margin"]?.doubleValue, 1)
        let first = try munich.result("reports.group_customer_value", ["limit": 1])
        XCTAssertEqual(first["items"]?.arrayValue?.count, 1)
        let cursor = try XCTUnwrap(first["next_cursor"])
        let second = try munich.result("reports.group_customer_value", ["limit": 1, "cursor": cursor])
        XCTAssertEqual(second["items"]?.arrayValue?.count, 1)
        XCTAssertNotEqual(second["items"]?.arrayValue?.first?["customer_id"], first["items"]?.arrayValue?.first?["customer_id"])
        // Berlin's own view: Munich shares nothing with Berlin, so Greta is Berlin's alone there.
        let berlinGroup = try XCTUnwrap(berlin.result("reports.group_customer_value")["items"]?.arrayValue)
        XCTAssertEqual(berlinGroup.map { $0["group_units"] }, [["hotel-berlin"]])

        // Revoked: at the next request Munich sees nothing of Berlin.
        let shareID = try XCTUnwrap(berlin.result("shares.list")["items"]?.arrayValue?.first?["id"])
        _ = try berlin.result("shares.revoke", ["id": shareID])
        let after = try munich.result("customers.lookup", ["phone": phone])
        XCTAssertEqual(after["shared"]?["customers"]?.arrayValue?.count, 0)
        XCTAssertEqual(after["shared"]?["orders"]?.arrayValue?.count, 0)
        XCTAssertEqual(try munich.call("customers.get", ["id": greta]).errorCode, -32004)
        XCTAssertEqual(try munich.result("reports.group_customer_value")["items"]?.arrayValue?.map { $0["group_units"] }, [["hotel-munich"]])
    }
}
