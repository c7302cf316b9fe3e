import ArgumentParser
import Foundation

/// The load generator of `Scripts/bench`: many connections to a running server, each keeping
/// several requests in flight, latencies into an HDR histogram. `idle` holds connections open
/// for the memory measurement; `unread` holds connections that send and never read; `events`
/// measures the fan-out of live events.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-bench",
        abstract: "Load generator for the CRM server.",
        subcommands: [LoadCommand.self, IdleCommand.self, UnreadCommand.self, JSONSpeedCommand.self, EventsCommand.self, ReportTimesCommand.self])
}

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Run one scenario and print its throughput and latency.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16
    @Option(help: "API key to log in with.") var key: String
    @Option(help: "Scenario: \(Scenario.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var scenario: Scenario.Kind
    @Option(help: "Connections.") var connections = 32
    @Option(help: "Requests in flight per connection.") var pipeline = 4
    @Option(help: "Seconds to measure (after one second of warm-up).") var seconds = 10.0
    @Option(help: "Customers in the unit: ids and phone numbers are drawn from 1...N as `crm seed` numbers them.") var customers = 100_000
    @Option(help: "A file of the unit's customer ids, one a line (get, log, order).") var customerIds: String?
    @Option(help: "A file of product ids to order, one a line.") var productIds: String?
    @Option(help: "A label for the output line.") var label: String?
    @Option(help: "Threads driving the connections (like pgbench -j).") var threads = 2

    func run() throws {
        func ids(_ path: String?) throws -> [Int64] {
            guard let path else { return [] }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
            return text.split(separator: "\n").compactMap { Int64($0) }
        }
        let scenario = Scenario(kind: scenario, customers: customers, customerIDs: try ids(customerIds), productIDs: try ids(productIds))
        if [.get, .log, .order].contains(scenario.kind) && scenario.customerIDs.isEmpty {
            throw ValidationError("\(scenario.kind.rawValue) needs --customer-ids")
        }
        if scenario.kind == .order && scenario.productIDs.isEmpty { throw ValidationError("order needs --product-ids") }
        let result = try LoadRunner(host: host, port: port, key: key, scenario: scenario, connections: connections,
                                    pipeline: pipeline, seconds: seconds, threads: threads).run()
        print(result.line(label: label ?? scenario.kind.rawValue))
    }
}

struct IdleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "idle", abstract: "Open N connections, hold them idle, then close them.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16
    @Option(help: "Connections to open.") var connections = 10_000
    @Option(help: "Seconds to hold them once all are open.") var hold = 10.0
    @Option(help: "A file to create once all connections are open (for the script that measures).") var readyFile: String?

    func run() throws {
        try IdleConnections(host: host, port: port, count: connections).hold(seconds: hold, readyFile: readyFile)
    }
}

struct UnreadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unread", abstract: "Open N connections that send requests until the server stops reading, and never read an answer.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16
    @Option(help: "Connections to open.") var connections = 200
    @Option(help: "The method to send (a large answer fills buffers sooner).") var method = "rpc.discover"
    @Option(help: "Seconds to hold them once the server has stopped reading.") var hold = 10.0
    @Option(help: "A file to create once the server has stopped reading all of them.") var readyFile: String?

    func run() throws {
        try UnreadClients(host: host, port: port, count: connections, method: method).hold(seconds: hold, readyFile: readyFile)
    }
}
