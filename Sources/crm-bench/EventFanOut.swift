import ArgumentParser
import Foundation
import Histogram
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `crm-bench events`: fan-out of live events. N connections of one unit subscribe to
/// `order.created`; meanwhile writers create orders (LoadRunner, scenario order). Prints the
/// orders' throughput, the events delivered per second over all subscribers, how many of the
/// expected deliveries arrived, and the latency from the event's `at` (when the writing
/// transaction wrote it, shortly before its commit: an upper bound of commit-to-delivery) to its
/// arrival at a subscriber, p50/p99.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Fan-out of live events to many subscribers while orders are created.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16
    @Option(help: "API key of the unit (subscribers and writers use it).") var key: String
    @Option(help: "Subscribed connections.") var subscribers = 1_000
    @Option(help: "Writer connections (orders.create, one in flight each).") var writers = 8
    @Option(help: "Seconds to measure (after one second of warm-up).") var seconds = 10.0
    @Option(help: "A file of the unit's customer ids, one a line.") var customerIds: String
    @Option(help: "A file of product ids to order, one a line.") var productIds: String

    func run() throws {
        func ids(_ path: String) throws -> [Int64] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
            return text.split(separator: "\n").compactMap { Int64($0) }
        }
        let fanOut = try EventFanOut(host: host, port: port, key: key, count: subscribers)
        let readers = fanOut.startReading(threads: min(8, max(2, subscribers / 64)))
        let scenario = Scenario(kind: .order, customers: 1, customerIDs: try ids(customerIds), productIDs: try ids(productIds))
        let before = fanOut.delivered
        let started = Date()
        let orders = try LoadRunner(host: host, port: port, key: key, scenario: scenario, connections: writers, pipeline: 1,
                                    seconds: seconds).run()
        // Let the last events arrive (the warm-up second's orders are events too).
        let expectedAtLeast = orders.requests * subscribers
        let settle = Date().addingTimeInterval(10)
        while fanOut.delivered - before < expectedAtLeast && Date() < settle { Thread.sleep(forTimeInterval: 0.1) }
        let elapsed = Date().timeIntervalSince(started)
        fanOut.stop()
        readers.wait()
        let delivered = fanOut.delivered - before
        let h = fanOut.latencies
        func ms(_ p: Double) -> String { String(format: "%.1f", Double(h.valueAtPercentile(p)) / 1000) }
        print(orders.line(label: "orders.create with \(subscribers) subscribers"))
        print("events: \(delivered) deliveries to \(subscribers) subscribers in \(String(format: "%.1f", elapsed)) s = "
              + "\(String(format: "%.0f", Double(delivered) / max(elapsed, 0.001))) events/s; "
              + "\(delivered >= expectedAtLeast ? "all" : "NOT all") of the >= \(expectedAtLeast) expected; "
              + "latency from the event's write ms p50 \(ms(50)) p99 \(ms(99)) max \(String(format: "%.1f", Double(h.max) / 1000)); gaps \(fanOut.gaps)")
    }
}

