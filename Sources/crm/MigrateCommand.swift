import ArgumentParser
import CRMCore
import Foundation

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply SQL/migrations once each (checksummed) and re-apply SQL/repeatable.")

    @Option(help: "Folder holding migrations/ and repeatable/ (default $CRM_SQL_DIR or ./SQL).")
    var sqlDir: String?

    func run() throws {
        let logger = try Env.logger("crm.migrate")
        let migrator = Migrator(directory: Env.sqlDirectory(sqlDir), logger: logger)
        do {
            let report = try withDatabase { try migrator.migrate($0) }
            print("applied \(report.applied.count) migration(s)\(report.applied.isEmpty ? "" : ": " + report.applied.joined(separator: ", ")); refreshed \(report.repeatable.count) repeatable file(s)")
        } catch {
            fail(error)
        }
    }
}
