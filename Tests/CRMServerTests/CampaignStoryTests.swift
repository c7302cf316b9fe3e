import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// The Cool Pool skimmer campaign of the seed article, end to end through the protocol: plan,
/// designs and budget approved by the right roles, a bought list imported, leads assigned,
/// qualified and quoted, quotes accepted, follow-up calls with surplus cross-selling, and the
/// campaign's return on margin at the end, computed by hand here.
final class CampaignStoryTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("campaigns") { h in
            try h.createTenant("coolpool")
            try h.createTenant("other-unit")
            try h.sql { conn in
                try conn.query("""
                    update crm.tenant set settings = settings || '{"campaign_approvals": {"design": ["marketing", "manager"], "budget": ["director"]}}'
                    where slug = 'coolpool'
                    """)
            }
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func testTheSkimmerCampaignFromPlanToReturnOnMargin() throws {
        let h = Self.harness!
        let bill = try h.loggedIn(.unit(tenant: "coolpool", role: "marketing"))       // marketing
        let margaret = try h.loggedIn(.unit(tenant: "coolpool", role: "manager"))     // marketing manager
        let curtis = try h.loggedIn(.unit(tenant: "coolpool", role: "director"))      // sales and marketing director
        let designer = try h.loggedIn(.unit(tenant: "coolpool", role: "designer"))
        let agent = try h.loggedIn(.unit(tenant: "coolpool", role: "agent"))

        // March: products, the team, the campaign.
        let skimmer = try margaret.result("products.create", ["sku": "SKIM", "name": "Skim-mer robot skimmer", "list_price": "89.00", "unit_cost": "31.00"])["id"]!
        let handheld = try margaret.result("products.create", ["sku": "HAND", "name": "Handheld skimmer", "list_price": "19.00", "unit_cost": "7.00", "surplus": true])["id"]!
        let north = try margaret.result("staff.create", ["name": "Tele North", "region": "north"])["id"]!
        let south = try margaret.result("staff.create", ["name": "Tele South", "region": "south"])["id"]!
        let campaign = try bill.result("campaigns.create", [
            "name": "Skim-mer", "product_ids": [skimmer], "goal": ["metric": "units", "target": 500], "budget": "200.00",
            "channels": ["mail", "phone"], "starts_on": "2026-03-01", "ends_on": "2026-09-30",
            "team": [["staff_id": north, "role": "telemarketing"], ["staff_id": south, "role": "telemarketing"]]])
        XCTAssertEqual(campaign["status"], "draft")
        let cid = campaign["id"]!

        // Designs: three drafts; the campaign waits for approval.
        var assets: [JSON] = []
        for n in 1...3 {
            let c = try designer.result("campaigns.upload_asset", ["campaign_id": cid, "name": .string("design \(n)"), "file_ref": .string("s3://designs/skim-\(n).pdf")])
            assets = c["assets"]?.arrayValue ?? []
        }
        XCTAssertEqual(assets.count, 3)
        let design3 = assets[2]["id"]!
        XCTAssertEqual(try bill.result("campaigns.get", ["id": cid])["status"], "pending_approval")

        // Approvals by the wrong roles are refused; a rejection needs a comment.
        XCTAssertEqual(try agent.call("campaigns.approve", ["campaign_id": cid, "asset_id": design3]).errorCode, -32003)
        XCTAssertEqual(try curtis.call("campaigns.approve", ["campaign_id": cid, "asset_id": design3]).errorCode, -32003, "designs are approved by marketing and a manager")
        XCTAssertEqual(try margaret.call("campaigns.approve", ["campaign_id": cid]).errorCode, -32003, "the budget is the director's")
        XCTAssertEqual(try margaret.call("campaigns.reject", ["campaign_id": cid, "asset_id": assets[0]["id"]!, "comment": ""]).errorCode, -32602)

        // Bill approves design 3, then Margaret; design 1 is rejected.
        var state = try bill.result("campaigns.approve", ["campaign_id": cid, "asset_id": design3, "comment": "colourful"])
        XCTAssertEqual(state["assets"]?.arrayValue?[2]["status"], "pending", "one of two roles has approved")
        XCTAssertEqual(try bill.call("campaigns.approve", ["campaign_id": cid, "asset_id": design3]).errorCode, -32009, "marketing approved already")
        state = try margaret.result("campaigns.approve", ["campaign_id": cid, "asset_id": design3])
        XCTAssertEqual(state["assets"]?.arrayValue?[2]["status"], "approved")
        state = try margaret.result("campaigns.reject", ["campaign_id": cid, "asset_id": assets[0]["id"]!, "comment": "too dark"])
        XCTAssertEqual(state["assets"]?.arrayValue?[0]["status"], "rejected")
        XCTAssertEqual(state["status"], "pending_approval")

        // It cannot go active before the budget is approved; Curtis approves it.
        let early = try bill.call("campaigns.update", ["id": cid, "status": "active"])
        XCTAssertEqual(early.errorCode, -32009)
        XCTAssertTrue(early["error"]?["message"]?.stringValue?.contains("budget approval by director") ?? false, early.serialized)
        state = try curtis.result("campaigns.approve", ["campaign_id": cid, "comment": "fits the annual marketing budget"])
        XCTAssertEqual(state["status"], "approved")
        XCTAssertEqual(try bill.result("campaigns.update", ["id": cid, "status": "active"])["status"], "active")

        // Costs: the bought list, printing, postage.
        for (category, amount) in [("list_purchase", "100.00"), ("printing", "50.00"), ("postage", "50.00")] {
            _ = try bill.result("campaigns.record_cost", ["campaign_id": cid, "category": .string(category), "amount": .string(amount), "channel": "mail",
                                                          "idempotency_key": .string("cost-\(category)")])
        }
        _ = try bill.result("campaigns.record_cost", ["campaign_id": cid, "category": "postage", "amount": "50.00", "idempotency_key": "cost-postage"])
        XCTAssertEqual(try bill.result("campaigns.get", ["id": cid])["cost"], "200.00", "a retried cost is recorded once")

        // The bought mailing list: good rows, a known customer, a repeated person, bad rows.
        let known = try margaret.result("customers.create", ["name": "Known Customer", "emails": ["known@example.com"], "phones": ["+49 30 5550001"],
                                                             "consent": ["phone": true]])["id"]!
        let csv = """
            name,email,phone,region
            Ann Able,ann@example.com,030 1110001,north
            Bob Best,bob@example.com,030 1110002,south
            Cid Cole,cid@example.com,030 1110003,north
            Dee Dunn,dee@example.com,030 1110004,south
            Eve East,eve@example.com,030 1110005,north
            Fay Ford,fay@example.com,030 1110006,south
            Known Again,KNOWN@example.com,,north
            Ann Twice,,+49 30 1110001,north
            Gus Gray,not-an-email,,south
            ,nameless@example.com,,north
            Hal Hill,hal@example.com
            """
        let imported = try bill.result("campaigns.import_leads", ["campaign_id": cid, "csv": .string(csv)])
        XCTAssertEqual(imported["rows"], 11)
        XCTAssertEqual(imported["imported"], 8)
        XCTAssertEqual(imported["linked"], 2, "the known customer and Ann's second row")
        XCTAssertEqual(imported["rejected"]?.arrayValue?.map { $0["line"] }, [10, 11, 12])
        XCTAssertEqual(imported["rejected"]?.arrayValue?.map { $0["reason"] },
                       ["email is not an email address", "name is required", "has 2 fields, the header has 4"])
        let leads = try bill.result("leads.list", ["campaign_id": cid, "limit": 50])["items"]!.arrayValue!
        XCTAssertEqual(leads.count, 7, "six new people and the known customer; Ann is not duplicated")
        XCTAssertEqual(leads.first { $0["name"] == "Known Again" }?["customer_id"], known)
        func lead(_ name: String) -> JSON { leads.first { $0["name"]?.stringValue == name }!["id"]! }

        // Telemarketing gets the leads by region, qualifies them; sales quotes and the customers accept.
        XCTAssertEqual(try bill.result("leads.assign", ["campaign_id": cid, "rule": "region"])["assigned"], 7)
        let ann = try bill.result("leads.get", ["id": lead("Ann Able")])
        XCTAssertEqual(ann["assigned_staff_id"], north)
        XCTAssertEqual(try bill.result("leads.get", ["id": lead("Bob Best")])["assigned_staff_id"], south)
        _ = try agent.result("leads.qualify", ["id": lead("Cid Cole"), "status": "qualified", "score": 70])
        _ = try agent.result("leads.qualify", ["id": lead("Dee Dunn"), "status": "qualified", "score": 60])
        _ = try agent.result("leads.qualify", ["id": lead("Eve East"), "status": "disqualified"])

        var orders: [JSON] = []
        for (name, quantity) in [("Ann Able", 2), ("Bob Best", 1), ("Known Again", 3)] {
            let quote = try agent.result("quotes.create", ["lead_id": lead(name), "staff_id": north,
                                                           "lines": [["product_id": skimmer, "quantity": .number(quantity)]]])
            XCTAssertEqual(quote["status"], "quoted")
            XCTAssertEqual(quote["campaign_id"], cid, "the quote carries the lead's campaign")
            orders.append(try agent.result("quotes.accept", ["id": quote["id"]!]))
        }
        XCTAssertEqual(orders.map { $0["status"] }, ["confirmed", "confirmed", "confirmed"])
        XCTAssertEqual(try agent.call("quotes.accept", ["id": orders[0]["id"]!]).errorCode, -32009, "no longer a quote")
        let open = try agent.result("quotes.create", ["lead_id": lead("Fay Ford"), "lines": [["product_id": skimmer, "quantity": 5]]])
        XCTAssertEqual(open["status"], "quoted", "a quote never accepted is not a sale")
        XCTAssertEqual(try bill.result("leads.get", ["id": lead("Known Again")])["customer_id"], known, "converting a linked lead keeps its customer")

        // Customer care: a call list of skimmer buyers who accept calls, with the surplus handheld to cross-sell.
        let annCustomer = try bill.result("leads.get", ["id": lead("Ann Able")])["customer_id"]!
        let annNow = try margaret.result("customers.get", ["id": annCustomer])
        _ = try margaret.result("customers.update", ["id": annCustomer, "version": annNow["version"]!, "consent": ["phone": true]])
        let calls = try margaret.result("campaigns.call_list", ["campaign_id": cid, "product_id": skimmer, "days_after": 0])["items"]!.arrayValue!
        XCTAssertEqual(Set(calls.compactMap { $0["customer_id"]?.stringValue }), Set([annCustomer, known].compactMap(\.stringValue)), "Bob gave no phone consent")
        XCTAssertEqual(calls.first?["suggestions"]?.arrayValue?.map { $0["product_id"] }, [handheld])
        XCTAssertNotNil(calls.first?["task_id"]?.stringValue)
        let again = try margaret.result("campaigns.call_list", ["campaign_id": cid, "product_id": skimmer, "days_after": 0])["items"]!.arrayValue!
        XCTAssertEqual(again.map { $0["task_id"] }, calls.map { $0["task_id"] }, "the call tasks are created once")

        // September: the campaign's figures. 6 skimmers at 89.00 (revenue 534.00), cost of goods
        // 6 x 31.00 = 186.00, margin 348.00; campaign cost 200.00; ROI on margin (348 - 200) / 200 = 0.74.
        // Leads 7; qualified 2 (Cid, Dee); converted 4 (Ann, Bob, Known, Fay through her quote);
        // response rate (2 + 4) / 7 = 0.8571.
        let results = try bill.result("reports.campaign_results", ["campaign_id": cid])["items"]!.arrayValue!
        XCTAssertEqual(results.count, 1)
        let r = results[0]
        XCTAssertEqual(r["cost"], .number("200.00"))
        XCTAssertEqual(r["leads"], 7)
        XCTAssertEqual(r["qualified_leads"], 2)
        XCTAssertEqual(r["conversions"], 4)
        XCTAssertEqual(r["orders"], 3)
        XCTAssertEqual(r["units_sold"], .number("6.000"))
        XCTAssertEqual(r["revenue"], .number("534.00"))
        XCTAssertEqual(r["gross_margin"], .number("348.00"))
        XCTAssertEqual(r["response_rate"], .number("0.8571"))
        XCTAssertEqual(r["roi"], .number("0.7400"))
        let weeks = try bill.result("reports.campaign_weekly", ["campaign_id": cid])["items"]!.arrayValue!
        XCTAssertEqual(weeks.map { $0["orders"] }, [3])

        // Every step is in the audit log, and another unit sees none of it.
        try h.sql { conn in
            let actions: [String] = try conn.query("""
                select action from crm.audit_log where entity = 'campaign' and entity_id = \(cid.stringValue!) order by id
                """).map { try $0.get("action") }
            XCTAssertEqual(actions.filter { $0 == "upload_asset" }.count, 3)
            XCTAssertEqual(actions.filter { $0 == "approved" }.count, 4, "two design approvals, the budget, and the campaign itself")
            XCTAssertEqual(actions.filter { $0 == "rejected" }.count, 1)
            XCTAssertTrue(actions.contains("import_leads") && actions.contains("assign_leads") && actions.contains("cost"))
        }
        let other = try h.loggedIn(.unit(tenant: "other-unit", role: "director"))
        XCTAssertEqual(try other.call("campaigns.get", ["id": cid]).errorCode, -32004)
        XCTAssertEqual(try other.call("campaigns.approve", ["campaign_id": cid]).errorCode, -32004)
        XCTAssertEqual(try other.result("leads.list", [:])["items"]?.arrayValue?.count, 0)
        XCTAssertEqual(try other.result("reports.campaign_results", [:])["items"]?.arrayValue?.count, 0)
    }

    func testABudgetChangeVoidsItsApproval() throws {
        let h = Self.harness!
        let bill = try h.loggedIn(.unit(tenant: "coolpool", role: "marketing"))
        let curtis = try h.loggedIn(.unit(tenant: "coolpool", role: "director"))
        let cid = try bill.result("campaigns.create", ["name": "Pool covers", "budget": "1000.00"])["id"]!
        XCTAssertEqual(try curtis.result("campaigns.approve", ["campaign_id": cid])["budget_approved"], true)
        let changed = try bill.result("campaigns.update", ["id": cid, "budget": "5000.00"])
        XCTAssertEqual(changed["budget_approved"], false, "a new budget needs a new approval")
        XCTAssertEqual(changed["approvals"]?.arrayValue?.first?["void"], true)
        XCTAssertEqual(try bill.call("campaigns.update", ["id": cid, "status": "approved"]).errorCode, -32009)
        XCTAssertEqual(try bill.call("campaigns.create", ["name": "No", "budget": "-5"]).errorCode, -32602)
        XCTAssertEqual(try bill.call("campaigns.import_leads", ["campaign_id": cid, "csv": "nom,email\nx,y"]).errorCode, -32602)
    }
}
