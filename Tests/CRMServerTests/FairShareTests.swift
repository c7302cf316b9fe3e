import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import XCTest

/// No caller takes more than its share: batch elements count as requests in flight, batches
/// have a size limit, a unit's requests use at most its share of the pool, reports run in their
/// own lane, and methods open without login are limited per connection and per address.
final class FairShareTests: XCTestCase {
    /// Stand-ins for heavy work that hold a pool connection for as long as asked: one in the
    /// report lane (by its name), one in the standard lane, one in the read lane.
    static let slowReport = RPCMethod("reports.test_slow", summary: "sleeps in SQL", params: [ParamSpec("seconds", .number, required: true)],
                                      access: .unit, handler: sleepInSQL)
    /// Sleeps `seconds` in SQL, holding a pool connection.
    @Sendable static func sleepInSQL(_ p: Params, _ ctx: RequestContext) async throws -> JSON {
        _ = try await ctx.query("select pg_sleep(\(p.object["seconds"]?.doubleValue ?? 0))")
        return "slept"
    }
    /// A request that holds a pool connection (a write's lane: it may take the whole pool).
    static let slowWork = RPCMethod("test.slow", summary: "sleeps in SQL", params: [ParamSpec("seconds", .number, required: true)],
                                    access: .unit, lane: .standard, handler: sleepInSQL)
    /// The same as a read (what a viewer may call takes the read lane by default).
    static let slowRead = RPCMethod("test.slow_read", summary: "sleeps in SQL, a read", params: [ParamSpec("seconds", .number, required: true)],
                                    access: .unit, handler: sleepInSQL)

    /// The most `pg_sleep` statements seen running at once during `period` (pg_stat_activity,
    /// every 20 ms).
    private func mostSleepsAtOnce(_ h: ServerHarness, during period: Duration) async throws -> Int {
        var most = 0
        let watcher = try h.db.connect()
        let until = ContinuousClock.now + period
        while ContinuousClock.now < until {
            let n: Int = try watcher.query("select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep%' and state = 'active'")[0].get("n")
            most = max(most, n)
            try await Task.sleep(for: .milliseconds(20))
        }
        return most
    }

    /// The CRM's reads of one row by key are declared to take the pool's places; lookups, lists
    /// and searches stay in the read lane, reports in theirs.
    func testPointReadsByKeyTakeThePoolsPlaces() {
        let registry = AllMethods.registry()
        for name in ["customers.get", "orders.get", "products.get", "leads.get"] {
            XCTAssertEqual(registry[name]?.lane, .standard, name)
        }
        for name in ["customers.lookup", "customers.list", "customers.search", "orders.list"] {
            XCTAssertEqual(registry[name]?.lane, .read, name)
        }
        XCTAssertEqual(registry["reports.customer_profit"]?.lane, .report)
    }

