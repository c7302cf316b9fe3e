import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import PQ
import XCTest

/// Privacy, goals and tier service through the protocol: customers.export and customers.erase
/// (refused while shared, for managers and directors only, figures kept), the goal metrics that
/// were always 0 and the new rates in reports.goals, and a unit's tier_service setting applied by
/// orders.create and quotes.create. The SQL rules behind them: SQL/tests/26-28.
final class PrivacyGoalsTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("privacy") { h in
            try h.createTenant("priv-shop")
            try h.createTenant("priv-other")
            try h.createTenant("priv-tiers")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func client(_ tenant: String, _ role: String) throws -> TestClient {
        try Self.harness.loggedIn(.unit(tenant: tenant, role: role))
    }

    func testExportThenEraseKeepsTheFiguresAndForgetsThePerson() throws {
        let m = try client("priv-shop", "manager")
        let agent = try client("priv-shop", "agent")
        let cust = try m.result("customers.create", ["name": "Petra Private", "emails": ["petra@private.example"], "phones": ["030 5550101"],
                                                     "address": ["city": "Berlin"], "consent": ["email": true]])["id"]!
        let pid = try m.result("products.create", ["sku": "PRIV-1", "name": "Lamp", "list_price": 20, "unit_cost": 8])["id"]!
        let order = try m.result("orders.create", ["customer_id": cust, "lines": [["product_id": pid, "quantity": 2]]])
        _ = try m.result("interactions.log", ["customer_id": cust, "channel": "phone", "summary": "Petra told us about her health"])

        let export = try m.result("customers.export", ["id": cust])
        XCTAssertEqual(export["customer"]?["name"], "Petra Private")
        XCTAssertEqual(export["orders"]?.arrayValue?.first?["total"], "40.00")
        XCTAssertEqual(export["interactions"]?.arrayValue?.first?["summary"], "Petra told us about her health")
        XCTAssertEqual(export["contact_details"]?.arrayValue?.count, 2)
        for key in ["invoices", "payments", "cases", "tasks", "survey_answers", "loyalty", "consents", "shares", "audit", "lifecycle_history"] {
            XCTAssertNotNil(export[key], "the export has \(key)")
        }
        XCTAssertEqual(try agent.call("customers.export", ["id": cust]).errorCode, -32003, "managers and directors only")
        XCTAssertEqual(try agent.call("customers.erase", ["id": cust, "confirm": true]).errorCode, -32003)
        XCTAssertEqual(try client("priv-other", "manager").call("customers.export", ["id": cust]).errorCode, -32004, "another unit's customer")

        let unconfirmed = try m.call("customers.erase", ["id": cust, "confirm": false])
        XCTAssertEqual(unconfirmed.errorCode, -32602)
        XCTAssertEqual(unconfirmed["error"]?["data"]?["field"], "confirm")

        let share = try m.result("shares.grant", ["shared_with": "priv-other", "customer_id": cust])
        let refused = try m.call("customers.erase", ["id": cust, "confirm": true])
        XCTAssertEqual(refused.errorCode, -32009, "shared with another unit")
        XCTAssertEqual(refused["error"]?["data"]?["reason"]?.stringValue?.contains("revoke the share first"), true, "\(refused)")
        _ = try m.result("shares.revoke", ["id": share["id"]!])

        let erased = try m.result("customers.erase", ["id": cust, "confirm": true])
        XCTAssertEqual(erased["erased"], true)
        let after = try m.result("customers.get", ["id": cust])
        XCTAssertEqual(after["name"], "Erased customer")
        XCTAssertEqual(after["emails"], [])
        XCTAssertEqual(after["phones"], [])
        XCTAssertEqual(after["address"], .null)
        XCTAssertEqual(try m.call("customers.lookup", ["phone": "030 5550101"]).errorCode, -32004, "the contact index forgot the number")
        XCTAssertEqual(try m.result("orders.get", ["id": order["id"]!])["total"], "40.00", "the order and its figures stay")
        let list = try m.result("interactions.list", ["customer_id": cust])["items"]?.arrayValue
        XCTAssertEqual(list?.first?["summary"], .null, "free text gone")
        let again = try m.result("customers.export", ["id": cust])
        XCTAssertNotNil(again["customer"]?["erased_at"]?.stringValue)
        XCTAssertFalse(again.description.lowercased().contains("petra"), "the export names her nowhere")
    }

