import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// customers.* through the protocol: normal use and bad input (unknown id, another unit's id,
/// invalid phone, stale version, duplicates), isolation and sharing.
final class CustomersTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("customers") { h in
            try h.createTenant("cust-a")
            try h.createTenant("cust-b")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    var a: TestClient { try! Self.harness.loggedIn(.unit(tenant: "cust-a", role: "manager")) }
    var b: TestClient { try! Self.harness.loggedIn(.unit(tenant: "cust-b", role: "manager")) }

    func testCreateGetUpdateWithVersions() throws {
        let c = a
        let created = try c.result("customers.create", [
            "name": "Ada Lovelace", "emails": [" Ada@Example.COM "], "phones": ["030 1234567"],
            "address": ["city": "Berlin"], "preferences": ["room": "quiet", "seat": "aisle"], "consent": ["phone": true],
        ])
        let id = try XCTUnwrap(created["id"]?.stringValue)
        XCTAssertEqual(created["emails"], ["ada@example.com"])
        XCTAssertEqual(created["phones"], ["+49301234567"])
        XCTAssertEqual(created["version"], 1)
        XCTAssertEqual(created["lifecycle_stage"], "prospect")

        let got = try c.result("customers.get", ["id": .string(id)])
        XCTAssertEqual(got["name"], "Ada Lovelace")
        XCTAssertEqual(got["preferences"]?["seat"], "aisle")

        let updated = try c.result("customers.update", ["id": .string(id), "version": 1, "segment": "vip", "lifecycle_stage": "active"])
        XCTAssertEqual(updated["version"], 2)
        XCTAssertEqual(updated["segment"], "vip")
        XCTAssertEqual(updated["name"], "Ada Lovelace", "fields not given stay as they were")

        let stale = try c.call("customers.update", ["id": .string(id), "version": 1, "segment": "lost"])
        XCTAssertEqual(stale.errorCode, -32009)
        XCTAssertEqual(stale["error"]?["data"]?["field"], "version")
        let history = try c.result("customers.get", ["id": .string(id)])["lifecycle_history"]?.arrayValue?.map { $0["stage"] }
        XCTAssertEqual(history, ["prospect", "active"], "the lifecycle stage keeps its history")
    }

    func testBadInput() throws {
        let c = a
        XCTAssertEqual(try c.call("customers.get", ["id": "999999999"]).errorCode, -32004)
        XCTAssertEqual(try c.call("customers.get", ["id": "abc"]).errorCode, -32602)
        let badPhone = try c.call("customers.create", ["name": "X", "phones": ["12"]])
        XCTAssertEqual(badPhone.errorCode, -32602)
        XCTAssertEqual(badPhone["error"]?["data"]?["field"], "phones[0]")
        let badEmail = try c.call("customers.create", ["name": "X", "emails": ["not-an-email"]])
        XCTAssertEqual(badEmail["error"]?["data"]?["field"], "emails[0]")
        XCTAssertEqual(try c.call("customers.create", ["emails": ["x@y.z"]])["error"]?["data"]?["field"], "name")
        XCTAssertEqual(try c.call("customers.create", ["name": "X", "lifecycle_stage": "zombie"]).errorCode, -32602)
        XCTAssertEqual(try c.call("customers.update", ["id": "999999999", "version": 1, "name": "Y"]).errorCode, -32004)
    }

    func testDuplicateEmailOrPhoneIsAConflict() throws {
        let c = a
        _ = try c.result("customers.create", ["name": "Grace Hopper", "emails": ["grace@navy.mil"], "phones": ["+1 202 555 0100"]])
        let sameEmail = try c.call("customers.create", ["name": "G. Hopper", "emails": ["GRACE@navy.mil"]])
        XCTAssertEqual(sameEmail.errorCode, -32009)
        XCTAssertEqual(sameEmail["error"]?["data"]?["field"], "emails")
        let samePhone = try c.call("customers.create", ["name": "Other", "phones": ["001-202-555-0100"]])
        XCTAssertEqual(samePhone.errorCode, -32009)
        XCTAssertEqual(samePhone["error"]?["data"]?["field"], "phones")
        // Another unit may have the same person: units are separate.
        XCTAssertNotNil(try b.call("customers.create", ["name": "Grace Hopper", "emails": ["grace@navy.mil"]])["result"])
    }

