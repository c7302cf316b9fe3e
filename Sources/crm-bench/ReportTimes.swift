import ArgumentParser
import CRMProtocol
import Foundation

/// `crm-bench reports`: how long the first page of every `reports.*` method takes through the
/// server. The methods come from the server's own `rpc.discover`, so a new report is measured
/// without touching the script; each one is called `--rounds` times in a row on one connection
/// (with the params below when it needs some: last year, last month, yesterday), and the median
/// is printed (target: 300 ms at 1M customers). The `refresh_*` methods are jobs, not reports.
struct ReportTimesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reports", abstract: "Time the first page of every reports.* method that needs no param.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16
    @Option(help: "API key to log in with.") var key: String
    @Option(help: "Calls of each method (the median is printed).") var rounds = 3

    func run() throws {
        let connection = try Connection(host: host, port: port, timeoutSeconds: 120)
        var nextID = 0
        func call(_ method: String, _ params: JSON = .object([:])) throws -> JSON {
            nextID += 1
            let request: JSON = ["jsonrpc": "2.0", "id": .number(nextID), "method": .string(method), "params": params]
            try connection.send(request.serialized + "\n")
            guard let line = try connection.readLine() else { throw BenchError("the server closed the connection") }
            return try JSONParser.parse(line)
        }
        if let error = try call("auth.login", ["key": .string(key)])["error"] { throw BenchError("login failed: \(error.serialized)") }
        guard let methods = try call("rpc.discover")["result"]?["methods"]?.arrayValue else { throw BenchError("rpc.discover gave no methods") }
        let clock = ContinuousClock()
        let params = Self.typicalParams(now: Date())
        for method in methods {
            guard let name = method["name"]?.stringValue, name.hasPrefix("reports."), !name.hasPrefix("reports.refresh_") else { continue }
            let required = (method["params"]?.arrayValue ?? []).contains { $0["required"]?.boolValue == true }
            if required && params[name] == nil {
                print("\(name): skipped (needs params)")
                continue
            }
            var times: [Duration] = []
            var failure: String?
            for _ in 0..<rounds {
                var answer: JSON = .null
                times.append(try clock.measure { answer = try call(name, params[name] ?? .object([:])) })
                if let error = answer["error"] { failure = error["message"]?.stringValue ?? error.serialized }
            }
            let median = times.sorted()[times.count / 2]
            let ms = Double(median.components.seconds) * 1000 + Double(median.components.attoseconds) / 1e15
            print("\(name): \(String(format: "%.1f", ms)) ms" + (failure.map { " (error: \($0))" } ?? ""))
        }
    }

    /// Params a user would send to the reports that need some (UTC calendar).
    static func typicalParams(now: Date) -> [String: JSON] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let today = calendar.dateComponents([.year, .month, .day], from: now)
        let lastMonth = calendar.dateComponents([.year, .month], from: calendar.date(byAdding: .month, value: -1, to: now)!)
        let yesterday = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: .day, value: -1, to: now)!)
        let lastYear = today.year! - 1
        return [
            "reports.customer_profit": ["granularity": "year", "period": .string(String(lastYear))],
            "reports.customer_tiers": ["year": .number(lastYear)],
            "reports.staff_commission": ["month": .string(String(format: "%04d-%02d", lastMonth.year!, lastMonth.month!))],
            "reports.call_centre_daily": ["day": .string(String(format: "%04d-%02d-%02d", yesterday.year!, yesterday.month!, yesterday.day!))],
        ]
    }
}
