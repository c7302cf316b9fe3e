import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import PQ
import CRMCore
import XCTest

/// cases.*, tasks.*, surveys.record and the task rules, through the protocol.
final class ServiceLoyaltyTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("service") { h in
            try h.createTenant("care-a")
            try h.createTenant("care-b")
            try h.sql { conn in
                try conn.query("update crm.tenant set settings = \(PQJSON(#"{"sla_hours": {"high": 8}, "care_call_days": 30}"#))::jsonb where slug = 'care-a'")
            }
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func testCaseLifecycleWithSLAAndResponseTimes() throws {
        let c = try Self.harness.loggedIn(.unit(tenant: "care-a", role: "agent"))
        let cust = try c.result("customers.create", ["name": "Unhappy Uwe"])["id"]!
        let staff = try Self.harness.loggedIn(.unit(tenant: "care-a", role: "manager")).result("staff.create", ["name": "Fixer"])["id"]!
        let opened = try c.result("cases.open", ["customer_id": cust, "category": "quality", "priority": "high",
                                                 "subject": "Skimmer cracked", "opened_at": "2026-05-01T10:00:00Z"])
        XCTAssertEqual(opened["sla_due_at"]?.stringValue?.hasPrefix("2026-05-01T18:00:00"), true, "8 hours from the unit's settings: \(opened)")
        XCTAssertEqual(opened["first_response_at"], .null)
        let id = opened["id"]!
        let assigned = try c.result("cases.assign", ["id": id, "assigned_to": staff, "note": "on it"])
        XCTAssertEqual(assigned["assigned_to"], staff)
        XCTAssertNotEqual(assigned["first_response_at"], .null, "the first change is the first response")
        XCTAssertEqual(try c.call("cases.update", ["id": id, "version": 1, "status": "waiting"]).errorCode, -32009, "stale version")
        let resolved = try c.result("cases.resolve", ["id": id, "resolution": "replacement sent"])
        XCTAssertEqual(resolved["status"], "resolved")
        XCTAssertNotEqual(resolved["minutes_to_resolution"], .null)
        XCTAssertEqual(resolved["history"]?.arrayValue?.map { $0["status"] }, ["open", "open", "resolved"])
        XCTAssertEqual(try c.result("cases.list", ["customer_id": cust])["items"]?.arrayValue?.count, 0, "resolved cases are not open")
        XCTAssertEqual(try c.result("cases.list", ["customer_id": cust, "status": "resolved"])["items"]?.arrayValue?.count, 1)
        let other = try Self.harness.loggedIn(.unit(tenant: "care-b", role: "agent"))
        XCTAssertEqual(try other.call("cases.resolve", ["id": id, "resolution": "x"]).errorCode, -32004)
        XCTAssertEqual(try other.call("cases.open", ["customer_id": cust, "category": "question", "subject": "x"]).errorCode, -32004)
        XCTAssertEqual(try c.call("cases.open", ["customer_id": cust, "category": "rant", "subject": "x"]).errorCode, -32602)
    }

    func testTasksSurveysAndIdempotentRules() throws {
        let m = try Self.harness.loggedIn(.unit(tenant: "care-a", role: "manager"))
        let cust = try m.result("customers.create", ["name": "Loyal Lou", "phones": ["030 9990001"], "consent": ["phone": true]])["id"]!
        let pid = try m.result("products.create", ["sku": "CARE-1", "name": "Pump", "list_price": 399, "unit_cost": 310])["id"]!
        // Bought 30 days ago: the care-call rule is due now.
        let ago = PQTimestampFormatter.string(Date().addingTimeInterval(-30 * 86_400))
        _ = try m.result("orders.create", ["customer_id": cust, "lines": [["product_id": pid, "quantity": 1]], "ordered_at": .string(ago)])
        XCTAssertEqual(try m.result("tasks.run_rules")["created"], 1)
        XCTAssertEqual(try m.result("tasks.run_rules")["created"], 0, "rules are idempotent")
        let due = try m.result("tasks.list_due", ["before": "2100-01-01T00:00:00Z"])["items"]!.arrayValue!
        XCTAssertEqual(due.filter { $0["kind"] == "care_call" && $0["customer_id"] == cust }.count, 1)
        let lookup = try m.result("customers.lookup", ["phone": "030 9990001"])
        XCTAssertEqual(lookup["upcoming_tasks"]?.arrayValue?.first?["kind"], "care_call")

        let visit = try m.result("tasks.schedule", ["kind": "visit", "customer_id": cust, "due_at": "2026-06-01T09:00:00Z"])
        XCTAssertEqual(try m.result("tasks.complete", ["id": visit["id"]!])["done_at"] != .null, true)
        XCTAssertEqual(try m.call("tasks.complete", ["id": "99999999"]).errorCode, -32004)

        XCTAssertEqual(try m.result("surveys.record", ["customer_id": cust, "product_id": pid, "score": 9, "would_recommend": true])["score"], 9)
        XCTAssertEqual(try m.call("surveys.record", ["customer_id": cust, "score": 11]).errorCode, -32602)
        let other = try Self.harness.loggedIn(.unit(tenant: "care-b", role: "manager"))
        XCTAssertEqual(try other.call("surveys.record", ["customer_id": cust, "score": 3]).errorCode, -32602, "another unit's customer is no reference")
    }
}

/// RFC 3339 for test params.
enum PQTimestampFormatter {
    static func string(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: date)
    }
}

extension ServiceLoyaltyTests {
    func testTheScheduledJobRefreshesTiersAndRunsRulesForEveryUnit() async throws {
        let h = Self.harness!
        let rules = TaskRulesService(database: CRMDatabase(pool: h.pool, logger: .init(label: "t")), interval: .seconds(3600), logger: .init(label: "t"))
        _ = try await rules.runOnce()
        let second = try await rules.runOnce()
        XCTAssertEqual(second, 0, "a second pass creates nothing")
    }
}
