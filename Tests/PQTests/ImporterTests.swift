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

    /// `crm import leads FILE --campaign`: a bought list of 100,000 rows; rows matching a customer
    /// or an earlier row are linked, bad rows reported, the rest become leads of the campaign.
    func testALargeLeadListImportsIntoACampaign() throws {
        let db = try TestDatabase.migrated("leadimport")
        defer { db.drop() }
        let conn = try db.connect()
        try AdminOperations.createTenant(conn, slug: "lists", name: "Lists")
        let campaign: Int64 = try conn.transaction { c in
            try c.query("select set_config('role', 'crm_unit', true), set_config('crm.tenant', 'lists', true)")
            try c.query("insert into crm.customer (tenant_id, name, emails) values (crm.current_tenant(), 'Known', '{known@list.example}')")
            return try c.query("select (crm.create_campaign('{\"name\": \"Mailing\"}')->>'id')::bigint as id")[0].get("id")
        }
        var csv = "name,email,phone,region\n"
        for i in 1...100_000 { csv += "Household \(i),h\(i)@list.example,+49 40 \(1_000_000 + i),\(i % 2 == 0 ? "north" : "south")\n" }
        csv += "Known Person,Known@List.example,,north\n"      // line 100002: the customer
        csv += "Again,,+49 40 1000007,north\n"                  // line 100003: the phone of line 8
        csv += "Broken,broken,,north\n"                         // line 100004
        let started = Date()
        let report = try Importer(kind: Importer.kinds["leads"]!).run(conn, tenant: "lists", csv: Array(csv.utf8), campaign: campaign)
        let seconds = Date().timeIntervalSince(started)
        print("imported a list of \(report.rows) leads in \(String(format: "%.2f", seconds)) s (\(Int(Double(report.rows) / seconds)) rows/s)")
        XCTAssertEqual(report.rows, 100_003)
        XCTAssertEqual(report.rejects.map(\.line), [100_004])
        XCTAssertEqual(report.linked, 2)
        XCTAssertEqual(try conn.query("select count(*)::int as n from crm.lead where campaign_id = \(campaign)")[0].get("n", as: Int.self), 100_001)
        XCTAssertEqual(try conn.query("select count(*)::int as n from crm.lead where customer_id is not null")[0].get("n", as: Int.self), 1)
        XCTAssertThrowsError(try Importer(kind: Importer.kinds["leads"]!).run(conn, tenant: "lists", csv: Array("name,email\nX,x@y.example\n".utf8)),
                             "leads need a campaign")
        XCTAssertThrowsError(try Importer(kind: Importer.kinds["leads"]!).run(conn, tenant: "lists", csv: Array("name,email\nX,x@y.example\n".utf8), campaign: 999))
    }

    /// A row holding a NUL byte or bytes that are not UTF-8 is rejected by its line; the rows
    /// around it are imported (a NUL used to abort the COPY, and the whole import with it).
    func testNulBytesAndBadEncodingsAreRejectedByLine() throws {
        let db = try TestDatabase.migrated("importnul")
        defer { db.drop() }
        let conn = try db.connect()
        try AdminOperations.createTenant(conn, slug: "nul", name: "Nul")
        var csv = Array("name,email\nAnna,anna@nul.example\n".utf8)
        csv += Array("Be".utf8) + [0] + Array("rt,bert@nul.example\n".utf8)           // line 3: NUL
        csv += Array("Cara,cara@nul.example\n".utf8)
        csv += Array("D".utf8) + [0xC3, 0x28] + Array(",dora@nul.example\n".utf8)      // line 5: not UTF-8
        csv += Array("\"Eve\",\"e".utf8) + [0] + Array("@nul.example\"\nFinn,finn@nul.example\n".utf8)  // line 6: NUL in quotes
        let report = try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: "nul", csv: csv)
        XCTAssertEqual(report.rows, 6)
        XCTAssertEqual(report.rejects.map(\.line), [3, 5, 6])
        XCTAssertEqual(report.rejects.map(\.reason), ["contains a NUL byte", "not valid UTF-8", "contains a NUL byte"])
        XCTAssertEqual(report.imported, 3)
        let names = try conn.transaction { c in
            try c.query("select set_config('role', 'crm_unit', true), set_config('crm.tenant', 'nul', true)")
            return try c.query("select string_agg(name, ',' order by name) as n from crm.customer")[0].get("n", as: String.self)
        }
        XCTAssertEqual(names, "Anna,Cara,Finn")
        XCTAssertThrowsError(try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: "nul", csv: Array("na".utf8) + [0] + Array("me\nX\n".utf8)))
    }
}
