import Foundation
import Histogram
import Synchronization

/// Runs a scenario: each connection logs in, then keeps `pipeline` requests in flight until the
/// time is up; every answer's latency (send to answer, microseconds) goes into a histogram.
/// The first second is warm-up and not counted.
struct LoadRunner {
    let host: String
    let port: UInt16
    let key: String
    let scenario: Scenario
    let connections: Int
    let pipeline: Int
    let seconds: Double

    struct Result {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var requests = 0
        var errors = 0
        var seconds = 0.0
        var failures: [String] = []

        func line(label: String) -> String {
            func ms(_ p: Double) -> String { String(format: "%.2f", Double(histogram.valueAtPercentile(p)) / 1000) }
            let rate = Double(requests) / max(seconds, 0.001)
            var text = "\(label): \(requests) requests in \(String(format: "%.1f", seconds)) s = \(String(format: "%.0f", rate)) req/s; "
                + "latency ms p50 \(ms(50)) p90 \(ms(90)) p99 \(ms(99)) max \(String(format: "%.2f", Double(histogram.max) / 1000)); errors \(errors)"
            if let first = failures.first { text += " (first: \(first))" }
            return text
        }
    }

    func run() throws -> Result {
        let results = Mutex<[Result]>([])
        let warmUpEnds = Date().addingTimeInterval(1)
        let ends = warmUpEnds.addingTimeInterval(seconds)
        let group = DispatchGroup()
        for index in 0..<connections {
            group.enter()
            let thread = Thread { [self] in
                let r = self.drive(index: index, warmUpEnds: warmUpEnds, ends: ends)
                results.withLock { $0.append(r) }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        var total = Result()
        total.seconds = seconds
        for r in results.withLock({ $0 }) {
            total.histogram.add(r.histogram)
            total.requests += r.requests
            total.errors += r.errors
            total.failures += r.failures
        }
        return total
    }

    private func drive(index: Int, warmUpEnds: Date, ends: Date) -> Result {
        var result = Result()
        var random = SplitMix(state: UInt64(index) &* 7919 &+ 17)
        do {
            let conn = try Connection(host: host, port: port)
            try conn.send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"auth.login\",\"params\":{\"key\":\"\(key)\"}}\n")
            guard let login = try conn.readLine(), responseID(login)?.isError == false else {
                throw BenchError("login failed")
            }
            var sentAt: [Int: UInt64] = [:]
            var next = 1
            func sendOne() throws {
                sentAt[next] = DispatchTime.now().uptimeNanoseconds
                try conn.send(scenario.request(id: next, random: &random))
                next += 1
            }
            for _ in 0..<pipeline { try sendOne() }
            while !sentAt.isEmpty {
                guard let line = try conn.readLine() else { throw BenchError("the server closed the connection") }
                guard let (id, isError) = responseID(line), let started = sentAt.removeValue(forKey: id) else { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                let clock = Date()
                if clock >= warmUpEnds && clock < ends {
                    result.histogram.record((now - started) / 1000)
                    result.requests += 1
                    if isError {
                        result.errors += 1
                        if result.failures.isEmpty { result.failures.append(String(decoding: line.prefix(200), as: UTF8.self)) }
                    }
                }
                if clock < ends { try sendOne() }
            }
        } catch {
            result.failures.append("connection \(index): \(error)")
            result.errors += 1
        }
        return result
    }
}
