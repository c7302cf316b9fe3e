import CRMCore
import CRMProtocol
@testable import CRMServer
import Foundation
import PQ
import ProtocolTestSupport
import XCTest

/// The server's frequent fold (DeltaFoldService, `crm.fold_rollup_deltas`): contacts logged over
/// the protocol wait as delta rows of their unit, one pass folds every unit's into the customer
/// value summary, and report.customer_value answers the same before and after; the 12-month
/// figures wait for the hourly job. Running as a service it folds on its own.
final class DeltaFoldTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("deltafold") { h in
            try h.createTenant("df-a")
            try h.createTenant("df-b")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    /// The delta rows of a unit, read as the database owner (whatever the policies).
    private func pendingContacts(_ slug: String) throws -> Int {
        var n = 0
        try Self.harness.sql { conn in
            n = try conn.query("""
                select count(*)::int as n from crm.customer_channel_delta d join crm.tenant t on t.id = d.tenant_id
                 where t.slug = \(slug)
                """)[0].get("n")
        }
        return n
    }

    private func preferredChannels(_ client: TestClient) throws -> [String: JSON] {
        let items = try XCTUnwrap(client.result("reports.customer_value", ["limit": 50])["items"]?.arrayValue)
        var byCustomer: [String: JSON] = [:]
        for item in items { byCustomer[item["customer_id"]?.stringValue ?? ""] = item["preferred_channels"] }
        return byCustomer
    }

    func testOnePassFoldsEveryUnitsContactsAndTheReportStaysTheSame() async throws {
        let h = Self.harness!
        let a = try h.loggedIn(.unit(tenant: "df-a", role: "manager"))
        let b = try h.loggedIn(.unit(tenant: "df-b", role: "manager"))
        let ann = try a.result("customers.create", ["name": "Ann"])["id"]!
        let bob = try b.result("customers.create", ["name": "Bob"])["id"]!
        for channel in ["phone", "phone", "email", "web", "web", "web"] {
            _ = try a.result("interactions.log", ["customer_id": ann, "channel": .string(channel), "direction": "inbound"])
        }
        _ = try b.result("interactions.log", ["customer_id": bob, "channel": "email", "direction": "outbound"])
        XCTAssertEqual(try pendingContacts("df-a"), 6, "each contact waits as a delta row")
        XCTAssertEqual(try pendingContacts("df-b"), 1)
        let before = try preferredChannels(a)
        XCTAssertEqual(before[ann.stringValue ?? ""], ["web", "phone", "email"], "the report ranks the pending contacts")

        let service = DeltaFoldService(database: CRMDatabase(pool: h.pool, logger: .init(label: "t")), interval: .seconds(60),
                                       logger: .init(label: "t"))
        let folded = try await service.runOnce()
        XCTAssertGreaterThanOrEqual(folded, 7, "both units' contact deltas are removed")
        XCTAssertEqual(try pendingContacts("df-a"), 0)
        XCTAssertEqual(try pendingContacts("df-b"), 0)
        XCTAssertEqual(try preferredChannels(a), before, "the same answer from the folded counts")
        XCTAssertEqual(try preferredChannels(b)[bob.stringValue ?? ""], ["email"])
        XCTAssertEqual(try preferredChannels(a).count, 1, "a unit reads its own customers only")
        let again = try await service.runOnce()
        XCTAssertEqual(again, 0, "nothing left to fold")
    }

    func testTheServiceFoldsOnItsOwn() async throws {
        let h = Self.harness!
        let a = try h.loggedIn(.unit(tenant: "df-a", role: "manager"))
        let cy = try a.result("customers.create", ["name": "Cy"])["id"]!
        _ = try a.result("interactions.log", ["customer_id": cy, "channel": "store", "direction": "inbound"])
        XCTAssertGreaterThan(try pendingContacts("df-a"), 0)
        let service = DeltaFoldService(database: CRMDatabase(pool: h.pool, logger: .init(label: "t")), interval: .milliseconds(200),
                                       logger: .init(label: "t"))
        let running = Task { try await service.run() }
        defer { running.cancel() }
        var left = try pendingContacts("df-a")
        for _ in 0..<100 where left > 0 {
            try await Task.sleep(for: .milliseconds(100))
            left = try pendingContacts("df-a")
        }
        XCTAssertEqual(left, 0, "the running service folded the contact within 10 s")
    }
}
