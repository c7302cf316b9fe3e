import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import PQ
import XCTest

/// Partners through the protocol: one catalog across the units that granted them, at their
/// prices and without costs; deal registration with conflicts; lead offers accepted, declined
/// or left to expire and passed on; the scorecard; and what a partner can never read.
final class PartnerTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("partners") { h in
            for unit in ["pool-a", "pool-b", "pool-c"] { try h.createTenant(unit) }
            for partner in ["reseller", "rival"] { try h.createPartner(partner) }
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func testOneCatalogDealsWithConflictsLeadOffersAndTheScorecard() throws {
        let h = Self.harness!
        let a = try h.loggedIn(.unit(tenant: "pool-a", role: "manager"))
        let b = try h.loggedIn(.unit(tenant: "pool-b", role: "manager"))
        let c = try h.loggedIn(.unit(tenant: "pool-c", role: "manager"))
        func product(_ client: TestClient, _ sku: String, _ group: String, _ price: String, _ cost: String) throws -> JSON {
            try client.result("products.create", ["sku": .string(sku), "name": .string("Product \(sku)"), "product_group": .string(group),
                                                  "list_price": .string(price), "unit_cost": .string(cost), "warranty_months": 24,
                                                  "support_contact": "service@example.com"])["id"]!
        }
        let skim = try product(a, "SKIM", "skimmers", "89.00", "31.00")
        let cover = try product(a, "COVER", "covers", "129.00", "48.00")
        let pump = try product(b, "PUMP", "pumps", "399.00", "310.00")
        _ = try product(b, "CHEM", "chemicals", "39.90", "29.00")
        let tub = try product(c, "TUB", "tubs", "4999.00", "3000.00")

        _ = try a.result("partners.grant", ["partner": "reseller", "discount_pct": "10", "commission_pct": "10", "may_receive_leads": true,
                                            "region": "north", "lead_weight": 5])
        _ = try a.result("partners.set_price", ["partner": "reseller", "product_id": cover, "price": "100.00"])
        _ = try a.result("partners.grant", ["partner": "rival", "may_receive_leads": true, "region": "north", "lead_weight": 1])
        _ = try b.result("partners.grant", ["partner": "reseller", "product_groups": ["pumps"]])
        XCTAssertEqual(try a.call("partners.grant", ["partner": "nobody"]).errorCode, -32004)
        XCTAssertEqual(try a.call("partners.grant", ["partner": "rival", "discount_pct": "120"]).errorCode, -32602)

        // One search finds both granting units' products (only the granted group of pool-b), at the partner's price, without cost.
        let reseller = try h.loggedIn(.partner("reseller"))
        // (Listed by id, which reveals nothing and so follows no order: sorted here by SKU.)
        let found = try reseller.result("catalog.search", ["limit": 50])["items"]!.arrayValue!
            .sorted { ($0["sku"]?.stringValue ?? "") < ($1["sku"]?.stringValue ?? "") }
        XCTAssertEqual(found.map { $0["sku"] }, ["COVER", "PUMP", "SKIM"])
        XCTAssertEqual(found.map { $0["unit"] }, ["pool-a", "pool-b", "pool-a"])
        XCTAssertEqual(found.map { $0["price"] }, ["100.00", "399.00", "80.10"], "the set partner price, pool-b's list price, 10% off list")
        XCTAssertTrue(found.allSatisfy { $0["unit_cost"] == nil && $0["cost"] == nil && $0["margin"] == nil }, "no cost or margin")
        XCTAssertEqual(found[2]["warranty_months"], 24)
        XCTAssertEqual(try reseller.result("catalog.search", ["query": "skim"])["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try reseller.result("catalog.search", ["query": "%"])["items"]?.arrayValue?.count, 0, "wildcards are literal")
        XCTAssertEqual(try reseller.call("catalog.get", ["id": tub]).errorCode, -32004, "pool-c never granted it")
        XCTAssertEqual(try reseller.result("catalog.get", ["id": pump])["price"], "399.00")

        // A partner reads no customers, no costs, no other partner, whatever it sends.
        XCTAssertEqual(try reseller.call("customers.list", [:]).errorCode, -32003)
        try h.sql { conn in
            try conn.transaction { t in
                try t.query("""
                    select set_config('role', 'crm_partner', true),
                           set_config('crm.partner_id', (select id::text from crm.partner where slug = 'reseller'), true)
                    """)
                XCTAssertThrowsError(try t.query("select count(*) from crm.customer"), "no privilege on customers at all")
            }
            try conn.transaction { t in
                try t.query("select set_config('role', 'crm_partner', true), set_config('crm.partner_id', (select id::text from crm.partner where slug = 'reseller'), true)")
                XCTAssertThrowsError(try t.query("select unit_cost from crm.product"), "no privilege on the cost column")
            }
            try conn.transaction { t in
                try t.query("select set_config('role', 'crm_partner', true), set_config('crm.partner_id', (select id::text from crm.partner where slug = 'reseller'), true)")
                XCTAssertEqual(try t.query("select count(*)::int as n from crm.partner")[0].get("n", as: Int.self), 1, "only itself")
                XCTAssertEqual(try t.query("select count(*)::int as n from crm.partner_grant")[0].get("n", as: Int.self), 2, "its own grants")
            }
        }

        // Deals: the second partner's registration of the same prospect and product is a conflict.
        let deal = try reseller.result("deals.register", ["unit": "pool-a", "prospect": ["name": "Pat Prospect", "email": "Pat@Prospect.example"],
                                                          "products": [["product_id": skim, "quantity": 2]]])
        XCTAssertEqual(deal["conflict"], false)
        let rival = try h.loggedIn(.partner("rival"))
        let clash = try rival.result("deals.register", ["unit": "pool-a", "prospect": ["name": "P. Prospect", "email": "pat@prospect.example"],
                                                        "products": [["product_id": skim, "quantity": 1]]])
        XCTAssertEqual(clash["conflict"], true)
        XCTAssertNil(clash["conflict_deal_id"], "a partner never learns about the other partner's deal")
        XCTAssertEqual(try a.result("deals.get", ["id": clash["id"]!])["conflict_deal_id"], deal["id"], "the unit does")
        XCTAssertEqual(try rival.call("deals.get", ["id": deal["id"]!]).errorCode, -32004)
        XCTAssertEqual(try rival.result("deals.list", [:])["items"]?.arrayValue?.count, 1)
        XCTAssertEqual(try reseller.call("deals.register", ["unit": "pool-c", "prospect": ["name": "X", "email": "x@x.example"],
                                                            "products": [["product_id": tub, "quantity": 1]]]).errorCode, -32004)
        XCTAssertEqual(try reseller.call("deals.register", ["unit": "pool-b", "prospect": ["name": "X", "email": "x@x.example"],
                                                            "products": [["product_id": pump, "quantity": 0]]]).errorCode, -32602)

        // The unit approves: a quote at the partner's price, credited to it; accepted, the deal is won.
        let approved = try a.result("deals.decide", ["id": deal["id"]!, "decision": "approved"])
        XCTAssertEqual(approved["status"], "approved")
        let quote = try a.result("orders.get", ["id": approved["order_id"]!])
        XCTAssertEqual(quote["status"], "quoted")
        XCTAssertEqual(quote["total"], "160.20", "2 x 80.10")
        _ = try a.result("quotes.accept", ["id": approved["order_id"]!])
        XCTAssertEqual(try reseller.result("deals.get", ["id": deal["id"]!])["status"], "won")
        XCTAssertEqual(try a.call("deals.decide", ["id": clash["id"]!, "decision": "rejected"]).errorCode, -32602, "a rejection needs a comment")
        XCTAssertEqual(try a.result("deals.decide", ["id": clash["id"]!, "decision": "rejected", "comment": "registered by another partner first"])["status"], "rejected")
        XCTAssertEqual(try b.result("deals.list", [:])["items"]?.arrayValue?.count, 0, "pool-b sees none of pool-a's deals")

        // Leads: offered by weight in the region, accepted, declined, or left to expire, then passed on.
        let campaign = try a.result("campaigns.create", ["name": "Partner leads"])["id"]!
        for n in 1...3 {
            _ = try a.result("leads.create", ["name": .string("Lead \(n)"), "email": .string("lead\(n)@example.com"), "region": "north", "campaign_id": campaign])
        }
        XCTAssertEqual(try a.result("leads.assign", ["campaign_id": campaign, "rule": "partner"])["assigned"], 3)
        let offered = try reseller.result("partner_leads.list", [:])["items"]!.arrayValue!
        XCTAssertEqual(offered.count, 3, "weight 5 against 1: the first five of every six go to the reseller")
        XCTAssertNotNil(offered[0]["offer"]?["expires_at"]?.stringValue)
        XCTAssertEqual(try rival.result("partner_leads.list", [:])["items"]?.arrayValue?.count, 0)
        _ = try reseller.result("partner_leads.accept", ["id": offered[0]["id"]!])
        _ = try reseller.result("partner_leads.decline", ["id": offered[1]["id"]!, "reason": "outside our area"])
        try h.sql { conn in
            try conn.query("update crm.lead_offer set expires_at = now() - interval '1 hour' where lead_id = \(offered[2]["id"]!.stringValue!)")
        }
        XCTAssertEqual(try reseller.call("partner_leads.accept", ["id": offered[2]["id"]!]).errorCode, -32009, "the offer expired")
        XCTAssertEqual(try a.result("leads.reassign")["reassigned"], 2)
        XCTAssertEqual(try rival.result("partner_leads.list", [:])["items"]?.arrayValue?.map { $0["id"] }, [offered[1]["id"]!, offered[2]["id"]!])
        XCTAssertEqual(try reseller.result("partner_leads.list", [:])["items"]?.arrayValue?.count, 1, "only the lead it accepted")
        XCTAssertEqual(try reseller.result("partner_leads.update", ["id": offered[0]["id"]!, "status": "qualified", "score": 80])["status"], "qualified")
        XCTAssertEqual(try rival.call("partner_leads.update", ["id": offered[1]["id"]!, "status": "qualified"]).errorCode, -32009, "accept it first")

        // The scorecard: the unit sees both partners, a partner itself.
        let card = try a.result("reports.partner_scorecard", [:])["items"]!.arrayValue!
        let mine = try XCTUnwrap(card.first { $0["partner"] == "reseller" })
        XCTAssertEqual(mine["deals_registered"], 1)
        XCTAssertEqual(mine["deals_won"], 1)
        XCTAssertEqual(mine["revenue_credited"], .number("160.20"))
        XCTAssertEqual(mine["gross_margin_credited"], .number("98.20"), "160.20 - 2 x 31.00")
        XCTAssertEqual(mine["leads_offered"], 3)
        XCTAssertEqual(mine["leads_accepted"], 1)
        XCTAssertEqual(mine["lead_acceptance_rate"], .number("0.3333"))
        XCTAssertEqual(Set(card.compactMap { $0["partner"]?.stringValue }), ["reseller", "rival"])
        XCTAssertEqual(mine["commission_credited"], .number("16.02"), "10% of 160.20")
        let own = try reseller.result("reports.partner_scorecard", [:])["items"]!.arrayValue!
        XCTAssertEqual(Set(own.compactMap { $0["partner"]?.stringValue }), ["reseller"])
        let ownA = try XCTUnwrap(own.first { $0["tenant"] == "pool-a" })
        XCTAssertEqual(ownA["revenue_credited"], .number("160.20"))
        XCTAssertEqual(ownA["units_credited"], .number("2.000"))
        XCTAssertEqual(ownA["commission_credited"], .number("16.02"))
        XCTAssertNil(ownA["gross_margin_credited"], "a partner learns no margin (revenue less margin over units is the unit cost)")
        XCTAssertEqual(try rival.result("reports.partner_scorecard", [:])["items"]?.arrayValue?.first?["deals_conflicting"], 1)

        // pool-b revokes the reseller: its lists keep working and show only what active grants allow.
        let pumpDeal = try reseller.result("deals.register", ["unit": "pool-b", "prospect": ["name": "Bea", "email": "bea@example.com"],
                                                              "products": [["product_id": pump, "quantity": 1]]])
        XCTAssertEqual(try reseller.result("deals.list", [:])["items"]?.arrayValue?.count, 2)
        _ = try b.result("partners.revoke", ["partner": "reseller"])
        let afterRevoke = try reseller.call("deals.list", [:])
        XCTAssertNil(afterRevoke.errorCode, "deals.list still answers: \(afterRevoke.serialized)")
        XCTAssertEqual(afterRevoke["result"]?["items"]?.arrayValue?.map { $0["unit"] }, ["pool-a"], "only the unit that still grants it")
        XCTAssertEqual(try reseller.call("deals.get", ["id": pumpDeal["id"]!]).errorCode, -32004)
        XCTAssertNil(try reseller.call("partner_leads.list", [:]).errorCode)
        XCTAssertEqual(Set(try reseller.result("catalog.search", ["limit": 50])["items"]!.arrayValue!.compactMap { $0["sku"]?.stringValue }), ["SKIM", "COVER"])
        XCTAssertEqual(Set(try reseller.result("reports.partner_scorecard", [:])["items"]!.arrayValue!.compactMap { $0["tenant"]?.stringValue }), ["pool-a"])
    }
}
