import CRMCore
import CRMTestSupport
import Foundation
import Logging
import PQ
import XCTest

/// `crm migrate` applies each file once, is a no-op the second time, and refuses an edited file.
final class MigratorTests: XCTestCase {
    func testMigrateTwiceIsANoOpAndAnEditedMigrationIsRefused() throws {
        let db = try TestDatabase.create("migrator")
        defer { db.drop() }
        // A copy of SQL/ that this test may edit.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crm-sql-\(UUID())")
        try FileManager.default.copyItem(at: TestDatabase.sqlDirectory, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let migrator = Migrator(directory: dir, logger: Logger(label: "test"))
        let conn = try db.connect()

        let first = try migrator.migrate(conn)
        XCTAssertFalse(first.applied.isEmpty)
        let countAfterFirst = try conn.query("select count(*) as n from crm_meta.schema_migration")[0].get("n", as: Int.self)
        XCTAssertEqual(countAfterFirst, first.applied.count)
        let objects = try conn.query("select count(*) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('crm','report')")[0].get("n", as: Int.self)

        let second = try migrator.migrate(conn)
        XCTAssertEqual(second.applied, [], "nothing is applied twice")
        XCTAssertEqual(try conn.query("select count(*) as n from crm_meta.schema_migration")[0].get("n", as: Int.self), countAfterFirst)
        XCTAssertEqual(try conn.query("select count(*) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('crm','report')")[0].get("n", as: Int.self), objects)
        XCTAssertNoThrow(try migrator.verify(conn))

        // Edit an applied migration: migrate and verify (what `crm serve` runs) both refuse.
        let file = dir.appendingPathComponent("migrations").appendingPathComponent(first.applied[1])
        try (try String(contentsOf: file, encoding: .utf8) + "\n-- edited\n").write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try migrator.migrate(conn)) { error in
            XCTAssertTrue("\(error)".contains("has changed"), "\(error)")
        }
        XCTAssertThrowsError(try migrator.verify(conn))

        // A new migration is applied; a failing one leaves nothing behind.
        try FileManager.default.removeItem(at: file)
        XCTAssertThrowsError(try migrator.migrate(conn)) { error in XCTAssertTrue("\(error)".contains("missing")) }
    }

    func testAFailingMigrationLeavesNothingBehind() throws {
        let db = try TestDatabase.create("migfail")
        defer { db.drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crm-sql-\(UUID())")
        try FileManager.default.copyItem(at: TestDatabase.sqlDirectory, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "create table crm.half_done (x int); select 1/0;".write(
            to: dir.appendingPathComponent("migrations/9999_broken.sql"), atomically: true, encoding: .utf8)
        let conn = try db.connect()
        XCTAssertThrowsError(try Migrator(directory: dir, logger: Logger(label: "test")).migrate(conn))
        XCTAssertEqual(try conn.query("select to_regclass('crm.half_done') is null as gone")[0].get("gone", as: Bool.self), true)
        XCTAssertEqual(try conn.query("select count(*) as n from crm_meta.schema_migration where name = '9999_broken.sql'")[0].get("n", as: Int.self), 0)
    }
}
