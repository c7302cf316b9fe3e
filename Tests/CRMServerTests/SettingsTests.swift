import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import XCTest

/// settings.get / settings.update through the protocol (issue 18): a manager changes the unit's
/// country and the very next customers.lookup reads numbers that country's way; bad values are
/// -32602 naming the setting; other roles are refused.
final class SettingsTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("settings") { h in
            try h.createTenant("set-a")
            try h.createTenant("set-b")
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    func client(_ tenant: String, _ role: String) throws -> TestClient {
        try Self.harness.loggedIn(.unit(tenant: tenant, role: role))
    }

    func testManagerChangesTheCountryAndTheNextLookupReadsNumbersItsWay() throws {
        let m = try client("set-a", "manager")
        let caller = try m.result("customers.create", ["name": "Caller from San Francisco", "phones": ["+1 415 555 0134"]])
        XCTAssertEqual(caller["phones"], ["+14155550134"])

        // A unit in Germany (the default) reads 415-555-0134 as a German number: nobody.
        let missing = try m.call("customers.lookup", ["phone": "415-555-0134"])
        XCTAssertEqual(missing.errorCode, -32004)
        XCTAssertEqual(missing["error"]?["message"], "no customer with phone 415-555-0134", "said once, without 'not found'")

        let updated = try m.result("settings.update", ["default_country_code": "1"])
        XCTAssertEqual(updated["default_country_code"], "1")
        XCTAssertEqual(try m.result("settings.get")["default_country_code"], "1")

        for written in ["415-555-0134", "(415) 555-0134", "1 415 555 0134", "415.555.0134 x12"] {
            let found = try m.result("customers.lookup", ["phone": .string(written)])
            XCTAssertEqual(found["customer"]?["id"], caller["id"], "found by \(written) in a unit of +1")
        }
        // New numbers are stored the new country's way too.
        XCTAssertEqual(try m.result("customers.create", ["name": "Local", "phones": ["212-555-0199"]])["phones"], ["+12125550199"])
        // The other unit still reads numbers the German way.
        XCTAssertEqual(try client("set-b", "manager").result("settings.get")["default_country_code"], "49")
    }

    func testEverySettingIsCheckedAndNamed() throws {
        let d = try client("set-b", "director")
        let cases: [(JSONObject, String)] = [
            (["default_country_code": "999"], "default_country_code"),
            (["sla_hours": ["urgent": 0]], "sla_hours.urgent"),
            (["customer_tiers": ["A": .number("0.95")]], "customer_tiers.A"),
            (["commission_rates": ["B": .number("1.5")]], "commission_rates.B"),
            (["holidays": [["date": "2026-12-25"], ["date": "2026-12-25"]]], "holidays[1].date"),
            (["lead_offer_hours": 0], "lead_offer_hours"),
            (["deal_conflict_days": 100_000], "deal_conflict_days"),
            (["campaign_approvals": ["budget": []]], "campaign_approvals.budget"),
            (["colour": "red"], "colour"),
        ]
        for (params, field) in cases {
            let answer = try d.call("settings.update", params)
            XCTAssertEqual(answer.errorCode, -32602, "\(params)")
            XCTAssertEqual(answer["error"]?["data"]?["field"]?.stringValue, field, "\(params)")
            XCTAssertNotNil(answer["error"]?["data"]?["reason"]?.stringValue, "\(params) says why")
        }
        let good = try d.result("settings.update", ["sla_hours": ["urgent": 2], "holidays": [["date": "2026-12-25", "name": "Christmas"]],
                                                    "commission_rates": ["A": .number("0.05")], "lead_offer_hours": 24])
        XCTAssertEqual(good["sla_hours"]?["urgent"], 2)
        XCTAssertEqual(good["sla_hours"]?["normal"], 72, "the other priorities keep their values")
        XCTAssertEqual(good["holidays"]?.arrayValue?.first?["name"], "Christmas")
        XCTAssertEqual(good["commission_rates"]?["A"], .number("0.05"))
        XCTAssertEqual(try d.result("settings.update", ["lead_offer_hours": .null])["lead_offer_hours"], 48, "null resets to the default")
    }

    func testOnlyManagersAndDirectors() throws {
        for role in ["agent", "marketing", "designer", "viewer"] {
            let c = try client("set-a", role)
            XCTAssertEqual(try c.call("settings.update", ["lead_offer_hours": 1]).errorCode, -32003, "\(role) may not change settings")
            XCTAssertEqual(try c.call("settings.get").errorCode, -32003, "\(role) may not read settings")
        }
        XCTAssertNotNil(try client("set-a", "director").result("settings.get")["sla_hours"])
    }
}