    func testARetryWithTheSameIdempotencyKeyCreatesNothingNew() throws {
        let c = a
        let params: JSONObject = ["name": "Katherine Johnson", "emails": ["kj@nasa.example"], "idempotency_key": "create-kj-1"]
        let first = try c.result("customers.create", params)
        // The retry carries the same email: without the key it would be a duplicate (-32009).
        let retry = try c.result("customers.create", params)
        XCTAssertEqual(retry["id"], first["id"])
        XCTAssertEqual(try c.result("customers.search", ["query": "Katherine"])["items"]?.arrayValue?.count, 1)
        // Keys are per unit: unit B's request with the same key is its own.
        let other = try b.result("customers.create", ["name": "Katherine Johnson", "idempotency_key": "create-kj-1"])
        XCTAssertNotNil(other["id"])
        XCTAssertNotEqual(other["id"], first["id"])
        // A new key with the same email is a conflict as before.
        XCTAssertEqual(try c.call("customers.create", ["name": "K. Johnson", "emails": ["kj@nasa.example"], "idempotency_key": "create-kj-2"]).errorCode, -32009)
    }

    func testAnotherUnitsCustomerIsNotFound() throws {
        let mine = try a.result("customers.create", ["name": "Only In A", "emails": ["only-a@example.com"]])
        let id = try XCTUnwrap(mine["id"]?.stringValue)
        let other = b
        XCTAssertEqual(try other.call("customers.get", ["id": .string(id)]).errorCode, -32004)
        XCTAssertEqual(try other.call("customers.update", ["id": .string(id), "version": 1, "name": "Stolen"]).errorCode, -32004)
        let search = try other.result("customers.search", ["query": "only in a"])
        XCTAssertEqual(search["items"]?.arrayValue?.count, 0)
    }

    /// A cursor this server did not issue is refused, not taken as "from the first page".
    func testACursorThatIsNotOursIsInvalidParams() throws {
        for cursor in ["bm90LWEtbnVtYmVy", "%%%", "MTIz fA"] {  // "not-a-number", not base64, junk
            let r = try a.call("customers.list", ["cursor": .string(cursor)])
            XCTAssertEqual(r.errorCode, -32602, "\(cursor): \(r.serialized)")
            XCTAssertEqual(r["error"]?["data"]?["field"], "cursor")
        }
        XCTAssertEqual(try a.call("orders.list", ["cursor": "bm90LWEtbnVtYmVy"]).errorCode, -32602, "a time cursor too")
    }

    func testSearchByNameEmailOrPhoneFragmentPages() throws {
        let c = a
        for i in 0..<7 {
            _ = try c.result("customers.create", ["name": .string("Searchable Person \(i)"), "emails": [.string("sp\(i)@search.example")], "phones": [.string("+49 40 55500\(i)")]])
        }
        var seen: [String] = []
        var cursor: JSON = .null
        repeat {
            var params: JSONObject = ["query": "searchable", "limit": 3]
            if cursor != .null { params["cursor"] = cursor }
            let page = try c.result("customers.search", params)
            seen += page["items"]!.arrayValue!.compactMap { $0["name"]?.stringValue }
            cursor = page["next_cursor"] ?? .null
        } while cursor != .null
        XCTAssertEqual(seen.count, 7)
        XCTAssertEqual(Set(seen).count, 7)
        XCTAssertEqual(try c.result("customers.search", ["query": "sp3@search"])["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try c.result("customers.search", ["query": "40 555003"])["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try c.call("customers.search", ["query": "x"]).errorCode, -32602)
        XCTAssertEqual(try c.result("customers.search", ["query": "%_"])["items"]?.arrayValue?.count, 0, "wildcards are literal")
        XCTAssertEqual(try c.call("customers.search", ["query": "abc", "cursor": "!!!"]).errorCode, -32602)
    }
}

extension CustomersTests {
    func testLookupByAnyWayOfWritingTheNumber() throws {
        let c = a
        let created = try c.result("customers.create", ["name": "Caller", "phones": ["+49 30 7654321"], "preferences": ["seat": "aisle"]])
        for written in ["+49 30 7654321", "030 7654321", "0049-30-765 4321", "(030) 765-4321", "+49307654321"] {
            let r = try c.result("customers.lookup", ["phone": .string(written)])
            XCTAssertEqual(r["customer"]?["id"], created["id"], "found by \(written)")
            XCTAssertEqual(r["balance"], "0.00")
            XCTAssertEqual(r["preferences"]?["seat"], "aisle")
        }
        XCTAssertEqual(try c.call("customers.lookup", ["phone": "not a phone"]).errorCode, -32602)
        XCTAssertEqual(try c.call("customers.lookup", ["phone": "+49 30 1111111"]).errorCode, -32004)
        XCTAssertEqual(try b.call("customers.lookup", ["phone": "030 7654321"]).errorCode, -32004, "another unit's caller is not found")
    }

