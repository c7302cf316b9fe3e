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

    // MARK: - the non-blocking path (`withNonBlockingConnection`, `pipeline`)

    func testNonBlockingPipelinesShareThePoolAndAnswerInOrder() async throws {
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 3), logger: Logger(label: "t"))
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await pool.withNonBlockingConnection { conn in
                        let outcomes = try await conn.pipeline(["BEGIN", "select \(i)::int as n, pg_sleep(0.001)", "COMMIT"])
                        return try outcomes[1].get()[0].get("n", as: Int.self)
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(sum, (0..<200).reduce(0, +))
        XCTAssertLessThanOrEqual(pool.stats.open, 3)
        await pool.shutdown()
    }

    func testNonBlockingPipelineSendsALargeParameterAndMeetsItsDeadline() async throws {
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 1), logger: Logger(label: "t"))
        // 8 MB does not fit the socket's buffer at once: the send waits for the socket to drain.
        let big = String(repeating: "ünï ", count: 1_000_000)
        let length = try await pool.withNonBlockingConnection { conn in
            try await conn.pipeline(["select length(\(big)) as n"])[0].get()[0].get("n", as: Int.self)
        }
        XCTAssertEqual(length, big.count)
        do {
            _ = try await pool.withNonBlockingConnection(deadline: .milliseconds(200)) { conn in
                try await conn.pipeline(["select pg_sleep(10)"])[0].get()
            }
            XCTFail("should have been cancelled")
        } catch let error as PQError {
            XCTAssertEqual(error.sqlState, "57014")
        }
        let seven = try await pool.withNonBlockingConnection { conn in try await conn.pipeline(["select 7 as n"])[0].get()[0].get("n", as: Int.self) }
        XCTAssertEqual(seven, 7, "the connection is fine after the cancel")
        await pool.shutdown()
    }

    func testNonBlockingPipelineReportsAKilledBackendAndThePoolReplacesIt() async throws {
        let pool = PQPool(configuration: .init(url: Self.db.url, maxConnections: 1), logger: Logger(label: "t"))
        let killer = try Self.db.connect()
        let victim = Task {
            try await pool.withNonBlockingConnection { conn in
                try await conn.pipeline(["select pg_sleep(5)", "select 1"])[0].get()
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        try killer.query("select pg_terminate_backend(pid) from pg_stat_activity where query = 'select pg_sleep(5)' and datname = current_database()")
        do {
            _ = try await victim.value
            XCTFail("the statement's backend was killed")
        } catch let error as PQError {
            XCTAssertTrue(error.isConnectionFailure || error.sqlState == "57P01", "\(error.debugDescription)")
        }
        let eight = try await pool.withNonBlockingConnection { conn in try await conn.pipeline(["select 8 as n"])[0].get()[0].get("n", as: Int.self) }
        XCTAssertEqual(eight, 8)
        await pool.shutdown()
    }
}
