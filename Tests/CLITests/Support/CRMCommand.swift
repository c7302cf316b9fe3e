import CRMTestSupport
import Foundation
import PQ

/// Runs the `crm` executable as a user would, against a test database.
enum CRMCommand {
    /// `CRM_BIN` (Scripts/test sets it), else the debug build's.
    static var path: String {
        if let bin = ProcessInfo.processInfo.environment["CRM_BIN"], !bin.isEmpty { return bin }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug/crm").path
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `crm ARGS` with DATABASE_URL naming `db` and `environment` added.
    static func run(_ args: [String], db: TestDatabase, environment: [String: String] = [:]) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = db.url
        env.merge(environment) { $1 }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both before waiting: a full pipe would block the child. stderr is read on
        // another thread so neither pipe can fill while the other is drained.
        let errData = ErrBox()
        let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while errData.data == nil { usleep(1_000) }
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                       stderr: String(decoding: errData.data ?? Data(), as: UTF8.self))
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID()).csv").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// The `n` column of a one-row query, as the superuser.
    static func count(_ db: TestDatabase, _ sql: String) throws -> Int {
        try db.connect().query(PQQuery(unsafeSQL: sql))[0].get("n", as: Int.self)
    }
}

private final class ErrBox: @unchecked Sendable {
    var data: Data?
}
