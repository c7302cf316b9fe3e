import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import Logging
import PQ
import XCTest

/// segments.*, campaigns.set_audience / audience and reports.segment_size through the protocol:
/// managers define segments, every unit role previews them, bad rules are -32602 naming the rule,
/// a campaign's lists come from its segment and respect each channel's consent, and the scheduled
/// job takes each segment's size once a day.
final class SegmentsTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("segments") { h in
            try h.createTenant("seg-shop")
            try h.createTenant("seg-other")
        }
    }

    override class func tearDown() { harness?.stopBlocking() }

    /// Ann (loyal, spends 600, phone and email), Bob (active, spends 100, phone but no email),
    /// Cid (active, email only, no number), Dee (loyal, no purchase, email but no phone calls).
    /// Ann and Bob bought the product 30 days ago.
    static func customers(_ m: TestClient) throws -> (ids: [String: JSON], product: JSON) {
        let product = try m.result("products.create", ["sku": "SEG-1", "name": "Skimmer", "list_price": 100, "unit_cost": 40])["id"]!
        let ago = PQTimestampFormatter.string(Date().addingTimeInterval(-30 * 86_400))
        var ids: [String: JSON] = [:]
        let people: [(String, String, JSONObject, [JSON], Int)] = [
            ("Ann", "loyal", ["phone": true, "email": true], ["030 1110001"], 6),
            ("Bob", "active", ["phone": true, "email": false], ["030 1110002"], 1),
            ("Cid", "active", ["phone": true, "email": true], [], 0),
            ("Dee", "loyal", ["phone": false, "email": true], ["030 1110004"], 0),
        ]
        for (name, stage, consent, phones, quantity) in people {
            let id = try m.result("customers.create", ["name": .string(name), "lifecycle_stage": .string(stage), "consent": .object(consent),
                                                       "emails": [.string(name.lowercased() + "@example.com")], "phones": .array(phones)])["id"]!
            ids[name] = id
            if quantity > 0 {
                _ = try m.result("orders.create", ["customer_id": id, "lines": [["product_id": product, "quantity": .number(String(quantity))]],
                                                   "ordered_at": .string(ago)])
            }
        }
        return (ids, product)
    }

    static func names(_ page: JSON, _ ids: [String: JSON], key: String = "id") -> [String] {
        (page["items"]?.arrayValue ?? []).compactMap { item in ids.first { $0.value == item[key] }?.key }.sorted()
    }

    func testSegmentsAudiencesAndSizes() throws {
        let manager = try Self.harness.loggedIn(.unit(tenant: "seg-shop", role: "manager"))
        let (ids, product) = try Self.customers(manager)
        let loyalOrSpenders: JSON = ["any": [["field": "lifecycle_stage", "op": "=", "value": "loyal"],
                                             ["field": "spend", "op": ">=", "value": "500", "period_months": 12]]]

        let agent = try Self.harness.loggedIn(.unit(tenant: "seg-shop", role: "agent"))
        XCTAssertEqual(try agent.call("segments.create", ["name": "x", "rules": loyalOrSpenders]).errorCode, -32003, "agents do not define segments")

        // A bad rule: -32602 naming its path and the reason.
        let bad = try manager.call("segments.create", ["name": "bad", "rules": ["all": [["field": "tier", "op": "in", "value": ["A"]],
                                                                                      ["field": "shoe_size", "op": "=", "value": 42]]]])
        XCTAssertEqual(bad.errorCode, -32602)
        XCTAssertEqual(bad["error"]?["data"]?["field"], "rules.all[1].field", "\(bad)")
        XCTAssertEqual(bad["error"]?["data"]?["reason"], "unknown_field")
        let badOp = try manager.call("segments.preview", ["rules": ["not": ["field": "spend", "op": "~", "value": 1]]])
        XCTAssertEqual(badOp["error"]?["data"]?["field"], "rules.not.op")
        XCTAssertEqual(badOp["error"]?["data"]?["reason"], "unknown_op")
        XCTAssertEqual(try manager.call("segments.create", ["name": "no rules"]).errorCode, -32602, "rules are required")

        let segment = try manager.result("segments.create", ["name": "Loyal or spenders", "description": "year-end promotion",
                                                             "rules": loyalOrSpenders])
        XCTAssertEqual(segment["version"], 1)
        let sid = segment["id"]!

        // Every unit role previews: Ann (loyal, 600) and Dee (loyal).
        let viewer = try Self.harness.loggedIn(.unit(tenant: "seg-shop", role: "viewer"))
        let preview = try viewer.result("segments.preview", ["id": sid, "sample": 1])
        XCTAssertEqual(preview["count"], 2)
        XCTAssertEqual(preview["customers"]?.arrayValue?.count, 1, "a sample of one")
        XCTAssertEqual(try viewer.result("segments.preview", ["rules": ["field": "spend", "op": "<", "value": 200]])["count"], 3,
                       "unsaved rules: Bob (100), Cid and Dee (nothing)")
        let first = try viewer.result("segments.members", ["id": sid, "limit": 1])
        let second = try viewer.result("segments.members", ["id": sid, "limit": 1, "cursor": first["next_cursor"]!])
        XCTAssertEqual((Self.names(first, ids) + Self.names(second, ids)).sorted(), ["Ann", "Dee"], "two pages of one")
        XCTAssertEqual(second["next_cursor"], .null)
        XCTAssertEqual(Self.names(try viewer.result("segments.members", ["id": sid, "channel": "phone"]), ids), ["Ann"],
                       "Dee said no to calls")
        XCTAssertEqual(try viewer.result("segments.list")["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try viewer.call("segments.update", ["id": sid, "name": "x"]).errorCode, -32003)

        XCTAssertEqual(try manager.call("segments.update", ["id": sid, "version": 7, "name": "x"]).errorCode, -32009, "stale version")
        let updated = try manager.result("segments.update", ["id": sid, "version": 1, "description": .null,
                                                             "task_rule": ["kind": "call", "channel": "phone", "every_days": 30]])
        XCTAssertEqual(updated["version"], 2)
        XCTAssertEqual(updated["description"], .null)
        XCTAssertEqual(updated["name"], "Loyal or spenders")
        let badRule = try manager.call("segments.update", ["id": sid, "task_rule": ["kind": "call", "channel": "email", "every_days": 30]])
        XCTAssertEqual(badRule["error"]?["data"]?["field"], "task_rule.channel", "a call goes by phone: \(badRule)")

        // A campaign's audience: the mailing list and the call list respect consent.
        let marketing = try Self.harness.loggedIn(.unit(tenant: "seg-shop", role: "marketing"))
        let campaign = try marketing.result("campaigns.create", ["name": "Year-end promotion"])["id"]!
        XCTAssertEqual(try marketing.call("campaigns.audience", ["campaign_id": campaign, "channel": "email"]).errorCode, -32004, "no audience yet")
        XCTAssertEqual(try marketing.result("campaigns.set_audience", ["campaign_id": campaign, "segment_id": sid])["segment_id"], sid)
        let mailing = try marketing.result("campaigns.audience", ["campaign_id": campaign, "channel": "email"])
        XCTAssertEqual(Self.names(mailing, ids, key: "customer_id"), ["Ann", "Dee"])
        XCTAssertEqual(mailing["items"]?.arrayValue?.first?["contact"]?.stringValue?.hasSuffix("@example.com"), true)
        let calls = try marketing.result("campaigns.audience", ["campaign_id": campaign, "channel": "phone", "create_tasks": true])
        XCTAssertEqual(Self.names(calls, ids, key: "customer_id"), ["Ann"], "Dee is never called")
        XCTAssertNotEqual(calls["items"]?.arrayValue?.first?["task_id"], .null, "a call task for Ann")
        XCTAssertEqual(try marketing.call("campaigns.audience", ["campaign_id": campaign, "channel": "email", "create_tasks": true]).errorCode, -32602)

        // The after-purchase call list keeps to the audience: Bob bought too, but is not in the segment.
        let callList = try marketing.result("campaigns.call_list", ["campaign_id": campaign, "product_id": product, "days_after": 20, "create_tasks": false])
        XCTAssertEqual(Self.names(callList, ids, key: "customer_id"), ["Ann"])
        _ = try marketing.result("campaigns.set_audience", ["campaign_id": campaign, "segment_id": .null])
        let everyone = try marketing.result("campaigns.call_list", ["campaign_id": campaign, "product_id": product, "days_after": 20, "create_tasks": false])
        XCTAssertEqual(Self.names(everyone, ids, key: "customer_id"), ["Ann", "Bob"], "without an audience every buyer who accepts calls")

        // The scheduled job: the segment's task rule (a call for Ann only) and today's size, once.
        let job = TaskRulesService(database: CRMDatabase(pool: Self.harness.pool, logger: Logger(label: "t")), interval: .seconds(3600), logger: Logger(label: "t"))
        _ = try job.runOnceBlocking()
        _ = try job.runOnceBlocking()
        let sizes = try viewer.result("reports.segment_size", ["segment_id": sid])
        XCTAssertEqual(sizes["items"]?.arrayValue?.count, 1, "one size a day: \(sizes)")
        XCTAssertEqual(sizes["items"]?.arrayValue?.first?["members"], 2)
        XCTAssertEqual(try manager.result("segments.get", ["id": sid])["last_size"]?["members"], 2)
        let due = try manager.result("tasks.list_due", ["limit": 100])["items"]?.arrayValue ?? []
        XCTAssertEqual(due.filter { $0["kind"] == "call" }.map { $0["customer_id"] }, [ids["Ann"]!, ids["Ann"]!],
                       "the campaign's call and the segment rule's call, Ann's only: \(due)")

        // Another unit sees none of it; deleting leaves the campaign without an audience.
        let other = try Self.harness.loggedIn(.unit(tenant: "seg-other", role: "manager"))
        XCTAssertEqual(try other.call("segments.get", ["id": sid]).errorCode, -32004)
        XCTAssertEqual(try other.call("segments.members", ["id": sid]).errorCode, -32004)
        XCTAssertEqual(try other.result("reports.segment_size")["items"]?.arrayValue?.count, 0)
        _ = try marketing.result("campaigns.set_audience", ["campaign_id": campaign, "segment_id": sid])
        XCTAssertEqual(try manager.result("segments.delete", ["id": sid])["deleted"], true)
        XCTAssertEqual(try manager.call("segments.get", ["id": sid]).errorCode, -32004)
        XCTAssertEqual(try marketing.result("campaigns.get", ["id": campaign])["segment_id"], .null)
        try Self.harness.sql { conn in
            let actions: [String] = try conn.query("select action from crm.audit_log where entity = 'segment' order by at, action").map { try $0.get("action") }
            XCTAssertEqual(actions, ["create", "update", "delete"], "every write audited, refused ones not")
        }
    }
}
