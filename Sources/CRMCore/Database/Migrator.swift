public import Foundation
public import Logging
public import PQ

/// Applies `SQL/migrations/*.sql` once each, in name order, each in its own transaction and
/// recorded with a SHA-256 checksum; then re-applies every `SQL/repeatable/*.sql` (views and
/// functions that are safe to recreate) and `SQL/api/*.sql` (the methods' functions, which build on
/// them). Refuses to run when an applied migration has changed.
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        public var applied: [String] = []
        public var repeatable: [String] = []
        /// Applied migrations whose file was amended on purpose (see `amendedMigrations`).
        public var amended: [String] = []
    }

    /// Migrations edited after release, and why: the checksums of the texts they replaced are
    /// accepted (and re-recorded as the new text's) instead of refusing to run. Only for a reason
    /// that outweighs "never edit an applied file", such as a secret that no file may carry.
    public static let amendedMigrations: [String: (replaced: Set<String>, reason: String)] = [
        "0001_roles_and_schemas.sql": (
            replaced: ["b587d7de59163b8cb61911634fe71118ef25ad51c5759edb4bca5b041dfcb140"],
            reason: "it created crm_app with a fixed password; 0032_login_role.sql removes it")
    ]

    public let directory: URL
    public let logger: Logger

    public init(directory: URL, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    struct File {
        let name: String
        let text: String
    }

    func files(in sub: String) throws -> [File] {
        let dir = directory.appendingPathComponent(sub)
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
            .map { File(name: $0, text: try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// Applies what is pending (blocking; run off the event loops).
    public func migrate(_ conn: PQConnection) throws -> Report {
        let migrations = try files(in: "migrations")
        guard !migrations.isEmpty else { throw CRMError(.internalError, "no migrations found in \(directory.path)/migrations") }
        try conn.execute(unsafeSQL: """
            set client_min_messages = warning;
            create schema if not exists crm_meta;
            create table if not exists crm_meta.schema_migration (
                name text primary key,
                checksum text not null,
                applied_at timestamptz not null default now()
            );
            """)
        // One migrator at a time (two servers starting together).
        try conn.query("select pg_advisory_lock(hashtext('crm.migrate'))")
        defer { _ = try? conn.query("select pg_advisory_unlock(hashtext('crm.migrate'))") }

        let sums = try Self.checksums(conn, migrations)
        let applied = try verify(conn, migrations, sums)
        var report = Report()
        for file in migrations {
            guard let recorded = applied[file.name], recorded != sums[file.name] else { continue }
            // verify() let it through: an amended file whose recorded text is the one it replaced.
            logger.notice("recording the amended text of a migration", metadata: ["file": "\(file.name)"])
            try conn.query("update crm_meta.schema_migration set checksum = \(sums[file.name]) where name = \(file.name)")
            report.amended.append(file.name)
        }
        for file in migrations where applied[file.name] == nil {
            logger.info("applying migration", metadata: ["file": "\(file.name)"])
            try conn.transaction { c in
                try c.execute(unsafeSQL: file.text)
                // Files switch to crm_owner; the bookkeeping belongs to the migrating role.
                try c.execute(unsafeSQL: "reset role")
                try c.query("insert into crm_meta.schema_migration (name, checksum) values (\(file.name), \(sums[file.name]))")
            }
            report.applied.append(file.name)
        }
        for file in try files(in: "repeatable") + files(in: "api") {
            try conn.transaction { c in try c.execute(unsafeSQL: file.text) }
            report.repeatable.append(file.name)
        }
        return report
    }

    /// Checks that every applied migration is still on disk, unchanged. Returns name → checksum.
    @discardableResult
    public func verify(_ conn: PQConnection) throws -> [String: String] {
        let migrations = try files(in: "migrations")
        return try verify(conn, migrations, try Self.checksums(conn, migrations))
    }

    func verify(_ conn: PQConnection, _ migrations: [File], _ sums: [String: String]) throws -> [String: String] {
        let exists = try conn.query("select to_regclass('crm_meta.schema_migration') is not null as ok")
        guard try exists[0].get("ok", as: Bool.self) else { return [:] }
        var applied: [String: String] = [:]
        for row in try conn.query("select name, checksum from crm_meta.schema_migration") {
            applied[try row.get("name")] = try row.get("checksum")
        }
        let onDisk = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
        for (name, sum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let file = onDisk[name] else {
                throw CRMError(.internalError, "migration \(name) was applied but is missing from \(directory.path)/migrations")
            }
            guard sums[file.name] == sum || Self.amendedMigrations[name]?.replaced.contains(sum) == true else {
                throw CRMError(.internalError, "migration \(name) has changed since it was applied; write a new migration instead")
            }
        }
        return applied
    }

    /// SHA-256 of each file's text (UTF-8), hex, computed by PostgreSQL's sha256(): name → checksum.
    static func checksums(_ conn: PQConnection, _ files: [File]) throws -> [String: String] {
        var sums: [String: String] = [:]
        let rows = try conn.query("""
            select f.name, encode(sha256(convert_to(f.text, 'UTF8')), 'hex') as sum
              from unnest(\(files.map(\.name))::text[], \(files.map(\.text))::text[]) as f(name, text)
            """)
        for row in rows { sums[try row.get("name")] = try row.get("sum") }
        return sums
    }
}
