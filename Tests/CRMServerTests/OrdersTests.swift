import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// products.* and orders.* through the protocol: prices and costs of the day, status moves,
/// idempotent retries, the sales rollup, and bad input.
final class OrdersTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("orders") { h in
            try h.createTenant("shop-a")
            try h.createTenant("shop-b")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func testOrderKeepsPriceAndCostOfTheDayAndRollsUp() throws {
        let c = try Self.harness.loggedIn(.unit(tenant: "shop-a", role: "manager"))
        let product = try c.result("products.create", ["sku": "SK-1", "name": "Skimmer", "list_price": "89.00", "unit_cost": "31.00"])
        let pid = try XCTUnwrap(product["id"]?.stringValue)
        XCTAssertEqual(product["margin"], "58.00")
        let customer = try c.result("customers.create", ["name": "Pool Owner", "emails": ["owner@pool.example"]])
        let cid = try XCTUnwrap(customer["id"]?.stringValue)

        let order = try c.result("orders.create", ["customer_id": .string(cid), "lines": [["product_id": .string(pid), "quantity": 2]], "idempotency_key": "req-1"])
        XCTAssertEqual(order["total"], "178.00")
        XCTAssertEqual(order["status"], "confirmed")
        let retry = try c.result("orders.create", ["customer_id": .string(cid), "lines": [["product_id": .string(pid), "quantity": 2]], "idempotency_key": "req-1"])
        XCTAssertEqual(retry["id"], order["id"], "a retry with the same idempotency key creates nothing new")

        // A later price change does not touch the order.
        _ = try c.result("products.update", ["id": .string(pid), "version": 1, "list_price": "99.00"])
        XCTAssertEqual(try c.result("orders.get", ["id": order["id"]!])["total"], "178.00")

        // Status moves, with conflicts for forbidden ones; shipping invoices the order.
        let oid = order["id"]!
        XCTAssertEqual(try c.call("orders.set_status", ["id": oid, "status": "delivered"]).errorCode, -32009)
        XCTAssertEqual(try c.result("orders.set_status", ["id": oid, "status": "shipped"])["status"], "shipped")
        try Self.harness.sql { conn in
            let row = try conn.query("select revenue::text as r, cost::text as c, orders from crm.customer_month_summary where customer_id = \(Int64(cid)!)")[0]
            XCTAssertEqual(try row.get("r", as: String.self), "178.00")
            XCTAssertEqual(try row.get("c", as: String.self), "62.00")
            XCTAssertEqual(try row.get("orders", as: Int.self), 1)
            let balance = try conn.query("select crm.customer_balance(tenant_id, id)::text as b from crm.customer where id = \(Int64(cid)!)")[0]
            XCTAssertEqual(try balance.get("b", as: String.self), "178.00")
        }
        _ = try c.result("orders.set_status", ["id": oid, "status": "returned"])
        try Self.harness.sql { conn in
            let row = try conn.query("select revenue::text as r, orders from crm.customer_month_summary where customer_id = \(Int64(cid)!)")[0]
            XCTAssertEqual(try row.get("r", as: String.self), "0.00", "a return takes the order out of the sales rollup")
        }
        XCTAssertNotNil(try c.call("payments.record", ["customer_id": .string(cid), "amount": "10.00"])["result"])
    }

    func testBadInputAndOtherUnits() throws {
        let a = try Self.harness.loggedIn(.unit(tenant: "shop-a", role: "manager"))
        let b = try Self.harness.loggedIn(.unit(tenant: "shop-b", role: "manager"))
        let pid = try a.result("products.create", ["sku": "SK-X", "name": "Thing", "list_price": 10, "unit_cost": 4])["id"]!
        let cid = try a.result("customers.create", ["name": "Buyer"])["id"]!
        XCTAssertEqual(try a.call("products.create", ["sku": "SK-X", "name": "Again", "list_price": 1, "unit_cost": 1]).errorCode, -32009)
        XCTAssertEqual(try a.call("products.create", ["sku": "SK-Y", "name": "Cents", "list_price": "1.999", "unit_cost": 1]).errorCode, -32602)
        let unknown = try a.call("orders.create", ["customer_id": cid, "lines": [["product_id": "999999", "quantity": 1]]])
        XCTAssertEqual(unknown.errorCode, -32004)
        XCTAssertEqual(unknown["error"]?["data"]?["field"], "lines[0].product_id")
        XCTAssertEqual(try a.call("orders.create", ["customer_id": cid, "lines": []]).errorCode, -32602)
        XCTAssertEqual(try a.call("orders.create", ["customer_id": cid, "lines": [["product_id": pid, "quantity": 0]]]).errorCode, -32602)
        // Unit B can use neither A's customer nor A's product.
        XCTAssertEqual(try b.call("orders.create", ["customer_id": cid, "lines": [["product_id": pid, "quantity": 1]]]).errorCode, -32004)
        XCTAssertEqual(try b.call("products.get", ["id": pid]).errorCode, -32004)
        let order = try a.result("orders.create", ["customer_id": cid, "lines": [["product_id": pid, "quantity": 1]]])
        XCTAssertEqual(try b.call("orders.get", ["id": order["id"]!]).errorCode, -32004)
        XCTAssertEqual(try b.call("orders.set_status", ["id": order["id"]!, "status": "shipped"]).errorCode, -32004)
    }
}

