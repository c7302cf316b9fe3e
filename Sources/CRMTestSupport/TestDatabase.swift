public import Foundation
import Logging
public import PQ
import CRMCore
import Glibc

/// A throw-away database on the cluster that `Scripts/test` starts (`CRM_TEST_DATABASE_URL`, a
/// superuser URL). Each test suite gets its own database, dropped at the end.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String
    public let adminURL: String

    public static var adminURL: String? {
        ProcessInfo.processInfo.environment["CRM_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The command that restarts the test cluster (`CRM_TEST_PG_RESTART`), with a mode appended.
    public static var restartCommand: String? {
        ProcessInfo.processInfo.environment["CRM_TEST_PG_RESTART"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public static var sqlDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["CRM_SQL_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        // Tests/<target>/<file> → repository root → SQL
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SQL")
    }

    /// Creates an empty database named after `label`.
    public static func create(_ label: String) throws -> TestDatabase {
        guard let admin = adminURL else {
            throw PQError(.connectionFailed, "CRM_TEST_DATABASE_URL is not set: run the tests through Scripts/test")
        }
        let name = "t_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
        let conn = try PQConnection.connect(url: admin)
        try conn.execute(unsafeSQL: "create database \(name)")
        return TestDatabase(name: name, url: replaceDatabase(in: admin, with: name), adminURL: admin)
    }

    /// Creates a database and applies every migration to it.
    public static func migrated(_ label: String) throws -> TestDatabase {
        let db = try create(label)
        let conn = try PQConnection.connect(url: db.url)
        var logger = Logger(label: "test.migrate")
        logger.logLevel = .warning
        _ = try Migrator(directory: sqlDirectory, logger: logger).migrate(conn)
        return db
    }

    public func connect() throws -> PQConnection { try PQConnection.connect(url: url) }

    /// Drops the database, ending any session still on it.
    public func drop() {
        guard let conn = try? PQConnection.connect(url: adminURL) else { return }
        try? conn.execute(unsafeSQL: "drop database if exists \(name) with (force)")
    }

    static func replaceDatabase(in url: String, with name: String) -> String {
        // postgresql://user@host:port/db?params
        guard let scheme = url.range(of: "://"),
              let slash = url[scheme.upperBound...].firstIndex(of: "/") else { return url + "/" + name }
        let rest = url[url.index(after: slash)...]
        let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
        return String(url[..<slash]) + "/" + name + query
    }

    /// Restarts the cluster (`fast` or `immediate`), for recovery tests.
    public static func restartCluster(mode: String) throws {
        guard let command = restartCommand else { throw PQError(.unexpected, "CRM_TEST_PG_RESTART is not set") }
        // system(3), not Foundation's Process: its waitUntilExit can hang inside async tests.
        let status = system("\(command) \(mode)")
        guard status == 0 else { throw PQError(.unexpected, "cluster restart failed (\(status))") }
    }
}
