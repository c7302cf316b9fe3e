import ArgumentParser
import CRMProtocol
import Foundation
import NIOCore

/// `crm-bench json`: how fast the server's own JSON parser and writer are, on requests shaped like
/// a client's (nested params, escapes, non-ASCII). A figure for BENCHMARKS.md, not a test.
struct JSONSpeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "json", abstract: "Parse and write request lines with the server's JSON code; print MiB/s and lines/s.")

    @Option(help: "Times each of the 2,000 lines is parsed and written.") var rounds = 200

    func run() throws {
        var lines: [[UInt8]] = []
        for n in 0..<2_000 {
            lines.append(Array(#"{"jsonrpc":"2.0","id":\#(n),"method":"contacts.update","params":{"id":"\#(n)","name":"Zoë Ångström \#(n)","email":"zoe\#(n)@example.com","tags":["a","b","vip"],"amount":"1234.50","score":98.25,"active":true,"notes":"line\none \"quoted\" \u00e9","address":{"street":"Hauptstraße 1","city":"Zürich","zip":null}}}"#.utf8))
        }
        let bytes = lines.reduce(0) { $0 + $1.count } * rounds
        let clock = ContinuousClock()
        var members = 0
        let parsing = try clock.measure {
            for _ in 0..<rounds {
                for line in lines {
                    if case .object(let o) = try JSONParser.parse(line) { members &+= o.count }
                }
            }
        }
        guard members == lines.count * rounds * 4 else { throw ValidationError("the parser lost members") }
        let values = try lines.map { line throws(JSONParseError) in try JSONParser.parse(line) }
        var buffer = ByteBufferAllocator().buffer(capacity: 4096)
        var written = 0
        let writing = clock.measure {
            for _ in 0..<rounds {
                for value in values {
                    buffer.clear()
                    value.write(into: &buffer)
                    written &+= buffer.readableBytes
                }
            }
        }
        let mib = Double(bytes) / 1_048_576
        print(String(format: "json parse: %d lines, %.1f MiB/s, %.0f lines/s; write: %.1f MiB/s",
                     lines.count * rounds, mib / parsing.seconds, Double(lines.count * rounds) / parsing.seconds,
                     Double(written) / 1_048_576 / writing.seconds))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
