import Foundation
public import PQ

/// Bulk import: a CSV file is read in chunks, streamed through COPY into a temporary staging
/// table (its line number and one text column per column of the kind), and one set-based SQL
/// function per kind checks every staged row, inserts the good ones and marks the rejects.
/// Nothing good is lost because of a bad row; the whole import is one transaction under the
/// unit's unprivileged role, so row-level security applies. Memory stays constant whatever the
/// file's size: rows go to PostgreSQL as they are read, and rejects come back through a cursor.
public struct Importer: Sendable {
    public struct Kind: Sendable {
        public let name: String
        /// Header names the file may use; the first are required.
        public let columns: [String]
        public let required: [String]
        /// The SQL function that consumes `pg_temp.import_stage`, marks rejects in its `reason`
        /// (and rows linked to an existing record in `linked`) and returns the rejects.
        let function: String
        /// Whether the function takes a campaign id (leads).
        public var needsCampaign = false
    }

    public struct Reject: Sendable, Equatable {
        public let line: Int
        public let reason: String
    }

    public struct Report: Sendable {
        public var rows = 0
        public var imported = 0
        /// Good rows that matched an existing record and were linked to it (leads).
        public var linked = 0
        public var rejected = 0
        /// The first `Importer.keptRejects` rejects, by line (all of them go to `onReject`).
        public var rejects: [Reject] = []
    }

    public struct Progress: Sendable {
        public let rows: Int
        public let bytes: Int
    }

    public static let kinds: [String: Kind] = [
        "customers": Kind(
            name: "customers",
            columns: ["name", "email", "phone", "company", "branch", "segment", "street", "city", "postcode", "country", "lifecycle_stage"],
            required: ["name"],
            function: "crm.import_customers"),
        "products": Kind(
            name: "products",
            columns: ["sku", "name", "list_price", "unit_cost", "description", "product_group", "active", "surplus", "warranty_months"],
            required: ["sku", "name", "list_price", "unit_cost"],
            function: "crm.import_products"),
        "orders": Kind(
            name: "orders",
            columns: ["order_ref", "ordered_at", "sku", "quantity", "customer_email", "customer_phone", "status", "unit_price", "unit_cost"],
            required: ["order_ref", "ordered_at", "sku", "quantity"],
            function: "crm.import_orders"),
        "leads": Kind(
            name: "leads",
            columns: ["name", "email", "phone", "company", "region", "score", "source"],
            required: ["name"],
            function: "crm.import_leads", needsCampaign: true),
    ]

    /// Rejects kept in the report; every one is passed to `onReject`.
    public static let keptRejects = 1_000

    public let kind: Kind

    public init(kind: Kind) { self.kind = kind }

