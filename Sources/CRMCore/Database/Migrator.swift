public import Foundation
public import Logging
public import PQ

/// Applies `SQL/migrations/*.sql` once each, in name order, each in its own transaction and
/// recorded with a SHA-256 checksum; then re-applies every `SQL/repeatable/*.sql` (views and
/// functions that are safe to recreate) and `SQL/api/*.sql` (the methods' functions, which build on
/// them). Refuses to run when an applied migration has changed or gone, and when two migration
/// files carry the same number. A database migrated with the migrations the baseline replaced gets
/// the baseline recorded in their place (`squashedMigrations`).
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        public var applied: [String] = []
        public var repeatable: [String] = []
        /// True when this run found a database migrated with the squashed migrations and recorded
        /// the baseline in their place (see `squashedMigrations`).
        public var recordedBaseline = false
    }

    /// The migrations that the baseline replaced (issue 17): a0314ab and earlier releases applied
    /// these 39 files, 0001_roles_and_schemas.sql to 0039_contact_index_writer.sql (two numbered
    /// 0004, none 0003). `baselineMigrations` builds the same database from scratch. A database
    /// whose `crm_meta.schema_migration` holds all of them is that database already: `migrate`
    /// records the baseline as applied in their place, in one transaction, and applies nothing of
    /// it. A database holding only some of them is refused (it must first be brought up to the last
    /// of them by the release that still has the files). Other rows (migrations numbered after the
    /// baseline) are kept and checked as usual.
    public static let squashedMigrations: [String] = [
        "0001_roles_and_schemas.sql",
        "0002_core.sql",
        "0004_customers.sql",
        "0004_sharing.sql",
        "0005_staff.sql",
        "0006_products.sql",
        "0007_orders.sql",
        "0008_order_functions.sql",
        "0009_goals.sql",
        "0010_interactions.sql",
        "0011_cases.sql",
        "0012_tasks_surveys.sql",
        "0013_customer_functions.sql",
        "0014_customer_search.sql",
        "0015_customer_tier_snapshot.sql",
        "0016_customer_contact_index.sql",
        "0017_customer_search_function.sql",
        "0018_unit_policies.sql",
        "0019_customer_year_summary.sql",
        "0020_customer_contact_backfill.sql",
        "0021_customer_tier_snapshot_figures.sql",
        "0022_sales_rollups.sql",
        "0023_customer_contact_by_customer.sql",
        "0024_campaigns.sql",
        "0025_customer_created_index.sql",
        "0026_partners.sql",
        "0027_inline_current_tenant.sql",
        "0028_customer_idempotency.sql",
        "0029_catalog_search_function.sql",
        "0030_sales_rollup_deltas.sql",
        "0031_least_privilege.sql",
        "0032_login_role.sql",
        "0033_opaque_ids.sql",
        "0034_partner_commission.sql",
        "0035_newest_first_index.sql",
        "0036_statement_rollup_triggers.sql",
        "0037_lean_policies.sql",
        "0038_drop_unused_contact_gin.sql",
        "0039_contact_index_writer.sql",
    ]

    /// The baseline: the final state of `squashedMigrations`, by area (SQL/migrations).
    public static let baselineMigrations: [String] = [
        "0001_baseline_roles_schemas.sql",
        "0002_baseline_tenants_staff.sql",
        "0003_baseline_customers.sql",
        "0004_baseline_products_orders.sql",
        "0005_baseline_contacts_cases_tasks.sql",
        "0006_baseline_campaigns_leads.sql",
        "0007_baseline_partners.sql",
        "0008_baseline_rollups.sql",
        "0009_baseline_unit_policies.sql",
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

    /// The migration files in name order. Refuses a name that does not start with its number
    /// (`NNNN_area.sql`) and two files with the same number: their order, and which of them a
    /// database holds, would be a matter of chance.
    func migrationFiles() throws -> [File] {
        let migrations = try files(in: "migrations")
        var byNumber: [String: String] = [:]
        for file in migrations {
            guard let number = file.name.split(separator: "_", maxSplits: 1).first.map(String.init),
                  !number.isEmpty, number.allSatisfy(\.isASCII), number.allSatisfy(\.isNumber), file.name.contains("_") else {
                throw CRMError(.internalError, "migration \(file.name) does not start with its number (NNNN_area.sql)")
            }
            if let other = byNumber[number] {
                throw CRMError(.internalError,
                               "two migrations are numbered \(number): \(other) and \(file.name); give the newer one the next free number")
            }
            byNumber[number] = file.name
        }
        return migrations
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
        let migrations = try migrationFiles()
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
        var report = Report()
        if try recordBaselineIfSquashed(conn, migrations, sums) {
            report.recordedBaseline = true
        }
        let applied = try verify(conn, migrations, sums)
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

    /// A database migrated with `squashedMigrations`: records `baselineMigrations` (with their
    /// checksums) in their place, in one transaction, and says so. Returns whether it did.
    func recordBaselineIfSquashed(_ conn: PQConnection, _ migrations: [File], _ sums: [String: String]) throws -> Bool {
        let recorded = try conn.query("select name from crm_meta.schema_migration").map { try $0.get("name", as: String.self) }
        guard try Self.holdsSquashedMigrations(Set(recorded)) else { return false }
        let onDisk = Set(migrations.map(\.name))
        let missing = Self.baselineMigrations.filter { !onDisk.contains($0) }
        guard missing.isEmpty else {
            throw CRMError(.internalError, "the baseline migrations \(missing.joined(separator: ", ")) are missing from \(directory.path)/migrations")
        }
        try conn.transaction { c in
            try c.query("delete from crm_meta.schema_migration where name = any(\(Self.squashedMigrations)::text[])")
            for name in Self.baselineMigrations {
                try c.query("insert into crm_meta.schema_migration (name, checksum) values (\(name), \(sums[name]))")
            }
        }
        logger.notice("this database was migrated with the migrations the baseline replaced; recorded the baseline as applied in their place",
                      metadata: ["replaced": "\(Self.squashedMigrations.count)", "baseline": "\(Self.baselineMigrations.joined(separator: ", "))"])
        return true
    }

    /// True when the recorded names hold every squashed migration, false when none; refuses a
    /// database that holds only some of them.
    static func holdsSquashedMigrations(_ recorded: Set<String>) throws -> Bool {
        let held = Self.squashedMigrations.filter { recorded.contains($0) }
        if held.isEmpty { return false }
        guard held.count == Self.squashedMigrations.count else {
            let missing = Self.squashedMigrations.filter { !recorded.contains($0) }
            throw CRMError(.internalError, """
                this database holds \(held.count) of the \(Self.squashedMigrations.count) migrations that the baseline replaced \
                (missing: \(missing.joined(separator: ", "))); finish migrating it with the previous release \
                (commit a0314ab or earlier, which still has those files), then run this one
                """)
        }
        return true
    }

    /// Checks that every applied migration is still on disk, unchanged. Returns name → checksum.
    @discardableResult
    public func verify(_ conn: PQConnection) throws -> [String: String] {
        let migrations = try migrationFiles()
        return try verify(conn, migrations, try Self.checksums(conn, migrations))
    }

    func verify(_ conn: PQConnection, _ migrations: [File], _ sums: [String: String]) throws -> [String: String] {
        let exists = try conn.query("select to_regclass('crm_meta.schema_migration') is not null as ok")
        guard try exists[0].get("ok", as: Bool.self) else { return [:] }
        var applied: [String: String] = [:]
        for row in try conn.query("select name, checksum from crm_meta.schema_migration") {
            applied[try row.get("name")] = try row.get("checksum")
        }
        if try Self.holdsSquashedMigrations(Set(applied.keys)) {
            throw CRMError(.internalError, "this database was migrated with the migrations the baseline replaced; run `crm migrate` to record the baseline in their place")
        }
        let onDisk = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
        for (name, sum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let file = onDisk[name] else {
                throw CRMError(.internalError, "migration \(name) was applied but is missing from \(directory.path)/migrations")
            }
            guard sums[file.name] == sum else {
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
