import ArgumentParser
import CRMProtocol
import Foundation

/// `crm-bench reports`: how long the first page of every `reports.*` method takes through the
/// server. The methods come from the server's own `rpc.discover`, so a new report is measured
/// without touching the script; each one that needs no param is called `--rounds` times in a
/// row on one connection, and the median is printed (target: 300 ms at 1M customers).
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
        for method in methods {
            guard let name = method["name"]?.stringValue, name.hasPrefix("reports.") else { continue }
            let required = (method["params"]?.arrayValue ?? []).contains { $0["required"]?.boolValue == true }
            if required {
                print("\(name): skipped (needs params)")
                continue
            }
            var times: [Duration] = []
            var failure: String?
            for _ in 0..<rounds {
                var answer: JSON = .null
                times.append(try clock.measure { answer = try call(name) })
                if let error = answer["error"] { failure = error["message"]?.stringValue ?? error.serialized }
            }
            let median = times.sorted()[times.count / 2]
            let ms = Double(median.components.seconds) * 1000 + Double(median.components.attoseconds) / 1e15
            print("\(name): \(String(format: "%.1f", ms)) ms" + (failure.map { " (error: \($0))" } ?? ""))
        }
    }
}
