import Foundation
import Histogram
import Synchronization

/// Runs a scenario: each connection logs in, then keeps `pipeline` requests in flight until the
/// time is up; every answer's latency (send to answer, microseconds) goes into a histogram.
/// The first second is warm-up and not counted.
///
/// Like `pgbench -j`, a few threads (`threads`) each drive their share of the connections with
/// `poll`: a thread per connection (64 at 64 x 4) made the generator take turns on the CPU with
/// the server and PostgreSQL, and its own waits showed up in the latencies it measured.
struct LoadRunner {
    let host: String
    let port: UInt16
    let key: String
    let scenario: Scenario
    let connections: Int
    let pipeline: Int
    let seconds: Double
    var threads = 2

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
        let workers = max(1, min(threads, connections))
        for worker in 0..<workers {
            let indices = Array(stride(from: worker, to: connections, by: workers))
            group.enter()
            let thread = Thread { [self] in
                let r = self.drive(indices: indices, warmUpEnds: warmUpEnds, ends: ends)
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

    /// One connection's state in a worker.
    private final class Client {
        let index: Int
        let conn: Connection
        var sentAt: [Int: UInt64] = [:]
        var next = 1
        var random: SplitMix
        var closed = false

        init(index: Int, conn: Connection) {
            self.index = index
            self.conn = conn
            random = SplitMix(state: UInt64(index) &* 7919 &+ 17)
        }

        func sendOne(_ scenario: Scenario) throws {
            sentAt[next] = DispatchTime.now().uptimeNanoseconds
            try conn.send(scenario.request(id: next, random: &random))
            next += 1
        }
    }

    /// Drives the connections `indices` from one thread until each has its last answer.
    private func drive(indices: [Int], warmUpEnds: Date, ends: Date) -> Result {
        var result = Result()
        func fail(_ index: Int, _ error: any Error) {
            result.failures.append("connection \(index): \(error)")
            result.errors += 1
        }
        var clients: [Client] = []
        for index in indices {
            do {
                let conn = try Connection(host: host, port: port)
                try conn.send("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"auth.login\",\"params\":{\"key\":\"\(key)\"}}\n")
                guard let login = try conn.readLine(), responseID(login)?.isError == false else {
                    throw BenchError("login failed")
                }
                let client = Client(index: index, conn: conn)
                for _ in 0..<pipeline { try client.sendOne(scenario) }
                clients.append(client)
            } catch {
                fail(index, error)
            }
        }
        var fds = clients.map { pollfd(fd: $0.conn.fd, events: Int16(POLLIN), revents: 0) }
        var open = clients.count
        while open > 0 {
            let ready = poll(&fds, nfds_t(fds.count), 30_000)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                for (i, c) in clients.enumerated() where !c.closed {
                    fail(c.index, BenchError(ready == 0 ? "no answer within 30 s" : "poll: \(String(cString: strerror(errno)))"))
                    c.closed = true
                    fds[i].fd = -1
                }
                break
            }
            for (i, client) in clients.enumerated() where fds[i].revents != 0 && !client.closed {
                do {
                    guard let lines = try client.conn.readAvailableLines() else { throw BenchError("the server closed the connection") }
                    let now = DispatchTime.now().uptimeNanoseconds
                    let clock = Date()
                    for line in lines {
                        guard let (id, isError) = responseID(line), let started = client.sentAt.removeValue(forKey: id) else { continue }
                        if clock >= warmUpEnds && clock < ends {
                            result.histogram.record((now - started) / 1000)
                            result.requests += 1
                            if isError {
                                result.errors += 1
                                if result.failures.isEmpty { result.failures.append(String(decoding: line.prefix(200), as: UTF8.self)) }
                            }
                        }
                        if clock < ends { try client.sendOne(scenario) }
                    }
                    if client.sentAt.isEmpty { client.closed = true }
                } catch {
                    fail(client.index, error)
                    client.closed = true
                }
                if client.closed {
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        return result
    }
}