/// The subscribed connections and the threads that read them with poll().
final class EventFanOut: @unchecked Sendable {
    private let connections: [Connection]
    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)

    struct State {
        var delivered = 0
        var gaps = 0
        var latencies = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    init(host: String, port: UInt16, key: String, count: Int) throws {
        connections = try Connection.openMany(host: host, port: port, count: count)
        for c in connections {
            try c.send(#"{"jsonrpc":"2.0","id":1,"method":"auth.login","params":{"key":"\#(key)"}}"# + "\n")
            try c.send(#"{"jsonrpc":"2.0","id":2,"method":"events.subscribe","params":{"topics":["order.created"]}}"# + "\n")
            for _ in 0..<2 {
                guard let line = try c.readLine(), let answer = responseID(line), !answer.isError else {
                    throw BenchError("login or subscribe failed")
                }
            }
        }
    }

    var delivered: Int { state.withLock { $0.delivered } }
    var gaps: Int { state.withLock { $0.gaps } }
    var latencies: Histogram<UInt64> { state.withLock { $0.latencies } }

    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Reads every connection on `threads` threads until stopped.
    func startReading(threads: Int) -> DispatchGroup {
        let group = DispatchGroup()
        let all = connections.map(\.fd)
        let size = (all.count + threads - 1) / threads
        let slices = stride(from: 0, to: all.count, by: size).map { Array(all[$0..<min($0 + size, all.count)]) }
        for slice in slices {
            group.enter()
            Thread.detachNewThread { [self] in
                read(slice)
                group.leave()
            }
        }
        return group
    }

    private func read(_ slice: [Int32]) {
        var fds = slice.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var pending = [[UInt8]](repeating: [], count: slice.count)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let marker = Array(#""method":"event""#.utf8)
        let atKey = Array(#""at" : ""#.utf8)
        let atKeyCompact = Array(#""at":""#.utf8)
        let gapKey = Array(#""topic":"gap""#.utf8)
        while !stopped.load(ordering: .relaxed) {
            guard poll(&fds, nfds_t(fds.count), 100) > 0 else { continue }
            var local = State()
            for i in fds.indices where fds[i].revents & Int16(POLLIN) != 0 {
                let n = recv(fds[i].fd, &buffer, buffer.count, 0)
                guard n > 0 else { fds[i].fd = -1; continue }
                pending[i].append(contentsOf: buffer[..<n])
                let now = Date().timeIntervalSince1970
                // Lines are cut out by index and the consumed bytes removed once per read; the
                // searches are memchr/memmem (the generic collection algorithms cost more than the
                // server's side of a delivery).
                var start = 0
                pending[i].withUnsafeBytes { raw in
                    let base = raw.baseAddress!
                    while start < raw.count, let nlPointer = memchr(base + start, 10, raw.count - start) {
                        let nl = base.distance(to: UnsafeRawPointer(nlPointer))
                        let line = UnsafeRawBufferPointer(start: base + start, count: nl - start)
                        start = nl + 1
                        guard find(marker, in: line) != nil else { continue }
                        if find(gapKey, in: line) != nil { local.gaps += 1; continue }
                        local.delivered += 1
                        if let r = find(atKey, in: line) ?? find(atKeyCompact, in: line),
                           let at = parseTimestamp(ArraySlice(line[r...].prefix(40))) {
                            local.latencies.record(UInt64(max(0, (now - at) * 1_000_000)))
                        }
                    }
                }
                pending[i].removeSubrange(..<start)
            }
            state.withLock { s in
                s.delivered += local.delivered
                s.gaps += local.gaps
                s.latencies.add(local.latencies)
            }
        }
    }
}

/// Where `needle` ends in `haystack` (the index just after it), or nil.
func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
    guard let first = needle.first, haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
    return needle.withUnsafeBytes { n -> Int? in
        var from = 0
        let last = haystack.count - needle.count
        while from <= last, let hit = memchr(base + from, Int32(first), last - from + 1) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + at, n.baseAddress!, needle.count) == 0 { return at + needle.count }
            from = at + 1
        }
        return nil
    }
}

/// Seconds since 1970 of PostgreSQL's JSON timestamp `2026-11-30T22:36:46.123456+00:00` (the
/// server's sessions run in UTC).
func parseTimestamp(_ bytes: ArraySlice<UInt8>) -> Double? {
    let text = String(decoding: bytes.prefix(32), as: UTF8.self)
    let parts = text.split(whereSeparator: { "-T:+\"".contains($0) })
    guard parts.count >= 6, let y = Int32(parts[0]), let mo = Int32(parts[1]), let d = Int32(parts[2]),
          let h = Int32(parts[3]), let mi = Int32(parts[4]), let s = Double(parts[5]) else { return nil }
    var t = tm()
    t.tm_year = y - 1900
    t.tm_mon = mo - 1
    t.tm_mday = d
    t.tm_hour = h
    t.tm_min = mi
    t.tm_sec = 0
    return Double(timegm(&t)) + s
}
