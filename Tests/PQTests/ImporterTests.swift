import CRMCore
import CRMTestSupport
import Foundation
import PQ
import XCTest

/// `crm import`: every row checked, bad rows reported by line, good rows kept, no duplicates.
final class ImporterTests: XCTestCase {
    func testCustomersProductsAndOrdersImportWithRejects() throws {
        let db = try TestDatabase.migrated("importer")
        defer { db.drop() }
        let conn = try db.connect()
        try AdminOperations.createTenant(conn, slug: "imp", name: "Importer")

        var csv = "name,email,phone,city\n"
        for i in 1...20_000 { csv += "Person \(i),p\(i)@imp.example,+49 30 \(5_000_000 + i),\"Berlin, Mitte\"\n" }
        csv += ",nobody@imp.example,,\n"                        // line 20002: no name
        csv += "Bad Mail,not-an-email,,\n"                      // line 20003
        csv += "Bad Phone,ok@imp.example,12,\n"                 // line 20004
        csv += "Twin,p7@imp.example,,\n"                         // line 20005: duplicate of line 8
        csv += "\"Quoted, Name\",q@imp.example,,\"multi\nline\"\n"  // line 20006, spans two lines
        let report = try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: "imp", csv: Array(csv.utf8))
        XCTAssertEqual(report.rows, 20_005)
        XCTAssertEqual(report.imported, 20_001)
        XCTAssertEqual(report.rejects.map(\.line), [20_002, 20_003, 20_004, 20_005])
        XCTAssertEqual(report.rejects.last?.reason, "duplicate of line 8")
        XCTAssertEqual(try conn.query("select count(*)::int as n from crm.customer")[0].get("n", as: Int.self), 20_001)
        XCTAssertEqual(try conn.query("select address->>'city' as c from crm.customer where name = 'Quoted, Name'")[0].get("c", as: String.self), "multi\nline")

        // The same file again: everything is a duplicate of an existing customer, nothing is added.
        let again = try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: "imp", csv: Array(csv.utf8))
        XCTAssertEqual(again.imported, 0)
        XCTAssertEqual(try conn.query("select count(*)::int as n from crm.customer")[0].get("n", as: Int.self), 20_001)

        let products = try Importer(kind: Importer.kinds["products"]!).run(conn, tenant: "imp",
            csv: Array("sku,name,list_price,unit_cost\nS1,One,10.00,4.00\nS2,Two,x,1\n".utf8))
        XCTAssertEqual(products.rejects.map(\.line), [3])
        XCTAssertEqual(products.rejects.first?.reason, "list_price is not an amount")
        let orders = try Importer(kind: Importer.kinds["orders"]!).run(conn, tenant: "imp",
            csv: Array("order_ref,ordered_at,sku,quantity,customer_email\nA,2026-01-02,S1,3,p1@imp.example\nA,2026-01-02,S9,1,p1@imp.example\n".utf8))
        XCTAssertEqual(orders.rejects.map(\.line), [3])
        XCTAssertEqual(try conn.query("select revenue::text as r from crm.customer_month_summary")[0].get("r", as: String.self), "30.00")

        XCTAssertThrowsError(try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: "nope", csv: Array("name\nX\n".utf8)))
        XCTAssertThrowsError(try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: "imp", csv: Array("nome\nX\n".utf8)))
    }
}