    func testMergeMovesOrdersAndUnionsContactDetails() throws {
        let c = a
        let keep = try c.result("customers.create", ["name": "Kim Keep", "emails": ["kim@keep.example"]])
        let dup = try c.result("customers.create", ["name": "Kim K.", "phones": ["040 5551234"]])
        let pid = try c.result("products.create", ["sku": "MERGE-1", "name": "Thing", "list_price": 10, "unit_cost": 4])["id"]!
        let order = try c.result("orders.create", ["customer_id": dup["id"]!, "lines": [["product_id": pid, "quantity": 3]]])
        let merged = try c.result("customers.merge", ["keep_id": keep["id"]!, "merge_id": dup["id"]!])
        XCTAssertEqual(merged["emails"], ["kim@keep.example"])
        XCTAssertEqual(merged["phones"], ["+49405551234"])
        XCTAssertEqual(try c.result("orders.get", ["id": order["id"]!])["customer_id"], keep["id"])
        XCTAssertEqual(try c.result("customers.get", ["id": dup["id"]!])["merged_into"], keep["id"])
        XCTAssertEqual(try c.call("customers.merge", ["keep_id": keep["id"]!, "merge_id": dup["id"]!]).errorCode, -32004, "merged only once")
        try Self.harness.sql { conn in
            let n = try conn.query("select count(*)::int as n from crm.audit_log where action = 'merge' and entity_id = \(keep["id"]!.stringValue!)")[0]
            XCTAssertEqual(try n.get("n", as: Int.self), 1)
        }
    }
}

extension CustomersTests {
    func testContactsAndQuotesShowInTheNextLookup() throws {
        let c = a
        let cust = try c.result("customers.create", ["name": "Quote Quinn", "phones": ["0221 555 0101"]])
        let pid = try c.result("products.create", ["sku": "Q-1", "name": "Cover", "list_price": "129.00", "unit_cost": "48.00"])["id"]!
        let first = try c.result("interactions.log", ["customer_id": cust["id"]!, "channel": "phone", "direction": "inbound",
                                                      "summary": "asked for a cover", "cost": "2.50", "quotes": [["product_id": pid, "price": "119.00"]]])
        XCTAssertEqual(first["quotes"]?.arrayValue?.first?["price"], "119.00")
        _ = try c.result("interactions.log", ["customer_id": cust["id"]!, "channel": "email", "direction": "outbound",
                                              "summary": "better offer", "quotes": [["product_id": pid, "price": "109.00"]],
                                              "occurred_at": "2030-01-01T00:00:00Z"])
        let lookup = try c.result("customers.lookup", ["phone": "+49 221 5550101"])
        XCTAssertEqual(lookup["last_quotes"]?.arrayValue?.map { $0["price"] }, ["109.00"], "the latest quote per product")
        XCTAssertEqual(lookup["last_contacts"]?.arrayValue?.first?["channel"], "email")
        XCTAssertEqual(try c.result("interactions.list", ["customer_id": cust["id"]!, "limit": 1])["items"]?.arrayValue?.count, 1)
        XCTAssertNotNil(try c.call("calls.record", ["customer_id": cust["id"]!, "wait_seconds": 42, "reason": "complaint", "abandoned": false])["result"])
        XCTAssertEqual(try c.call("interactions.log", ["customer_id": cust["id"]!, "channel": "pigeon"]).errorCode, -32602)
        XCTAssertEqual(try b.call("interactions.log", ["customer_id": cust["id"]!, "channel": "phone"]).errorCode, -32004)
        XCTAssertEqual(try b.result("interactions.list", ["customer_id": cust["id"]!])["items"]?.arrayValue?.count, 0)
    }
}
