import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import XCTest

/// The reliability suite, short form (`CRM_RELIABILITY_LONG=1` for the long one): protocol fuzzing,
/// isolation under random operations, and database restarts under write load.
final class ReliabilityTests: XCTestCase {
    static var scale: Int { ProcessInfo.processInfo.environment["CRM_RELIABILITY_LONG"] == "1" ? 10 : 1 }

    /// Runs `body(i)` on `count` threads at once and waits for all of them.
    private func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            Thread.detachNewThread { body(i); group.leave() }
        }
        group.wait()
    }

    func testFuzzedLinesNeverTakeTheServerDown() async throws {
        var limits = ServerLimits()
        limits.maxLineBytes = 16 * 1024
        // Eight fuzzing connections from one address send as fast as they can before login:
        // the per-address limit (FairShareTests) is not what this test is about.
        limits.anonymousRatePerAddress = 1e9
        limits.anonymousBurstPerAddress = 1e9
        limits.anonymousRatePerConnection = 1e9
        limits.anonymousBurstPerConnection = 1e9
        let h = try await ServerHarness.start("fuzz", limits: limits)
        let seeds: [String] = [
            #"{"jsonrpc":"2.0","id":1,"method":"server.ping"}"#,
            #"{"jsonrpc":"2.0","id":"x","method":"auth.login","params":{"key":"crm_abc"}}"#,
            #"[{"jsonrpc":"2.0","id":1,"method":"server.ping"},{"jsonrpc":"2.0","method":"rpc.discover"}]"#,
            #"{"jsonrpc":"2.0","id":2,"method":"customers.search","params":{"query":"ab","limit":5}}"#,
        ]
        let allowed: Set<Int> = [-32700, -32600, -32601, -32602, -32001, -32003, -32013]
        let failures = LockedBox<[String]>([])
        let rounds = 300 * Self.scale
        let port = h.port
        concurrently(8) { worker in
            var rng = SystemRandomNumberGenerator()
            guard let c = try? TestClient(port: port, timeoutSeconds: 10) else { failures.append("connect"); return }
            for round in 0..<rounds {
                var bytes = Array(seeds[Int.random(in: 0..<seeds.count, using: &rng)].utf8)
                switch Int.random(in: 0..<8, using: &rng) {
                case 0: for _ in 0..<Int.random(in: 1...6, using: &rng) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                case 1: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
                case 2: bytes = Array(String(repeating: "[", count: Int.random(in: 65...5000, using: &rng)).utf8)
                case 3: bytes = Array(#"{"jsonrpc":"2.0","id":1e99999999,"method":"server.ping","params":[123456789012345678901234567890]}"#.utf8)
                case 4: bytes.insert(contentsOf: [0xF5, 0x80, 0xC0], at: Int.random(in: 0..<bytes.count, using: &rng))
                case 5: bytes = (0..<Int.random(in: 1...200, using: &rng)).map { _ in UInt8.random(in: 32...126, using: &rng) }
                default: break
                }
                bytes.removeAll { $0 == 10 }
                if bytes.isEmpty { continue }
                do {
                    // A mutation may turn the line into a notification, which gets no answer: a
                    // sentinel request after it marks where its answers (if any) end.
                    let sentinel = "sentinel-\(worker)-\(round)"
                    try c.send(raw: bytes + [10] + Array(#"{"jsonrpc":"2.0","id":"\#(sentinel)","method":"server.ping"}"#.utf8) + [10])
                    while true {
                        guard let line = try c.readLine() else { failures.append("closed after \(String(decoding: bytes.prefix(80), as: UTF8.self))"); return }
                        let answer = try JSONParser.parse(line)
                        if answer["id"] == .string(sentinel) { break }
                        for a in answer.arrayValue ?? [answer] {
                            if let code = a.errorCode, !allowed.contains(code) { failures.append("code \(code) for \(String(decoding: bytes.prefix(80), as: UTF8.self))") }
                            if a["jsonrpc"] != "2.0" { failures.append("not JSON-RPC: \(line.prefix(80))") }
                        }
                    }
                } catch {
                    failures.append("worker \(worker) round \(round): \(error)")
                    return
                }
            }
        }
        // Half lines then disconnect, and over-long lines, from many connections.
        concurrently(16) { _ in
            if let c = try? TestClient(port: port) { try? c.send(raw: Array(#"{"jsonrpc":"2.0","id":1,"meth"#.utf8)) }
            if let c = try? TestClient(port: port) { try? c.send(raw: [UInt8](repeating: 65, count: 20_000) + [10]) }
        }
        XCTAssertEqual(failures.value, [])
        XCTAssertEqual(try h.client().result("server.ping"), "pong", "a normal client is served throughout")
        await h.stop()
    }

    func testNoPrincipalEverReceivesAnotherUnitsRows() async throws {
        let h = try await ServerHarness.start("isolation")
        let units = ["iso-north", "iso-south", "iso-east"]
        for u in units { try h.createTenant(u) }
        try h.createPartner("iso-partner")
        let keys = try units.map { try h.key(.unit(tenant: $0, role: "manager")) }
        let partnerKey = try h.key(.partner("iso-partner"))
        let leaks = LockedBox<[String]>([])
        let port = h.port
        let rounds = 60 * Self.scale
        concurrently(units.count + 1) { i in
            guard let c = try? TestClient(port: port) else { leaks.append("connect"); return }
            if i == units.count {
                // The partner: every unit method is refused, whatever it asks.
                _ = try? c.call("auth.login", ["key": .string(partnerKey)])
                for _ in 0..<rounds {
                    for method in ["customers.list", "customers.search", "customers.get", "staff.list"] {
                        let r = try? c.call(method, ["query": "iso", "id": "1"])
                        if r?.errorCode != -32003 { leaks.append("partner got \(r?.serialized.prefix(120) ?? "nothing") from \(method)") }
                    }
                }
                return
            }
            let me = units[i]
            _ = try? c.call("auth.login", ["key": .string(keys[i])])
            for n in 0..<rounds {
                var answers: [JSON] = []
                answers.append((try? c.call("customers.create", ["name": .string("\(me) customer \(n)"), "emails": [.string("\(n)@\(me).example")]])) ?? .null)
                answers.append((try? c.call("customers.search", ["query": "customer"])) ?? .null)
                answers.append((try? c.call("customers.list", ["limit": 50])) ?? .null)
                answers.append((try? c.call("customers.get", ["id": .string(String(Int.random(in: 1...(rounds * 3))))])) ?? .null)
                for a in answers {
                    let text = a.serialized
                    for other in units where other != me && text.contains(other) {
                        leaks.append("\(me) received \(other)'s data: \(text.prefix(160))")
                    }
                }
            }
        }
        XCTAssertEqual(leaks.value, [])
        await h.stop()
    }

    func testRestartsUnderLoadLoseNoAcknowledgedWrite() async throws {
        try XCTSkipIf(TestDatabase.restartCommand == nil, "CRM_TEST_PG_RESTART not set")
        let h = try await ServerHarness.start("faults", poolSize: 6)
        try h.createTenant("fault-unit")
        let key = try h.key(.unit(tenant: "fault-unit", role: "agent"))
        let acknowledged = LockedBox<[String]>([])
        let retried = LockedBox<Int>(0)
        let codes = LockedBox<[Int]>([])
        let stop = LockedBox<Bool>(false)
        let port = h.port
        // Each writer creates customers one after another, each with its own idempotency key. A
        // request that fails (-32050, or a connection lost mid-request) is sent again with the
        // same key until it is acknowledged: the client cannot know whether the first attempt
        // committed, and the key makes the retry safe.
        let writers = Thread.detachNewThreadWithGroup(count: 6) { w in
            var c = try? TestClient(port: port)
            _ = try? c?.call("auth.login", ["key": .string(key)])
            var n = 0
            while !stop.value {
                n += 1
                let idempotencyKey = "writer-\(w)-\(n)"
                var attempts = 0
                while true {
                    attempts += 1
                    if attempts > 1 { retried.increment() }
                    guard let client = c, let r = try? client.call("customers.create", ["name": .string("writer \(w) #\(n)"),
                                                                                        "idempotency_key": .string(idempotencyKey)]) else {
                        Thread.sleep(forTimeInterval: 0.05)
                        c = try? TestClient(port: port)
                        _ = try? c?.call("auth.login", ["key": .string(key)])
                        continue
                    }
                    if r["result"]?["id"]?.stringValue != nil { acknowledged.append(idempotencyKey); break }
                    if let code = r.errorCode { codes.append(code) }
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
        }
        for mode in Array(repeating: ["fast", "immediate"], count: Self.scale).flatMap({ $0 }) {
            try await Task.sleep(for: .milliseconds(700))
            try TestDatabase.restartCluster(mode: mode)
        }
        try await Task.sleep(for: .milliseconds(700))
        stop.set(true)
        writers.wait()

        XCTAssertEqual(Set(codes.value).subtracting([-32050]), [], "requests caught by a restart get -32050 and nothing else")
        let keys = acknowledged.value
        XCTAssertGreaterThan(keys.count, 50)
        XCTAssertGreaterThan(retried.value, 0, "the restarts caught some requests")
        // Every acknowledged write is in the database exactly once, retries included.
        let conn = try h.db.connect()
        let row = try conn.query("""
            select count(*) as n, count(distinct idempotency_key) as distinct_keys from crm.customer
             where idempotency_key = any(\(keys)::text[])
            """)[0]
        XCTAssertEqual(try row.get("n", as: Int.self), keys.count)
        XCTAssertEqual(try row.get("distinct_keys", as: Int.self), keys.count)
        // And the server serves again without a restart of its own.
        let after = try h.loggedIn(.unit(tenant: "fault-unit", role: "agent"))
        XCTAssertNotNil(try after.call("customers.create", ["name": "after the storm"])["result"])
        await h.stop()
    }
}

/// A value shared by test threads.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func set(_ v: T) { lock.withLock { stored = v } }
}

extension LockedBox {
    func append<E>(_ e: E) where T == [E] { lock.withLock { stored.append(e) } }
    func increment() where T == Int { lock.withLock { stored += 1 } }
}

extension Thread {
    /// Starts `count` threads running `body(i)`; returns a group to wait on.
    static func detachNewThreadWithGroup(count: Int, _ body: @escaping @Sendable (Int) -> Void) -> DispatchGroup {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            Thread.detachNewThread { body(i); group.leave() }
        }
        return group
    }
}
