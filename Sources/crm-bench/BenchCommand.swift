import ArgumentParser
import Foundation

/// The load generator of `Scripts/bench`: many connections to a running server, each keeping
/// several requests in flight, latencies into an HDR histogram. `idle` holds connections open
/// for the memory measurement; `unread` holds connections that send and never read.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-bench",
        abstract: "Load generator for the CRM server.",
        subcommands: [LoadCommand.self, IdleCommand.self, UnreadCommand.self])
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
    @Option(help: "First customer id of the seeded unit.") var firstCustomerID = 1
    @Option(help: "Product ids to order, as FIRST-LAST.") var products = "1-200"
    @Option(help: "A label for the output line.") var label: String?

    func run() throws {
        let parts = products.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] <= parts[1] else { throw ValidationError("--products is FIRST-LAST") }
        let scenario = Scenario(kind: scenario, customers: customers, firstCustomerID: firstCustomerID, products: parts[0]...parts[1])
        let result = try LoadRunner(host: host, port: port, key: key, scenario: scenario, connections: connections,
                                    pipeline: pipeline, seconds: seconds).run()
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
