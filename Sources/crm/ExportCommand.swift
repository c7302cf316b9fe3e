import ArgumentParser
import CRMCore
import Foundation
import PQ

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Streams a unit's customers, orders, interactions or a report view to stdout through COPY.",
        discussion: """
            What a unit exports is exactly what its own role may read (row-level security as the unit's user, in a \
            read-only transaction). Any size: rows go out as PostgreSQL sends them. \
            `crm export report customer_profit_monthly --tenant SLUG` exports a view of schema report.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, jsonl }

    @Argument(help: "customers, orders (a row per order line), interactions, or report.") var kind: String
    @Argument(help: "The report view, for `report`.") var view: String?
    @Option(help: "The business unit's slug.") var tenant: String
    @Option(help: "csv (with a header) or jsonl (one JSON object a line).") var format: Format = .csv
    @Option(help: "Only rows made, ordered or that happened since this date (YYYY-MM-DD) or time (RFC 3339).") var since: String?

    /// The statement for each kind: fixed text; the unit and the date are settings, not SQL.
    static let queries: [String: String] = [
        "customers": "select * from crm.export_customers(nullif(current_setting('crm.export_since'), '')::timestamptz)",
        "orders": "select * from crm.export_orders(nullif(current_setting('crm.export_since'), '')::timestamptz)",
        "interactions": "select * from crm.export_interactions(nullif(current_setting('crm.export_since'), '')::timestamptz)",
    ]

    func validate() throws {
        guard kind == "report" || Self.queries[kind] != nil else {
            throw ValidationError("unknown kind \(kind); one of: customers, orders, interactions, report VIEW")
        }
        if kind == "report" {
            guard view != nil else { throw ValidationError("name the report view: crm export report VIEW --tenant SLUG") }
            guard since == nil else { throw ValidationError("--since applies to customers, orders and interactions") }
        } else if view != nil {
            throw ValidationError("only `report` takes a view name")
        }
    }

    func run() throws {
        let out = FileHandle.standardOutput
        do {
            try withDatabase { conn in
                try conn.execute(unsafeSQL: "BEGIN READ ONLY")
                defer { try? conn.execute(unsafeSQL: "ROLLBACK") }
                try conn.query("""
                    select set_config('role', 'crm_unit', true), set_config('crm.tenant', \(tenant), true),
                           set_config('crm.export_since', \(since ?? ""), true)
                    """)
                guard try conn.query("select crm.current_tenant() is not null as ok")[0].get("ok", as: Bool.self) else {
                    throw CLIError("no business unit with slug \(tenant)")
                }
                let select: String
                if let view {
                    // The view's name as the catalog spells it (quoted there), never the argument itself.
                    let found = try conn.query("select format('%I.%I', schemaname, viewname) as q from pg_views where schemaname = 'report' and viewname = \(view)")
                    guard let row = found.first else {
                        let views = try conn.query("select string_agg(viewname, ', ' order by viewname) as v from pg_views where schemaname = 'report'")
                        throw CLIError("no report view \(view); one of: \(try views[0].optional("v") ?? "")")
                    }
                    select = "select * from \(try row.get("q", as: String.self))"
                } else {
                    select = Self.queries[kind]!
                }
                // JSON lines through CSV mode with a quote and delimiter JSON text never holds raw:
                // COPY's text mode would double every backslash.
                let statement = format == .csv
                    ? "copy (\(select)) to stdout with (format csv, header)"
                    : "copy (select row_to_json(r)::text from (\(select)) r) to stdout with (format csv, quote e'\\x01', delimiter e'\\x02')"
                var buffer = Data()
                try conn.copyOut(PQQuery(unsafeSQL: statement)) { row in
                    buffer.append(contentsOf: row)
                    if buffer.count >= 1 << 16 {
                        out.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                out.write(buffer)
            }
        } catch {
            fail(error)
        }
    }
}
