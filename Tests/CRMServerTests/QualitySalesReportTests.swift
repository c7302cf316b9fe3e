import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import PQ
import XCTest

/// The reports of issue 19 end to end: repair cost on cases and referrers on customers set over
/// the protocol, the scheduled job refreshing the basket pairs, and every new reports.* method
/// answering for its own unit only (and never to a partner).
final class QualitySalesReportTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("qualitysales") { h in
            try h.createTenant("rq-a")
            try h.createTenant("rq-b")
            try h.createPartner("rq-partner")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func testQualityAndSalesReportsThroughTheProtocol() async throws {
        let h = Self.harness!
        let m = try h.loggedIn(.unit(tenant: "rq-a", role: "manager"))
        let pump = try m.result("products.create", ["sku": "RQ-PUMP", "name": "Pump", "list_price": 100, "unit_cost": 60])["id"]!
        let hose = try m.result("products.create", ["sku": "RQ-HOSE", "name": "Hose", "list_price": 10, "unit_cost": 4])["id"]!
        let ann = try m.result("customers.create", ["name": "Ann Referrer"])["id"]!
        let bea = try m.result("customers.create", ["name": "Bea Referred", "referred_by": ann])
        XCTAssertEqual(bea["referred_by"], ann, "customers.create records the referrer")
        let cy = try m.result("customers.create", ["name": "Cy"])
        let cyUpdated = try m.result("customers.update", ["id": cy["id"]!, "version": 1, "referred_by": ann])
        XCTAssertEqual(cyUpdated["referred_by"], ann, "customers.update sets it")
        XCTAssertEqual(try m.call("customers.update", ["id": cy["id"]!, "version": 2, "referred_by": cy["id"]!]).errorCode, -32602,
                       "nobody refers themselves")

        // Bea buys a pump and a hose twice: revenue 2 x 110 = 220, margin 2 x (40 + 6) = 92.
        for _ in 0..<2 {
            _ = try m.result("orders.create", ["customer_id": bea["id"]!, "lines": [["product_id": pump, "quantity": 1], ["product_id": hose, "quantity": 1]]])
        }
        // A quote of 3 pumps: 300 open, weighted 0.40 -> 120.
        _ = try m.result("quotes.create", ["customer_id": ann, "lines": [["product_id": pump, "quantity": 3]]])

        // A case about the pump: repair cost on opening, changed by an update.
        let opened = try m.result("cases.open", ["customer_id": bea["id"]!, "category": "quality", "subject": "pump leaks",
                                                 "product_id": pump, "repair_cost": "40.00"])
        XCTAssertEqual(opened["repair_cost"]?.doubleValue, 40)
        let updated = try m.result("cases.update", ["id": opened["id"]!, "repair_cost": 60, "note": "new seal"])
        XCTAssertEqual(updated["repair_cost"]?.doubleValue, 60)
        XCTAssertEqual(try m.call("cases.update", ["id": opened["id"]!, "repair_cost": -5]).errorCode, -32602, "no negative repair cost")

        let complaints = try m.result("reports.complaints").arrayValue!
        XCTAssertEqual(complaints.count, 1)
        XCTAssertEqual(complaints.first?["category"], "quality")
        XCTAssertEqual(complaints.first?["repair_cost"]?.doubleValue, 60)
        XCTAssertEqual(complaints.first?["product_id"], pump)
        let agents = try m.result("reports.agent_service", ["limit": 5]).arrayValue!
        XCTAssertEqual(agents.first?["cases"], 1)
        XCTAssertEqual(agents.first?["responded"], 1, "the update was the first response")
        let repairs = try m.result("reports.repair_costs").arrayValue!
        let pumpRow = repairs.first { $0["product_id"] == pump }
        XCTAssertEqual(pumpRow?["units_sold"]?.doubleValue, 2)
        XCTAssertEqual(pumpRow?["gross_margin"]?.doubleValue, 80)
        XCTAssertEqual(pumpRow?["gross_margin_after_repairs"]?.doubleValue, 20, "80 of margin less 60 of repairs")
        XCTAssertEqual(try m.call("reports.complaints", ["month": "2026-13"]).errorCode, -32602)

        // The scheduled job refreshes the basket pairs: pump and hose in both orders.
        let job = TaskRulesService(database: CRMDatabase(pool: h.pool, logger: .init(label: "t")), interval: .seconds(3600), logger: .init(label: "t"))
        _ = try await job.runOnce()
        let basket = try m.result("reports.basket_affinity", ["min_support": "0.5", "limit": 10])
        XCTAssertEqual(basket["orders_total"], 2)
        let pair = basket["pairs"]?.arrayValue?.first
        XCTAssertEqual(pair?["orders_together"], 2)
        XCTAssertEqual(pair?["support"]?.doubleValue, 1)
        XCTAssertEqual(pair?["lift"]?.doubleValue, 1)
        XCTAssertEqual(Set([pair?["product_a"]?.stringValue, pair?["product_b"]?.stringValue].compactMap { $0 }),
                       Set([pump.stringValue, hose.stringValue].compactMap { $0 }))

        let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
        let base = try m.result("reports.existing_vs_new", ["year": .number(String(year))])
        XCTAssertEqual(base["total"]?["new_gross_margin"]?.doubleValue, 92, "Bea is a new customer")
        XCTAssertEqual(base["total"]?["existing_gross_margin"]?.doubleValue, 0)

        let referrals = try m.result("reports.referrals").arrayValue!
        XCTAssertEqual(referrals.count, 1)
        XCTAssertEqual(referrals.first?["referrer_id"], ann)
        XCTAssertEqual(referrals.first?["referred_customers"], 2)
        XCTAssertEqual(referrals.first?["referred_gross_margin"]?.doubleValue, 92)

        let adoption = try m.result("reports.adoption", ["weeks": 1]).arrayValue!
        let managers = adoption.first { $0["role"] == "manager" }
        XCTAssertEqual(managers?["active_keys"], 1, "this session's login was recorded: \(adoption)")

        let forecast = try m.result("reports.sales_forecast", ["months": 3])
        XCTAssertEqual(forecast["weighted_pipeline"]?.doubleValue, 120)
        XCTAssertEqual(forecast["run_rate"]?.arrayValue?.count, 0, "no full month of sales yet")

        // A viewer reads them too; another unit sees nothing; a partner may not call them.
        let viewer = try h.loggedIn(.unit(tenant: "rq-a", role: "viewer"))
        XCTAssertEqual(try viewer.result("reports.repair_costs").arrayValue?.isEmpty, false)
        let other = try h.loggedIn(.unit(tenant: "rq-b", role: "manager"))
        XCTAssertEqual(try other.result("reports.referrals").arrayValue?.count, 0)
        XCTAssertEqual(try other.result("reports.complaints").arrayValue?.count, 0)
        XCTAssertEqual(try other.result("reports.basket_affinity")["pairs"]?.arrayValue?.count, 0)
        let partner = try h.loggedIn(.partner("rq-partner"))
        for method in ["reports.complaints", "reports.repair_costs", "reports.agent_service", "reports.basket_affinity",
                       "reports.existing_vs_new", "reports.referrals", "reports.adoption", "reports.sales_forecast"] {
            XCTAssertEqual(try partner.call(method).errorCode, -32003, method)
        }
    }
}
