public import Foundation
public import PQ

/// Bulk import: a CSV file is parsed here, streamed into a temporary staging table through COPY
/// (one row per record: its line number and the record as JSON keyed by the header), and then one
/// SQL function per kind checks every staged row, inserts the good ones and returns the rejects.
/// Nothing good is lost because of a bad row; the whole import is one transaction under the
/// unit's unprivileged role, so row-level security applies.
public struct Importer: Sendable {
    public struct Kind: Sendable {
        public let name: String
        /// Header names the file may use; the first are required.
        public let columns: [String]
        public let required: [String]
        /// The SQL function that consumes `pg_temp.import_stage` and returns (line, reason) rejects.
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
        public var rejects: [Reject] = []
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

    public let kind: Kind

    public init(kind: Kind) { self.kind = kind }

    /// Imports `csv` for the unit `tenant` (its slug), as that unit, in one transaction.
    /// `progress` is called with rows staged so far.
    public func run(_ conn: PQConnection, tenant: String, csv: [UInt8], campaign: Int64? = nil,
                    progress: @escaping (Int) -> Void = { _ in }) throws -> Report {
        try conn.transaction { c in
            try c.query("select set_config('role', 'crm_unit', true), set_config('crm.tenant', \(tenant), true)")
            let known = try c.query("select crm.current_tenant() is not null as ok")[0].get("ok", as: Bool.self)
            guard known else { throw ImportError("no business unit with slug \(tenant)") }
            return try load(c, csv: csv, campaign: campaign, progress: progress)
        }
    }

    /// Imports `csv` on a connection already in a transaction under the unit's role (a request).
    public func load(_ c: PQConnection, csv: [UInt8], campaign: Int64? = nil, progress: @escaping (Int) -> Void = { _ in }) throws -> Report {
        if kind.needsCampaign && campaign == nil { throw ImportError("\(kind.name) are imported into a campaign: give its id") }
        var reader = CSVReader(csv)
        guard let header = reader.next() else { throw ImportError("the file is empty") }
        if let flaw = header.flaw { throw ImportError("the header \(flaw)") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if let unknown = names.first(where: { !kind.columns.contains($0) }) {
            throw ImportError("unknown column \"\(unknown)\"; \(kind.name) files may have: \(kind.columns.joined(separator: ", "))")
        }
        if let missing = kind.required.first(where: { !names.contains($0) }) {
            throw ImportError("the header lacks the required column \"\(missing)\"")
        }

        var report = Report()
        var structural: [Reject] = []
        try c.execute(unsafeSQL: "create temp table import_stage (line int primary key, data jsonb not null, reason text) on commit drop")
        let rows = AnySequence { () -> AnyIterator<[String?]> in
            AnyIterator {
                while let record = reader.next() {
                    report.rows += 1
                    if report.rows % 10_000 == 0 { progress(report.rows) }
                    if let flaw = record.flaw {
                        structural.append(Reject(line: record.line, reason: flaw))
                        continue
                    }
                    guard record.fields.count == names.count else {
                        structural.append(Reject(line: record.line, reason: "has \(record.fields.count) fields, the header has \(names.count)"))
                        continue
                    }
                    var object: [String: String] = [:]
                    for (n, v) in zip(names, record.fields) where !v.isEmpty { object[n] = v }
                    let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                    return [String(record.line), json]
                }
                return nil
            }
        }
        try c.copyIn("copy import_stage (line, data) from stdin", rows: rows)
        if let problem = reader.problem { throw ImportError(problem.description) }
        progress(report.rows)
        let call: PQQuery = kind.needsCampaign
            ? "select line, reason from \(unsafeSQL: kind.function)(\(campaign)) order by line"
            : "select line, reason from \(unsafeSQL: kind.function)() order by line"
        for row in try c.query(call) {
            report.rejects.append(Reject(line: try row.get("line"), reason: try row.get("reason")))
        }
        report.linked = try c.query("select count(*)::int as n from pg_temp.import_stage where reason is null and data ? 'linked'")[0].get("n")
        try c.execute(unsafeSQL: "drop table pg_temp.import_stage")
        report.rejects = (report.rejects + structural).sorted { $0.line < $1.line }
        report.imported = report.rows - report.rejects.count
        return report
    }
}

public struct ImportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