    /// Reads take at most half the pool at once (the read lane), writes the whole pool:
    /// observed in pg_stat_activity with 8 connections each sending one slow read, then one slow write.
    func testReadsTakeAtMostHalfThePool() async throws {
        let h = try await ServerHarness.start("readlane", poolSize: 8, extraMethods: [Self.slowWork, Self.slowRead])
        try h.createTenant("reader")
        for method in ["test.slow_read", "test.slow"] {
            let clients = try (0..<8).map { _ -> TestClient in
                let c = try h.loggedIn(.unit(tenant: "reader", role: "manager"))
                try c.send(line: #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":{"seconds":1}}"#)
                return c
            }
            // A second of sleep, watched for 0.9 s: on a loaded machine the pool's first
            // connections take a while to open, and all eight must overlap in the window.
            let most = try await mostSleepsAtOnce(h, during: .milliseconds(900))
            for c in clients { XCTAssertEqual(try c.readJSON()["result"], "slept") }
            XCTAssertEqual(most, method == "test.slow_read" ? 4 : 8, "\(method): at most \(most) at once")
        }
        await h.stop()
    }

    private func batch(_ method: String, _ count: Int, seconds: String) -> String {
        "[" + (1...count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"\#(method)","params":{"seconds":\#(seconds)}}"# }
            .joined(separator: ",") + "]"
    }

    /// The review's attack: a viewer sends one line with a batch of heavy reports. Before, every
    /// element ran at once, took the whole pool, and another unit's request waited past the
    /// pool's checkout time (-32050). Now the reports run in their lane, one for this unit at a
    /// time, and the other unit is served while the flood goes on.
    func testABatchOfHeavyReportsCannotStarveAnotherUnit() async throws {
        let h = try await ServerHarness.start("flood", poolSize: 8, poolTimeout: .seconds(1), extraMethods: [Self.slowReport])
        try h.createTenant("flooder")
        try h.createTenant("bystander")
        // Four connections of the same viewer, so the connection's in-flight limit alone
        // (16 each) would still let it take the pool.
        let attackers = try (0..<4).map { _ in try h.loggedIn(.unit(tenant: "flooder", role: "viewer")) }
        let other = try h.loggedIn(.unit(tenant: "bystander", role: "agent"))
        let created = try other.result("customers.create", ["name": "Quiet Customer"])
        let id = try XCTUnwrap(created["id"])

        for attacker in attackers { try attacker.send(line: batch("reports.test_slow", 60, seconds: "0.3")) }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        let answer = try other.call("customers.get", ["id": id])
        let waited = ContinuousClock.now - started
        XCTAssertNil(answer.errorCode, "the other unit is served during the flood: \(answer.serialized)")
        print("another unit's customers.get during a flood of 4 x 60 reports: \(waited)")

        var items: [JSON] = []
        for attacker in attackers {
            let flood = try attacker.readJSON()
            guard case .array(let answers) = flood else { return XCTFail("a batch answer: \(flood.serialized)") }
            XCTAssertEqual(answers.count, 60)
            items += answers
        }
        let codes = Dictionary(grouping: items, by: { $0.errorCode ?? 0 }).mapValues(\.count)
        XCTAssertGreaterThan(codes[0] ?? 0, 0, "some reports ran: \(codes)")
        XCTAssertGreaterThan(codes[-32029] ?? 0, 0, "the rest were told they are over their share: \(codes)")
        XCTAssertEqual(Set(codes.keys).subtracting([0, -32029]), [], "nothing else: \(codes)")
        let refusal = try XCTUnwrap(items.first { $0.errorCode == -32029 })
        XCTAssertEqual(refusal["error"]?["data"]?["reason"], "report_share")
        XCTAssertGreaterThan(h.metric("crm_refusals_total", ["reason": "report_share"]) ?? 0, 0, "counted in the metrics")
        await h.stop()
    }

    /// Each element of a batch is a request in flight: observed in pg_stat_activity while a
    /// batch of slow requests runs on a connection allowed 3 in flight.
    func testBatchElementsCountAgainstTheInFlightLimit() async throws {
        var limits = ServerLimits()
        limits.maxInFlightPerConnection = 3
        let h = try await ServerHarness.start("inflight", limits: limits, poolSize: 8, extraMethods: [Self.slowWork])
        try h.createTenant("batcher")
        let c = try h.loggedIn(.unit(tenant: "batcher", role: "manager"))
        try c.send(line: batch("test.slow", 12, seconds: "0.3"))
        let most = try await mostSleepsAtOnce(h, during: .seconds(1))
        guard case .array(let items) = try c.readJSON() else { return XCTFail("a batch answer") }
        XCTAssertEqual(items.filter { $0["result"] == "slept" }.count, 12)
        XCTAssertEqual(most, 3, "elements run concurrently, three at a time (they all ran at once before)")
        await h.stop()
    }

    /// The pool's gate: a holder alone may borrow every place; another holder's waiter gets the
    /// next free one ahead of the borrower's queue. The report lane's gate lends nothing.
    func testTheShareGateLendsWhatNobodyElseAsksForAndServesOthersFirst() async throws {
        let pool = ShareGate(capacity: 4, perHolder: 2, borrowing: true)
        for _ in 0..<4 { try await pool.enter("a", timeout: .seconds(1)) }
        XCTAssertEqual(pool.inside, 4, "alone, a holder uses every place")
        let queuedA = Task { try await pool.enter("a", timeout: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        let queuedB = Task { try await pool.enter("b", timeout: .seconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        pool.leave("a")
        try await queuedB.value
        XCTAssertEqual(pool.inside, 4, "b took the freed place although a asked first")
        pool.leave("a")
        try await queuedA.value
        do {
            try await pool.enter("a", timeout: .milliseconds(100))
            XCTFail("full, and a holds more than its share")
        } catch {
            XCTAssertEqual(error, .overShare)
        }

        let lane = ShareGate(capacity: 4, perHolder: 1, borrowing: false)
        try await lane.enter("a", timeout: .seconds(1))
        do {
            try await lane.enter("a", timeout: .milliseconds(100))
            XCTFail("a strict gate never lends")
        } catch {
            XCTAssertEqual(error, .overShare)
        }
        try await lane.enter("b", timeout: .milliseconds(100))
        XCTAssertEqual(lane.inside, 2)
    }

    func testABatchOverTheLimitIsRefusedWithTheLimit() async throws {
        var limits = ServerLimits()
        limits.maxBatchSize = 10
        let h = try await ServerHarness.start("batchcap", limits: limits)
        let c = try h.client()
        try c.send(line: "[" + (1...11).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"server.ping"}"# }.joined(separator: ",") + "]")
        let answer = try c.readJSON()
        XCTAssertEqual(answer.errorCode, -32600)
        XCTAssertEqual(answer["error"]?["data"]?["limit"]?.intValue, 10)
        XCTAssertEqual(answer["id"], .null)
        try c.send(line: "[" + (1...10).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"server.ping"}"# }.joined(separator: ",") + "]")
        guard case .array(let items) = try c.readJSON() else { return XCTFail("a batch answer") }
        XCTAssertEqual(items.count, 10, "a batch at the limit is served")
        await h.stop()
    }

    /// 3,000 wrong-key logins on one connection used to take half a second, unlimited and
    /// unlogged. Now they are limited per connection and per address, and counted.
    func testUnauthenticatedFloodsAreLimitedPerConnectionAndPerAddress() async throws {
        var limits = ServerLimits()
        limits.anonymousRatePerConnection = 10
        limits.anonymousBurstPerConnection = 50
        limits.anonymousRatePerAddress = 10
        limits.anonymousBurstPerAddress = 120
        let h = try await ServerHarness.start("anonflood", limits: limits)
        let c = try h.client()
        let lines = (1...3_000).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"auth.login","params":{"key":"crm_wrong_\#($0)"}}"# }
        try c.send(raw: Array((lines.joined(separator: "\n") + "\n").utf8))
        var codes: [Int: Int] = [:]
        for _ in 1...3_000 { codes[try c.readJSON().errorCode ?? 0, default: 0] += 1 }
        XCTAssertEqual(Set(codes.keys), [-32001, -32029], "\(codes)")
        XCTAssertLessThan(codes[-32001] ?? 0, 100, "only about the burst reached the database: \(codes)")

        // Other connections from the same address share the address's bucket.
        var refusedElsewhere = 0
        for _ in 0..<4 {
            let fresh = try h.client()
            for _ in 0..<40 where try fresh.call("server.ping").errorCode == -32029 { refusedElsewhere += 1 }
        }
        XCTAssertGreaterThan(refusedElsewhere, 0, "the address's share runs out across connections")
        XCTAssertEqual(h.metric("crm_failed_logins_total").map(Int.init), codes[-32001] ?? 0, "every failed login is counted")
        XCTAssertGreaterThan(h.metric("crm_refusals_total", ["reason": "rate_limit"]) ?? 0, 0)
        await h.stop()
    }
}
