import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import Logging
import PQ
import XCTest

/// A real deployment runs `crm serve` as `crm_app` (README, "Security"), not as a superuser:
/// everything the server does at start, per request and on its schedule works under that role.
/// (The test cluster trusts local connections, so no password is involved; what matters is
/// that the role has no privilege of its own beyond what the migrations grant it.)
final class LoginRoleTests: XCTestCase {
    func testTheServerWorksAsTheUnprivilegedLoginRole() async throws {
        let h = try await ServerHarness.start("loginrole", loginRole: "crm_app")
        try h.createTenant("app-unit")
        let conn = try PQConnection.connect(url: h.db.url.replacingOccurrences(of: "://postgres@", with: "://crm_app@"))
        XCTAssertEqual(try conn.query("select current_user as u")[0].get("u", as: String.self), "crm_app")
        XCTAssertNoThrow(try Migrator(directory: TestDatabase.sqlDirectory, logger: Logger(label: "t")).verify(conn),
                         "crm serve's start-up check works as crm_app")
        XCTAssertThrowsError(try conn.query("select count(*) from crm.customer"), "crm_app holds no table privilege of its own")

        let c = try h.loggedIn(.unit(tenant: "app-unit", role: "manager"))
        let created = try c.result("customers.create", ["name": "Ada App"])
        XCTAssertEqual(try c.result("customers.get", ["id": XCTUnwrap(created["id"])])["name"], "Ada App")
        XCTAssertEqual(try c.result("server.health")["database"], "ok")

        let rules = TaskRulesService(database: CRMDatabase(pool: h.pool, logger: .init(label: "t")), interval: .seconds(3600), logger: .init(label: "t"))
        _ = try await rules.runOnce()
        await h.stop()
    }
}
