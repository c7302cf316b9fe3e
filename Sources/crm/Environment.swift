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

    /// An integer setting: `value` when unset; a value that is not a whole number of at least
    /// `min` stops the program with a message naming the variable (never a silent default).
    static func int(_ name: String, default value: Int, min: Int = 0) throws -> Int {
        try optionalInt(name, min: min) ?? value
    }

    static func optionalInt(_ name: String, min: Int = 0) throws -> Int? {
        guard let text = get(name) else { return nil }
        guard let v = Int(text.trimmingCharacters(in: .whitespaces)), v >= min else {
            throw CLIError("\(name) must be a whole number of at least \(min), got \"\(text)\"")
        }
        return v
    }

    static func double(_ name: String, default value: Double) throws -> Double {
        guard let text = get(name) else { return value }
        guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite, v > 0 else {
            throw CLIError("\(name) must be a positive number, got \"\(text)\"")
        }
        return v
    }

    /// A logger writing to stderr at `LOG_LEVEL` (default info); an unknown level stops the program.
    static func logger(_ label: String) throws -> Logger {
        let level: Logger.Level
        if let text = get("LOG_LEVEL") {
            guard let l = Logger.Level(rawValue: text.lowercased()) else {
                throw CLIError("LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
            }
            level = l
        } else {
            level = .info
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
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
