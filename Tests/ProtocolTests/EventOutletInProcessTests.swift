@testable import CRMProtocol
import Foundation
import NIOCore
import ProtocolTestSupport
import Synchronization
import XCTest

/// The per-connection event queue (EventOutlet): bounded, a `gap` notification with the cursor
/// to resume from once a client that fell behind has drained it; and over a real socket, a client
/// that does not read holds at most the bound of the server's memory.
final class EventOutletInProcessTests: XCTestCase {
    func testAFullQueueDropsThenSendsOneGapWithTheCursorToResumeFrom() throws {
        let signals = Mutex(0)
        let outlet = EventOutlet(capacity: 3, allocator: ByteBufferAllocator()) { _ in signals.withLock { $0 += 1 } }
        var written: [String] = []
        func drain() -> Int {
            let lines = outlet.take()
            written += lines.map { String(buffer: $0) }
            return lines.count
        }
        outlet.start(at: "c0")
        let offers = (1...5).map { i in outlet.offer(outlet.line(params: #"{"topic":"t","cursor":"c\#(i)"}"#), cursor: "c\(i)") }
        XCTAssertEqual(offers, [.queued, .queued, .queued, .dropped, .dropped])
        XCTAssertEqual(outlet.queuedCount, 3)
        XCTAssertEqual(signals.withLock { $0 }, 1, "the writer is told once for the three")
        XCTAssertEqual(drain(), 3)
        XCTAssertEqual(outlet.offer(outlet.line(params: "{}"), cursor: "c6"), .dropped, "no new event before the gap went out")
        outlet.written(2)
        XCTAssertEqual(outlet.take().count, 0, "no gap while one event is still on its way")
        outlet.written(1)
        XCTAssertEqual(drain(), 1, "then the gap")
        XCTAssertEqual(written.count, 4, "three events and the gap")
        XCTAssertEqual(written.last, #"{"jsonrpc":"2.0","method":"event","params":{"topic":"gap","cursor":"c3"}}"# + "\n",
                       "resume after the last event queued")
        outlet.written(1)
        XCTAssertEqual(outlet.offer(outlet.line(params: "{}"), cursor: "c7"), .queued, "after the gap, events flow again")
        outlet.close()
        XCTAssertEqual(outlet.offer(outlet.line(params: "{}"), cursor: "c8"), .closed)
    }

    func testAClientThatDoesNotReadGetsABoundedQueueThenAGap() async throws {
        var limits = ServerLimits()
        limits.maxQueuedEvents = 50
        let h = try await StubServer.start(limits: limits)
        let c = try h.client()
        XCTAssertEqual(try c.result("auth.login", ["key": "agent"])["role"], "agent")
        // 40 MB of events at once, more than the socket buffers hold while the client reads nothing.
        try c.send(line: #"{"jsonrpc":"2.0","id":"burst","method":"spec.events","params":{"n":40000,"bytes":1000}}"#)
        try await Task.sleep(for: .milliseconds(500))
        // The writer drains while the method offers, so the queue may fill, drain and gap several
        // times: each gap names the last event delivered before it, and events go on after it.
        var answer: JSON?
        var lastCursor = 0
        var received = 0
        var gaps = 0
        var failures: [String] = []
        while true {
            let line = try c.readJSON()
            if line["id"] == "burst" { answer = line["result"]; _ = try c.send(line: #"{"jsonrpc":"2.0","id":"ping","method":"server.ping"}"#); continue }
            if line["id"] == "ping" { break }
            let cursor = line["params"]?["cursor"]?.stringValue.flatMap { Int($0) } ?? -1
            if line["params"]?["topic"] == "gap" {
                gaps += 1
                if cursor != lastCursor { failures.append("gap at \(cursor) after event \(lastCursor)") }
            } else {
                received += 1
                if cursor <= lastCursor { failures.append("event \(cursor) after \(lastCursor)") }
                lastCursor = cursor
            }
        }
        let result = try XCTUnwrap(answer)
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(result["dropped"]?.intValue ?? 0, 0, "the queue filled up")
        XCTAssertGreaterThan(gaps, 0)
        XCTAssertLessThanOrEqual(result["most_queued"]?.intValue ?? .max, 50, "never more than the bound queued")
        XCTAssertEqual(received, result["queued"]?.intValue, "every queued event arrived")
        await h.stop()
    }
}
