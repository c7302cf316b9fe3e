import ArgumentParser
import CRMCore
import Foundation
import Glibc

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bulk import a CSV file (with a header line) through COPY; bad rows are reported by line and skipped.",
        discussion: """
            Kinds: \(Importer.kinds.keys.sorted().joined(separator: ", ")). The file is streamed in chunks (any size, constant \
            memory). Progress goes to stderr when it is a terminal; the summary and the first rejects to stdout. A row with \
            invalid UTF-8, a NUL byte, a field over \(CSVReader.defaultMaxFieldBytes) bytes or the wrong number of fields is \
            a reject of its own, like a row the unit's rules refuse. Importing the same file again adds nothing twice.
            """)

    @Argument(help: "What the file holds.") var kind: String
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The business unit's slug.") var tenant: String
    @Option(help: "The campaign the leads belong to (leads only).") var campaign: Int64?
    @Option(help: "Write every rejected row to this CSV file: line, reason, then the row's fields.") var rejects: String?
    @Flag(help: "Check every row and report, but keep nothing.") var dryRun = false

    /// Rejects printed on stdout; the rest only in --rejects.
    static let printedRejects = 100

    func run() throws {
        guard let k = Importer.kinds[kind] else {
            throw ValidationError("unknown kind \(kind); one of: \(Importer.kinds.keys.sorted().joined(separator: ", "))")
        }
        guard let input = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
        defer { try? input.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
        var reader = CSVReader { try input.read(upToCount: 1 << 20).map(Array.init) }
        let rejectsFile = try rejects.map { path -> FileHandle in
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw ValidationError("cannot write \(path)")
            }
            h.write(Data(CSVWriter.line(["line", "reason"] + k.columns).utf8))
            return h
        }
        defer { try? rejectsFile?.close() }

        let started = Date()
        let onTerminal = isatty(STDERR_FILENO) == 1
        var printed = 0
        do {
            let report = try withDatabase { conn in
                try Importer(kind: k).run(conn, tenant: tenant, reader: &reader, campaign: campaign, dryRun: dryRun,
                    progress: { p in
                        guard onTerminal else { return }
                        let seconds = max(Date().timeIntervalSince(started), 0.001)
                        let share = size.map { $0 > 0 ? String(format: ", %.0f%%", 100 * Double(p.bytes) / Double($0)) : "" } ?? ""
                        FileHandle.standardError.write(Data("\r\(p.rows) rows, \(Int(Double(p.rows) / seconds)) rows/s\(share)   ".utf8))
                    },
                    onReject: { reject, values in
                        if printed < Self.printedRejects {
                            print("line \(reject.line): \(reject.reason)")
                            printed += 1
                        }
                        rejectsFile?.write(Data(CSVWriter.line([String(reject.line), reject.reason] + k.columns.map { values[$0] }).utf8))
                    })
            }
            if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
            if report.rejected > printed {
                print("... and \(report.rejected - printed) more rejects\(rejects == nil ? " (--rejects FILE writes them all)" : "")")
            }
            let seconds = Date().timeIntervalSince(started)
            if report.linked > 0 { print("\(report.linked) rows matched an existing customer or lead and were linked to it") }
            let verb = dryRun ? "would import" : "imported"
            print("\(verb) \(report.imported) of \(report.rows) rows, rejected \(report.rejected), in \(String(format: "%.2f", seconds)) s "
                  + "(\(Int(Double(report.rows) / max(seconds, 0.001))) rows/s)\(dryRun ? "; dry run: nothing was kept" : "")")
        } catch {
            fail(error)
        }
    }
}
