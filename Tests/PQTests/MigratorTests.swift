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

    /// Two files with one number: which runs first, and which of them a database holds, would be
    /// chance. Both `migrate` and `verify` (what `crm serve` runs) refuse, naming both files.
    func testTwoMigrationsWithOneNumberAreRefused() throws {
        let db = try TestDatabase.create("migdup")
        defer { db.drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crm-sql-\(UUID())")
        try FileManager.default.copyItem(at: TestDatabase.sqlDirectory, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "select 1;".write(to: dir.appendingPathComponent("migrations/0004_second_four.sql"), atomically: true, encoding: .utf8)
        let migrator = Migrator(directory: dir, logger: Logger(label: "test"))
        let conn = try db.connect()
        for attempt in [{ _ = try migrator.migrate(conn) }, { _ = try migrator.verify(conn) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertTrue("\(error)".contains("two migrations are numbered 0004"), "\(error)")
                XCTAssertTrue("\(error)".contains("0004_baseline_products_orders.sql"), "\(error)")
                XCTAssertTrue("\(error)".contains("0004_second_four.sql"), "\(error)")
            }
        }
        XCTAssertEqual(try conn.query("select to_regclass('crm.customer') is null as none")[0].get("none", as: Bool.self), true,
                       "nothing was applied")
    }

    /// A database migrated with the 39 migrations the baseline replaced (a0314ab and earlier) is the
    /// baseline's database: `crm migrate` records the baseline in their place and applies nothing.
    /// Simulated on a database migrated with the baseline (the same catalog, as
    /// Scripts/lib/schema_diff.sh shows) whose bookkeeping is put back to the old names.
    func testADatabaseMigratedWithTheSquashedMigrationsGetsTheBaselineRecorded() throws {
        let db = try TestDatabase.migrated("squashed")
        defer { db.drop() }
        let conn = try db.connect()
        let baseline = try rows(conn)
        XCTAssertEqual(Array(baseline.map(\.name).prefix(Migrator.baselineMigrations.count)), Migrator.baselineMigrations)
        // The baseline's rows become the old names; later migrations (0040 on) stay recorded, as
        // on a database that was migrated with the old files and is then given the new ones.
        try conn.query("delete from crm_meta.schema_migration where name = any(\(Migrator.baselineMigrations)::text[])")
        try conn.query("""
            insert into crm_meta.schema_migration (name, checksum)
            select n, md5(n) from unnest(\(Migrator.squashedMigrations)::text[]) n
            """)
        let migrator = Migrator(directory: TestDatabase.sqlDirectory, logger: Logger(label: "test"))
        XCTAssertThrowsError(try migrator.verify(conn), "crm serve asks for crm migrate first") { error in
            XCTAssertTrue("\(error)".contains("run `crm migrate`"), "\(error)")
        }

        let report = try migrator.migrate(conn)
        XCTAssertTrue(report.recordedBaseline)
        XCTAssertEqual(report.applied, [], "nothing of the baseline is applied")
        XCTAssertEqual(try rows(conn).map { [$0.name, $0.checksum] }, baseline.map { [$0.name, $0.checksum] },
                       "the baseline's rows with their checksums, the old ones gone")
        XCTAssertNoThrow(try migrator.verify(conn))
        let again = try migrator.migrate(conn)
        XCTAssertFalse(again.recordedBaseline)
        XCTAssertEqual(again.applied, [])
    }

    /// A database that holds only some of the old migrations must first be brought up to the last
    /// of them by the release that still has their files: refused, its bookkeeping untouched.
    func testADatabaseHoldingSomeOfTheSquashedMigrationsIsRefused() throws {
        let db = try TestDatabase.migrated("halfsquashed")
        defer { db.drop() }
        let conn = try db.connect()
        try conn.query("delete from crm_meta.schema_migration")
        let some = Array(Migrator.squashedMigrations.prefix(30))
        try conn.query("insert into crm_meta.schema_migration (name, checksum) select n, md5(n) from unnest(\(some)::text[]) n")
        let migrator = Migrator(directory: TestDatabase.sqlDirectory, logger: Logger(label: "test"))
        for attempt in [{ _ = try migrator.migrate(conn) }, { _ = try migrator.verify(conn) }] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertTrue("\(error)".contains("holds 30 of the 39 migrations"), "\(error)")
                XCTAssertTrue("\(error)".contains("finish migrating it with the previous release"), "\(error)")
                XCTAssertTrue("\(error)".contains("0031_least_privilege.sql"), "names what is missing: \(error)")
            }
        }
        XCTAssertEqual(try rows(conn).map(\.name), some.sorted())
    }

    private func rows(_ conn: PQConnection) throws -> [(name: String, checksum: String)] {
        try conn.query("select name, checksum from crm_meta.schema_migration order by name").map {
            (name: try $0.get("name", as: String.self), checksum: try $0.get("checksum", as: String.self))
        }
    }

    /// No migration carries a password: crm_app is created without one (README, "Security").
    func testNoMigrationCarriesAPassword() throws {
        let dir = TestDatabase.sqlDirectory.appendingPathComponent("migrations")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".sql") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8).lowercased()
            XCTAssertNil(text.range(of: #"password\s+'"#, options: .regularExpression), "\(name) sets a password")
        }
        let db = try TestDatabase.migrated("password")
        defer { db.drop() }
        let conn = try db.connect()
        XCTAssertEqual(try conn.query("select rolpassword is null as none from pg_authid where rolname = 'crm_app'")[0].get("none", as: Bool.self), true)
    }
}
