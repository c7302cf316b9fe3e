import CRMTestSupport
import Foundation
import Logging
import PQ
import XCTest

final class PQPoolTests: XCTestCase {
    nonisolated(unsafe) static var db: TestDatabase!

    override class func setUp() {
        db = try! TestDatabase.create("pqpool")
    }

    override class func tearDown() {
        db?.drop()
    }

    func testExhaustionTimesOutInsteadOfHanging() async throws {
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 1, checkoutTimeout: .milliseconds(300)), logger: Logger(label: "t"))
        let holder = Task { try await pool.withConnection { conn in try conn.query("select pg_sleep(2)") ; return 1 } }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        do {
            _ = try await pool.withConnection { _ in 0 }
            XCTFail("checkout should have timed out")
        } catch let error as PQError {
            XCTAssertEqual(error.code, .poolTimeout)
            XCTAssertTrue(error.isConnectionFailure)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2), "the waiter gave up before the holder finished")
        _ = try await holder.value
        let seven = try await pool.withConnection { conn in try conn.query("select 7 as n")[0].get("n", as: Int.self) }
        XCTAssertEqual(seven, 7)
        await pool.shutdown()
    }

    func testManyConcurrentCheckoutsShareTheBoundedPool() async throws {
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 4), logger: Logger(label: "t"))
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 { group.addTask { try await pool.withConnection { try $0.query("select \(i)::int as n")[0].get("n", as: Int.self) } } }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(sum, (0..<200).reduce(0, +))
        XCTAssertLessThanOrEqual(pool.stats.open, 4)
        await pool.shutdown()
    }

    func testDeadlineCancelsARunawayStatement() async throws {
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 1), logger: Logger(label: "t"))
        do {
            _ = try await pool.withConnection(deadline: .milliseconds(200)) { conn in try conn.query("select pg_sleep(10)") }
            XCTFail("should have been cancelled")
        } catch let error as PQError {
            XCTAssertEqual(error.sqlState, "57014")
        }
        // The connection is fine afterwards and a later statement is not cancelled by a stale timer.
        let n = try await pool.withConnection(deadline: .seconds(5)) { conn in
            try conn.query("select pg_sleep(0.3)")
            return try conn.query("select 1 as n")[0].get("n", as: Int.self)
        }
        XCTAssertEqual(n, 1)
        await pool.shutdown()
    }

    func testRecoversAfterTheDatabaseRestarts() async throws {
        try XCTSkipIf(TestDatabase.restartCommand == nil, "CRM_TEST_PG_RESTART not set")
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 4), logger: Logger(label: "t"))
        for mode in ["fast", "immediate"] {
            // Fill the pool with idle connections, then pull the database out from under them.
            try await withThrowingTaskGroup(of: Void.self) { g in
                for _ in 0..<4 { g.addTask { _ = try await pool.withConnection { try $0.query("select pg_sleep(0.05)") } } }
                try await g.waitForAll()
            }
            try TestDatabase.restartCluster(mode: mode)
            // The next requests succeed without restarting anything.
            for i in 0..<8 {
                let n = try await pool.withConnection { try $0.query("select \(i)::int as n")[0].get("n", as: Int.self) }
                XCTAssertEqual(n, i, "after a \(mode) restart")
            }
        }
        await pool.shutdown()
    }
}
