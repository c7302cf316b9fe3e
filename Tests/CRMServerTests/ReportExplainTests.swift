import ProtocolTestSupport
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// reports.explain through the protocol: a figure, its sources and the formula, for the caller's
/// unit only. (The figures of every kind are worked out by hand in SQL/tests/24_report_explain.sql.)
final class ReportExplainTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("explain") { h in
            try h.createTenant("explain-a")
            try h.createTenant("explain-b")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func testProfitContributionExplainedFromItsOrderLines() throws {
        let m = try Self.harness.loggedIn(.unit(tenant: "explain-a", role: "manager"))
        let cust = try m.result("customers.create", ["name": "Doubted Dora"])["id"]!
        let pid = try m.result("products.create", ["sku": "EXP-1", "name": "Widget", "list_price": 50, "unit_cost": 30])["id"]!
        // 3 x 50 = 150 revenue, 3 x 30 = 90 cost: 60 margin; then 1 x 50: 20 margin. March 2026: 80.
        _ = try m.result("orders.create", ["customer_id": cust, "lines": [["product_id": pid, "quantity": 3]], "ordered_at": "2026-03-05T10:00:00Z"])
        _ = try m.result("orders.create", ["customer_id": cust, "lines": [["product_id": pid, "quantity": 1]], "ordered_at": "2026-03-25T10:00:00Z"])
        let e = try m.result("reports.explain", ["report": "profit_contribution", "key": ["customer_id": cust, "month": "2026-03"]])
        XCTAssertEqual(e["figure"]?["gross_margin"]?.doubleValue, 80)
        XCTAssertEqual(e["recomputed"]?["gross_margin"]?.doubleValue, 80)
        XCTAssertEqual(e["matches"], true)
        XCTAssertEqual(e["sources"]?.arrayValue?.map { $0["quantity"]?.doubleValue }, [3, 1])
        XCTAssertEqual(e["formula"]?.stringValue?.contains("unit_cost"), true)

        XCTAssertEqual(try m.call("reports.explain", ["report": "margin", "key": ["customer_id": cust]]).errorCode, -32602)
        let missing = try m.call("reports.explain", ["report": "profit_contribution", "key": ["customer_id": cust]])
        XCTAssertEqual(missing.errorCode, -32602)
        XCTAssertEqual(missing["error"]?["data"]?["field"], "key.month")
        let other = try Self.harness.loggedIn(.unit(tenant: "explain-b", role: "manager"))
        XCTAssertEqual(try other.call("reports.explain", ["report": "profit_contribution", "key": ["customer_id": cust, "month": "2026-03"]]).errorCode,
                       -32004, "another unit cannot have the customer explained")
    }
}