    /// Imports the CSV `reader` reads for the unit `tenant` (its slug), as that unit, in one
    /// transaction; with `dryRun` everything is checked and nothing kept.
    public func run(_ conn: PQConnection, tenant: String, reader: inout CSVReader, campaign: Int64? = nil, dryRun: Bool = false,
                    progress: (Progress) -> Void = { _ in }, onReject: (Reject, [String: String]) -> Void = { _, _ in }) throws -> Report {
        try conn.execute(unsafeSQL: "BEGIN")
        do {
            // Notices (a temporary table that did not exist yet) are not news for the person importing.
            try conn.query("select set_config('role', 'crm_unit', true), set_config('crm.tenant', \(tenant), true), set_config('client_min_messages', 'warning', true)")
            let known = try conn.query("select crm.current_tenant() is not null as ok")[0].get("ok", as: Bool.self)
            guard known else { throw ImportError("no business unit with slug \(tenant)") }
            let report = try load(conn, reader: &reader, campaign: campaign, progress: progress, onReject: onReject)
            try conn.execute(unsafeSQL: dryRun ? "ROLLBACK" : "COMMIT")
            return report
        } catch {
            if conn.isHealthy && conn.inTransaction { try? conn.execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
    }

    /// Imports `csv` for `tenant` (a file already in memory; tests and small lists).
    public func run(_ conn: PQConnection, tenant: String, csv: [UInt8], campaign: Int64? = nil) throws -> Report {
        var reader = CSVReader(csv)
        return try run(conn, tenant: tenant, reader: &reader, campaign: campaign)
    }

    /// Imports `csv` on a connection already in a transaction under the unit's role (a request).
    public func load(_ c: PQConnection, csv: [UInt8], campaign: Int64? = nil) throws -> Report {
        var reader = CSVReader(csv)
        return try load(c, reader: &reader, campaign: campaign)
    }

    /// Stages, checks and inserts, in the caller's transaction and role.
    public func load(_ c: PQConnection, reader: inout CSVReader, campaign: Int64? = nil, progress: (Progress) -> Void = { _ in },
                     onReject: (Reject, [String: String]) -> Void = { _, _ in }) throws -> Report {
        if kind.needsCampaign && campaign == nil { throw ImportError("\(kind.name) are imported into a campaign: give its id") }
        guard let header = reader.next() else {
            if let problem = reader.problem { throw ImportError(problem.description) }
            throw ImportError("the file is empty")
        }
        if let flaw = header.flaw { throw ImportError("the header \(flaw)") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let unknown = names.first(where: { !kind.columns.contains($0) }) {
            throw ImportError("unknown column \"\(unknown)\"; \(kind.name) files may have: \(kind.columns.joined(separator: ", "))")
        }
        if let missing = kind.required.first(where: { !names.contains($0) }) {
            throw ImportError("the header lacks the required column \"\(missing)\"")
        }
        if let twice = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw ImportError("the header names \"\(twice)\" twice")
        }

        // Column names come from the kind's fixed list (checked above), never from the file as such.
        let columns = kind.columns.map { "\"\($0)\" text" }.joined(separator: ", ")
        try c.execute(unsafeSQL: """
            create temp table import_stage (line int primary key, \(columns), reason text,
                                            linked boolean not null default false, flaw text) on commit drop
            """)
        let copyColumns = (["line"] + names.map { "\"\($0)\"" } + ["flaw"]).joined(separator: ", ")

        var report = Report()
        var source = reader  // the rows below read from it; handed back when COPY is done
        defer { reader = source }
        try withoutActuallyEscaping(progress) { progress in
            let rows = AnySequence { () -> AnyIterator<[String?]> in
                AnyIterator {
                    guard let record = source.next() else { return nil }
                    report.rows += 1
                    if report.rows % 10_000 == 0 { progress(Progress(rows: report.rows, bytes: source.bytesRead)) }
                    // A row that cannot be imported as it is keeps its line and reason; it never
                    // reaches the kind's function (see below).
                    // Its fields are not sent: they may hold what no text column can (a NUL).
                    let fits = record.fields.count == names.count
                    let flaw = record.flaw ?? (fits ? nil : "has \(record.fields.count) fields, the header has \(names.count)")
                    let values: [String?] = flaw == nil ? record.fields.map { $0.isEmpty ? nil : $0 } : Array(repeating: nil, count: names.count)
                    return [String(record.line)] + values + [flaw]
                }
            }
            try c.copyIn("copy import_stage (\(unsafeSQL: copyColumns)) from stdin", rows: rows)
        }
        if let problem = source.problem { throw ImportError(problem.description) }
        progress(Progress(rows: report.rows, bytes: source.bytesRead))

        try c.execute(unsafeSQL: """
            create temp table import_flawed on commit drop as select * from pg_temp.import_stage where flaw is not null;
            delete from pg_temp.import_stage where flaw is not null;
            analyze pg_temp.import_stage
            """)
        let call: PQQuery = kind.needsCampaign
            ? "select count(*)::int as n from \(unsafeSQL: kind.function)(\(campaign))"
            : "select count(*)::int as n from \(unsafeSQL: kind.function)()"
        _ = try c.query(call)
        report.linked = try c.query("select count(*)::int as n from pg_temp.import_stage where linked and reason is null")[0].get("n")

        // Every reject, by line, through a cursor: constant memory however many there are.
        let fields = kind.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        try c.execute(unsafeSQL: """
            declare import_rejects no scroll cursor for
            select line, coalesce(flaw, reason) as why, \(fields)
              from (select * from pg_temp.import_stage where reason is not null
                    union all select * from pg_temp.import_flawed) r
             order by line
            """)
        while true {
            let batch = try c.query("fetch 10000 from import_rejects")
            if batch.isEmpty { break }
            for row in batch {
                let reject = Reject(line: try row.get("line"), reason: try row.get("why"))
                var values: [String: String] = [:]
                for name in kind.columns { if let v: String = try row.optional(name) { values[name] = v } }
                report.rejected += 1
                if report.rejects.count < Self.keptRejects { report.rejects.append(reject) }
                onReject(reject, values)
            }
        }
        try c.execute(unsafeSQL: "close import_rejects; drop table pg_temp.import_stage; drop table pg_temp.import_flawed")
        report.imported = report.rows - report.rejected
        return report
    }
}

public struct ImportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
