import ArgumentParser
import CRMCore
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bulk import a CSV file (with a header line) through COPY; bad rows are reported by line and skipped.",
        discussion: "Kinds: \(Importer.kinds.keys.sorted().joined(separator: ", ")). The report goes to stdout; progress to stderr.")

    @Argument(help: "What the file holds.") var kind: String
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The business unit's slug.") var tenant: String
    @Option(help: "The campaign the leads belong to (leads only).") var campaign: Int64?

    func run() throws {
        guard let k = Importer.kinds[kind] else {
            throw ValidationError("unknown kind \(kind); one of: \(Importer.kinds.keys.sorted().joined(separator: ", "))")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let started = Date()
        do {
            let report = try withDatabase { conn in
                try Importer(kind: k).run(conn, tenant: tenant, csv: Array(data), campaign: campaign) { n in
                    FileHandle.standardError.write(Data("\rstaged \(n) rows".utf8))
                }
            }
            FileHandle.standardError.write(Data("\n".utf8))
            for reject in report.rejects { print("line \(reject.line): \(reject.reason)") }
            let seconds = Date().timeIntervalSince(started)
            if report.linked > 0 { print("\(report.linked) rows matched an existing customer or lead and were linked to it") }
            print("imported \(report.imported) of \(report.rows) rows, rejected \(report.rejects.count), in \(String(format: "%.2f", seconds)) s (\(Int(Double(report.rows) / max(seconds, 0.001))) rows/s)")
        } catch {
            fail(error)
        }
    }
}
