import ArgumentParser
import CRMCore
import Foundation
import Logging
import PQ

/// Reads configuration from the environment, with clear errors for what is missing.
enum Env {
    static func get(_ name: String) -> String? {
        guard let v = ProcessInfo.processInfo.environment[name], !v.isEmpty else { return nil }
        return v
    }

    static func databaseURL() throws -> String {
        guard let url = get("DATABASE_URL") else {
            throw ValidationError("DATABASE_URL is not set (Scripts/run sets it for its embedded PostgreSQL)")
        }
        return url
    }

    static func sqlDirectory(_ flag: String?) -> URL {
        URL(fileURLWithPath: flag ?? get("CRM_SQL_DIR") ?? "SQL")
    }

    static func int(_ name: String, default value: Int) -> Int {
        get(name).flatMap(Int.init) ?? value
    }

    static func double(_ name: String, default value: Double) -> Double {
        get(name).flatMap(Double.init) ?? value
    }

    /// A logger writing to stderr at `LOG_LEVEL` (default info).
    static func logger(_ label: String) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = get("LOG_LEVEL").flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
            return handler
        }
        return Logger(label: label)
    }
}

/// Opens one connection (blocking), runs `body`, closes it. For short CLI work.
@discardableResult
func withDatabase<T>(_ body: (PQConnection) throws -> T) throws -> T {
    let conn: PQConnection
    do {
        conn = try PQConnection.connect(url: try Env.databaseURL(), applicationName: "crm-cli")
    } catch let error as PQError {
        throw CLIError("cannot connect to the database: \(error.message)")
    }
    return try body(conn)
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Prints an error the way a person wants to read it and exits non-zero.
func fail(_ error: any Error) -> Never {
    let text: String
    switch error {
    case let e as PQError: text = e.code == .server ? "\(e.message)\(e.detail.map { " (\($0))" } ?? "")" : e.description
    case let e as CRMError: text = e.message
    default: text = "\(error)"
    }
    FileHandle.standardError.write(Data("crm: \(text)\n".utf8))
    exit(1)
}