    func testGoalsMeasureContactsAndRates() throws {
        let m = try client("priv-shop", "director")
        let a = try m.result("customers.create", ["name": "Goal Anna"])["id"]!
        let b = try m.result("customers.create", ["name": "Goal Ben"])["id"]!
        let pid = try m.result("products.create", ["sku": "GOAL-1", "name": "Pot", "list_price": 10, "unit_cost": 4])["id"]!
        // Previous period Jan 22-31: Anna and Ben buy; period Feb 1-10: Anna only. Churn 1/2.
        for (who, at) in [(a, "2026-01-25T10:00:00Z"), (b, "2026-01-26T10:00:00Z"), (a, "2026-02-05T10:00:00Z")] {
            _ = try m.result("orders.create", ["customer_id": who, "lines": [["product_id": pid, "quantity": 1]], "ordered_at": .string(at)])
        }
        for at in ["2026-02-02T09:00:00Z", "2026-02-09T09:00:00Z", "2026-02-11T09:00:00Z"] {
            _ = try m.result("interactions.log", ["customer_id": a, "channel": "email", "occurred_at": .string(at)])
        }
        var ids: [String: JSON] = [:]
        for (metric, target) in [("contacts", "4"), ("churn_rate", "0.25"), ("retention_rate", "0.75"), ("margin_rate", "0.30")] {
            ids[metric] = try m.result("goals.set", ["metric": .string(metric), "target": .number(target),
                                                     "period_start": "2026-02-01", "period_end": "2026-02-10"])["id"]
        }
        XCTAssertEqual(try m.call("goals.set", ["metric": "happiness", "target": 1, "period_start": "2026-02-01", "period_end": "2026-02-10"]).errorCode,
                       -32602, "an unknown metric")
        let items = try m.result("reports.goals", ["limit": 100])["items"]!.arrayValue!
        func actual(_ metric: String) -> JSON? { items.first { $0["goal_id"] == ids[metric] }?["actual"] }
        XCTAssertEqual(actual("contacts"), 2, "two contacts in Feb 1-10")
        XCTAssertEqual(actual("churn_rate"), .number("0.5000"), "Ben did not come back")
        XCTAssertEqual(actual("retention_rate"), .number("0.5000"))
        XCTAssertEqual(actual("margin_rate"), .number("0.6000"), "6 of 10")
    }

    func testTierServiceOnOrdersAndQuotes() throws {
        let m = try client("priv-tiers", "manager")
        let bad = try m.call("settings.update", ["tier_service": ["A": ["discount_percent": 150]]])
        XCTAssertEqual(bad.errorCode, -32602)
        XCTAssertEqual(bad["error"]?["data"]?["field"], "tier_service.A.discount_percent")
        let set = try m.result("settings.update", ["tier_service": ["A": ["discount_percent": 10, "delivery_days": 2]]])
        XCTAssertEqual(set["tier_service"]?["A"]?["delivery_days"], 2)

        let top = try m.result("customers.create", ["name": "Top Tina"])["id"]!
        let other = try m.result("customers.create", ["name": "Other Otto"])["id"]!
        let pid = try m.result("products.create", ["sku": "TIER-1", "name": "Chair", "list_price": 50, "unit_cost": 20])["id"]!
        try Self.harness.sql { conn in
            _ = try conn.query("""
                insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
                select tenant_id, id, extract(year from now())::int, 'A', 100 from crm.customer where id = \(Int64(top.stringValue!)!)
                """)
        }
        let order = try m.result("orders.create", ["customer_id": top, "lines": [["product_id": pid, "quantity": 2]],
                                                   "ordered_at": "2026-03-02T10:00:00Z"])
        XCTAssertEqual(order["lines"]?.arrayValue?.first?["unit_price"], "45.00", "10% off for tier A")
        XCTAssertEqual(order["total"], "90.00")
        XCTAssertEqual(order["tier_service"]?["discount"], "10.00")
        XCTAssertEqual(order["tier_service"]?["deliver_by"], "2026-03-04")
        let quote = try m.result("quotes.create", ["customer_id": top, "lines": [["product_id": pid, "quantity": 1]]])
        XCTAssertEqual(quote["status"], "quoted")
        XCTAssertEqual(quote["total"], "45.00")
        XCTAssertEqual(quote["tier_service"]?["tier"], "A")
        let plain = try m.result("orders.create", ["customer_id": other, "lines": [["product_id": pid, "quantity": 2]]])
        XCTAssertEqual(plain["total"], "100.00", "no tier: list prices")
        XCTAssertEqual(plain["tier_service"], .null)
    }

    func testDiscoveryDescribesTheNewMethods() throws {
        let doc = try Self.harness.client().result("rpc.discover")
        let methods = doc["methods"]?.arrayValue ?? []
        for name in ["customers.export", "customers.erase"] {
            XCTAssertNotNil(methods.first { $0["name"]?.stringValue == name }, name)
        }
        let goals = methods.first { $0["name"] == "goals.set" }
        XCTAssertTrue(goals?.description.contains("churn_rate") ?? false, "goals.set names its metrics")
    }
}
