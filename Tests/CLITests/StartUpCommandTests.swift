import CRMCore
import CRMTestSupport
import Foundation
import PQ
import XCTest

/// `Scripts/run`'s first start: `crm demo` is one transaction, so a demo stopped at any point
/// leaves nothing, and a demo whose keys file was never written issues new keys next time.
/// And `crm serve` refuses a malformed setting by name.
final class StartUpCommandTests: XCTestCase {
    func testADemoStoppedHalfWayLeavesNothingAndASecondStartWorks() throws {
        let db = try TestDatabase.migrated("clidemo")
        defer { db.drop() }
        // A copy of SQL/ whose last demo file fails: the demo stops after seeding the others.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crm-demo-\(UUID())")
        try FileManager.default.copyItem(at: TestDatabase.sqlDirectory, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "select 1 / 0;".write(to: dir.appendingPathComponent("demo/99_broken.sql"), atomically: true, encoding: .utf8)
        let keys = dir.appendingPathComponent("keys.txt").path

        let broken = try CRMCommand.run(["demo", "--keys-file", keys, "--sql-dir", dir.path], db: db)
        XCTAssertNotEqual(broken.status, 0)
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.tenant"), 0, "nothing of the stopped demo is left")
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.customer"), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: keys))

        try FileManager.default.removeItem(at: dir.appendingPathComponent("demo/99_broken.sql"))
        let first = try CRMCommand.run(["demo", "--keys-file", keys, "--sql-dir", dir.path], db: db)
        XCTAssertEqual(first.status, 0, first.stderr)
        let customers = try CRMCommand.count(db, "select count(*)::int as n from crm.customer")
        XCTAssertGreaterThan(customers, 0)

        // The keys file lost (the first start stopped before writing it): new keys, same data.
        try FileManager.default.removeItem(atPath: keys)
        let again = try CRMCommand.run(["demo", "--keys-file", keys, "--sql-dir", dir.path], db: db)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("issuing new keys"), again.stdout)
        XCTAssertEqual(try CRMCommand.count(db, "select count(*)::int as n from crm.customer"), customers, "nothing seeded twice")
        let manager = try XCTUnwrap(try String(contentsOfFile: keys, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("coolpool/manager ") }?.split(separator: " ").last.map(String.init))
        let principal = try CRMDatabase.authenticateBlocking(db, key: manager)
        XCTAssertEqual(principal, "coolpool", "the new key works")
    }

    func testAMalformedSettingStopsTheServerNamingTheVariable() throws {
        let db = try TestDatabase.create("clienv")
        defer { db.drop() }
        for (name, value) in [("CRM_POOL_SIZE", "abc"), ("CRM_REQUEST_TIMEOUT_MS", "-5"), ("CRM_RATE_LIMIT", "fast"), ("LOG_LEVEL", "loud")] {
            let outcome = try CRMCommand.run(["serve", "--listen", "127.0.0.1:0"], db: db, environment: [name: value])
            XCTAssertNotEqual(outcome.status, 0, "\(name)=\(value)")
            XCTAssertTrue(outcome.stderr.contains(name), "\(name)=\(value): \(outcome.stderr)")
        }
    }
}

extension CRMDatabase {
    /// The unit slug of the principal a key belongs to, by the same SQL the server uses.
    static func authenticateBlocking(_ db: TestDatabase, key: String) throws -> String? {
        let rows = try db.connect().query("select tenant_slug from crm.authenticate(\(key))")
        return try rows.first?.optional("tenant_slug")
    }
}