extension OrdersTests {
    func testProfitReportThroughTheProtocolPagesBestFirst() throws {
        try Self.harness.createTenant("report-unit")
        let c = try Self.harness.loggedIn(.unit(tenant: "report-unit", role: "manager"))
        let pid = try c.result("products.create", ["sku": "R-1", "name": "Thing", "list_price": "10.00", "unit_cost": "4.00"])["id"]!
        var expected: [String] = []
        for q in [5, 1, 3] {  // margins 30, 6, 18
            let cid = try c.result("customers.create", ["name": .string("Buyer \(q)")])["id"]!
            _ = try c.result("orders.create", ["customer_id": cid, "lines": [["product_id": pid, "quantity": .number(q)]], "ordered_at": "2026-02-10T09:00:00Z"])
            expected.append(cid.stringValue!)
        }
        let first = try c.result("reports.customer_profit", ["granularity": "month", "period": "2026-02", "limit": 2])
        let items = try XCTUnwrap(first["items"]?.arrayValue)
        XCTAssertEqual(items.map { $0["gross_margin"] }, [30.0, 18.0].map { JSON.number(String(format: "%.2f", $0)) })
        let second = try c.result("reports.customer_profit", ["granularity": "month", "period": "2026-02", "limit": 2, "cursor": first["next_cursor"]!])
        XCTAssertEqual(second["items"]?.arrayValue?.map { $0["customer_id"] }, [.string(expected[1])], "ids are strings")
        XCTAssertEqual(second["next_cursor"], .null)
        XCTAssertEqual(try c.call("reports.customer_profit", ["granularity": "month", "period": "2026-13"]).errorCode, -32602)
        let other = try Self.harness.loggedIn(.unit(tenant: "shop-b", role: "manager"))
        XCTAssertEqual(try other.result("reports.customer_profit", ["granularity": "year", "period": "2026"])["items"]?.arrayValue?.count, 0)

        // 2027's tiers rank 2026's margins (30, 18, 6 of 54). Shares earned above each: 0, 30/54 = 0.556,
        // 48/54 = 0.889; with the default thresholds 0.5 and 0.8 that is A, B, C. The year was never
        // refreshed, so the first read computes it.
        let tiers = try c.result("reports.customer_tiers", ["year": 2027])
        let rows = try XCTUnwrap(tiers["items"]?.arrayValue)
        XCTAssertEqual(rows.map { $0["tier"] }, ["A", "B", "C"])
        XCTAssertEqual(rows.map { $0["customer_id"] }, [expected[0], expected[2], expected[1]].map(JSON.string))
        XCTAssertEqual(rows.map { $0["share_before"] }, [.number("0.000000"), .number("0.555556"), .number("0.888889")])
        let yearly = try c.result("reports.customer_profit", ["granularity": "year", "period": "2026", "limit": 1])
        XCTAssertEqual(yearly["items"]?.arrayValue?.first?["share_of_unit_margin"], .number("0.555556"), "30 of 54")
    }
}

extension OrdersTests {
    func testEveryReportAnswersThroughTheProtocol() throws {
        let c = try Self.harness.loggedIn(.unit(tenant: "shop-a", role: "manager"))
        for (method, params) in [("reports.product_profitability", [:]), ("reports.rfm", ["period": "week"]), ("reports.goals", [:]),
                                 ("reports.customer_tiers", ["year": 2026]), ("reports.staff_commission", ["month": "2026-01"])] as [(String, JSONObject)] {
            XCTAssertNotNil(try c.result(method, params)["items"]?.arrayValue, method)
        }
        XCTAssertNotNil(try c.result("reports.crm_roi")["customers"])
        for (method, params) in [("reports.channel_effectiveness", ["month": "2026-03"]), ("reports.call_centre_daily", ["day": "2026-03-02"]),
                                 ("reports.satisfaction", [:])] as [(String, JSONObject)] {
            XCTAssertNotNil(try c.result(method, params).arrayValue, method)
        }
        XCTAssertNotNil(try c.result("reports.lifecycle_funnel")["funnel"]?.arrayValue)
        XCTAssertNotNil(try c.result("reports.customer_value", ["limit": 5])["items"]?.arrayValue)
        XCTAssertEqual(try c.call("reports.satisfaction", ["month": "March"]).errorCode, -32602)
        XCTAssertEqual(try c.call("reports.rfm", ["as_of": "2026-02-30x"]).errorCode, -32602)
    }
}
