import CRMCore
import CRMTestSupport
import Foundation
import PQ
import XCTest

/// `crm import` and `crm export` as a user runs them: a file streamed from disk, rejects by line
/// (also into --rejects), a dry run that keeps nothing, a re-run that adds nothing twice, and an
/// export that shows exactly what the unit's own role may read.
final class ImportExportCommandTests: XCTestCase {
    func testImportStreamsRejectsByLineDryRunKeepsNothingAndARerunAddsNothing() throws {
        let db = try TestDatabase.migrated("cliimport")
        defer { db.drop() }
        try AdminOperations.createTenant(try db.connect(), slug: "cli", name: "CLI")
        var csv = Array("name,email,phone\n".utf8)
        for i in 1...5_000 { csv += Array("Person \(i),p\(i)@cli.example,+49 30 \(7_000_000 + i)\n".utf8) }
        csv += Array("Nul".utf8) + [0] + Array("led,nul@cli.example,\n".utf8)                       // line 5002
        csv += Array(",noname@cli.example,\n".utf8)                                               // line 5003
        csv += Array("Long,\(String(repeating: "x", count: 20_000))@cli.example,\n".utf8)        // line 5004
        csv += Array("Twin,p7@cli.example,\n".utf8)                                               // line 5005
        let file = try CRMCommand.temporaryFile(csv)
        let rejects = file + ".rejects.csv"
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: rejects) }

        let dry = try CRMCommand.run(["import", "customers", file, "--tenant", "cli", "--dry-run"], db: db)
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("would import 5000 of 5004 rows, rejected 4"), dry.stdout)
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.customer"), 0, "a dry run keeps nothing")

        let real = try CRMCommand.run(["import", "customers", file, "--tenant", "cli", "--rejects", rejects], db: db)
        XCTAssertEqual(real.status, 0, real.stderr)
        XCTAssertTrue(real.stdout.contains("imported 5000 of 5004 rows, rejected 4"), real.stdout)
        XCTAssertTrue(real.stdout.contains("line 5002: contains a NUL byte"), real.stdout)
        XCTAssertTrue(real.stdout.contains("line 5004: field 2 is longer than 10000 bytes"), real.stdout)
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.customer"), 5_000)
        let written = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(written.first, "line,reason,name,email,phone,company,branch,segment,street,city,postcode,country,lifecycle_stage")
        XCTAssertEqual(written.dropFirst().map { $0.split(separator: ",").first.map(String.init) }, ["5002", "5003", "5004", "5005"])
        XCTAssertTrue(written.contains { $0.hasPrefix("5005,duplicate of line 8,Twin,p7@cli.example") }, "\(written)")

        let again = try CRMCommand.run(["import", "customers", file, "--tenant", "cli"], db: db)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("imported 0 of 5004 rows"), again.stdout)
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.customer"), 5_000, "a re-run adds nothing twice")

        let missing = try CRMCommand.run(["import", "customers", "/nonexistent.csv", "--tenant", "cli"], db: db)
        XCTAssertNotEqual(missing.status, 0)
        let unknownUnit = try CRMCommand.run(["import", "customers", file, "--tenant", "nope"], db: db)
        XCTAssertNotEqual(unknownUnit.status, 0)
        XCTAssertTrue(unknownUnit.stderr.contains("no business unit"), unknownUnit.stderr)
    }

    func testExportShowsExactlyWhatTheUnitMayRead() throws {
        let db = try TestDatabase.migrated("cliexport")
        defer { db.drop() }
        let conn = try db.connect()
        for unit in ["exp-a", "exp-b"] { try AdminOperations.createTenant(conn, slug: unit, name: unit) }
        try conn.execute(unsafeSQL: """
            insert into crm.customer (tenant_id, name, emails, created_at)
            select t.id, t.slug || ' customer ' || g, array[t.slug || g || '@x.example'], timestamptz '2026-01-01' + g * interval '1 day'
              from crm.tenant t, generate_series(1, 3) g where t.slug in ('exp-a', 'exp-b')
            """)
        let csv = try CRMCommand.run(["export", "customers", "--tenant", "exp-a"], db: db)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4, "a header and unit A's three customers: \(csv.stdout)")
        XCTAssertFalse(csv.stdout.contains("exp-b"), "nothing of unit B")

        let jsonl = try CRMCommand.run(["export", "customers", "--tenant", "exp-a", "--format", "jsonl", "--since", "2026-01-03"], db: db)
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        let objects = try jsonl.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(objects.compactMap { $0?["name"] as? String }.sorted(), ["exp-a customer 2", "exp-a customer 3"])

        let report = try CRMCommand.run(["export", "report", "lifecycle_funnel", "--tenant", "exp-b"], db: db)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertFalse(report.stdout.contains("exp-a"))
        let injected = try CRMCommand.run(["export", "report", "lifecycle_funnel; drop table crm.customer", "--tenant", "exp-a"], db: db)
        XCTAssertNotEqual(injected.status, 0)
        XCTAssertTrue(injected.stderr.contains("no report view"), injected.stderr)
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.customer"), 6)
    }
}
