import CRMTestSupport
import Foundation
import PQ
import XCTest

final class PQConnectionTests: XCTestCase {
    nonisolated(unsafe) static var db: TestDatabase!

    override class func setUp() {
        db = try! TestDatabase.create("pqconn")
    }

    override class func tearDown() {
        db?.drop()
    }

    func testParametersRoundTripAsBoundValues() throws {
        let conn = try Self.db.connect()
        let nasty = ["it's", "back\\slash", "\"quoted\"", "ünïcødé 😀 日本", "'); drop table x; --", "tab\tnew\nline", ""]
        for value in nasty {
            let row = try conn.query("select \(value)::text as v, length(\(value)) as n")[0]
            XCTAssertEqual(try row.get("v", as: String.self), value)
            XCTAssertEqual(try row.get("n", as: Int.self), value.count)
        }
        let none: String? = nil
        let row = try conn.query("select \(none)::text as v, \(none)::text is null as isnull")[0]
        XCTAssertNil(try row.optional("v", as: String.self))
        XCTAssertTrue(try row.get("isnull", as: Bool.self))
        XCTAssertThrowsError(try row.get("v", as: String.self)) { error in
            XCTAssertTrue("\(error)".contains("\"v\""), "a NULL error names the column: \(error)")
        }
        let array = ["a,b", "c\"d", "e\\f", "{g}"]
        let back = try conn.query("select (\(array)::text[])[2] as second, cardinality(\(array)::text[]) as n")[0]
        XCTAssertEqual(try back.get("second", as: String.self), "c\"d")
        XCTAssertEqual(try back.get("n", as: Int.self), 4)
    }

    func testTypedAccessors() throws {
        let conn = try Self.db.connect()
        let id = UUID()
        let row = try conn.query("""
            select 42::int as i, 9007199254740993::bigint as big, 2.5::float8 as d, true as b,
                   12345.67::numeric(12,2) as amount,
                   \(id)::uuid as id, json_build_object('k', 'v', 'n', 1) as doc
            """)[0]
        XCTAssertEqual(try row.get("i", as: Int.self), 42)
        XCTAssertEqual(try row.get("big", as: Int64.self), 9_007_199_254_740_993)
        XCTAssertEqual(try row.get("d", as: Double.self), 2.5)
        XCTAssertEqual(try row.get("b", as: Bool.self), true)
        XCTAssertEqual(try row.get("amount", as: PQDecimal.self).text, "12345.67")
        XCTAssertEqual(try row.get("id", as: UUID.self), id)
        XCTAssertEqual(try row.get("doc", as: PQJSON.self).text, #"{"k" : "v", "n" : 1}"#)
        XCTAssertThrowsError(try row.get("doc", as: Int.self)) { error in
            XCTAssertTrue("\(error)".contains("\"doc\"") && "\(error)".contains("Int"), "\(error)")
        }
        XCTAssertThrowsError(try row.get("missing", as: Int.self))
    }

    func testUniqueViolationCarriesSQLStateAndConstraint() throws {
        let conn = try Self.db.connect()
        try conn.execute(unsafeSQL: "create table if not exists uv (email text constraint uv_email_key unique)")
        try conn.query("insert into uv values (\("a@example.com"))")
        XCTAssertThrowsError(try conn.query("insert into uv values (\("a@example.com"))")) { error in
            let e = error as! PQError
            XCTAssertEqual(e.sqlState, "23505")
            XCTAssertEqual(e.constraint, "uv_email_key")
            XCTAssertFalse(e.description.contains("insert"), "the client-safe text carries no SQL")
            XCTAssertTrue(e.debugDescription.contains("insert"), "the log text is complete")
        }
    }

    func testFailedConnectionIsReportedAndFreed() throws {
        for _ in 0..<50 {  // each failure frees its PGconn; a leak would show under valgrind/ASan
            XCTAssertThrowsError(try PQConnection.connect(url: "postgresql://nobody@127.0.0.1:1/none", connectTimeout: 1)) { error in
                XCTAssertEqual((error as! PQError).code, .connectionFailed)
                XCTAssertTrue((error as! PQError).isConnectionFailure)
            }
        }
    }

    func testSessionsCommitSynchronouslyWhateverTheClusterDefault() throws {
        let conn = try Self.db.connect()
        let row = try conn.query("select current_setting('synchronous_commit') as s, current_setting('TimeZone') as tz")[0]
        XCTAssertEqual(try row.get("s", as: String.self), "on")
        XCTAssertEqual(try row.get("tz", as: String.self), "UTC")
    }

    func testTransactionRollsBackOnError() throws {
        let conn = try Self.db.connect()
        try conn.execute(unsafeSQL: "create table if not exists tx (v int primary key)")
        XCTAssertThrowsError(try conn.transaction { c in
            try c.query("insert into tx values (\(1))")
            try c.query("insert into tx values (\(1))")
        })
        XCTAssertFalse(conn.inTransaction)
        XCTAssertEqual(try conn.query("select count(*) as n from tx")[0].get("n", as: Int.self), 0)
        try conn.transaction { c in try c.query("insert into tx values (\(2))") }
        XCTAssertEqual(try conn.query("select count(*) as n from tx")[0].get("n", as: Int.self), 1)
    }

    func testPreparedStatementsAreCachedPerConnection() throws {
        let conn = try Self.db.connect()
        for i in 0..<5 { XCTAssertEqual(try conn.query("select \(i)::int + 1 as n")[0].get("n", as: Int.self), i + 1) }
        let prepared = try conn.query("select count(*) as n from pg_prepared_statements where statement like 'select $1::int + 1%'")
        XCTAssertEqual(try prepared[0].get("n", as: Int.self), 1)
    }

    func testCopyLandsEveryRow() throws {
        let conn = try Self.db.connect()
        try conn.execute(unsafeSQL: "create table copied (id int primary key, name text, note text)")
        let rows = (1...100_000).lazy.map { i -> [String?] in [String(i), "name \(i)\twith\\odd\nchars", i % 7 == 0 ? nil : "n"] }
        let count = try conn.copyIn("copy copied (id, name, note) from stdin", rows: rows)
        XCTAssertEqual(count, 100_000)
        let check = try conn.query("select count(*) as n, count(note) as notes, max(name) filter (where id = 5) as five from copied")[0]
        XCTAssertEqual(try check.get("n", as: Int.self), 100_000)
        XCTAssertEqual(try check.get("notes", as: Int.self), 100_000 - 100_000 / 7)
        XCTAssertEqual(try check.get("five", as: String.self), "name 5\twith\\odd\nchars")
    }

    func testBadCopyRowFailsWithLineNumberAndLeavesNothing() throws {
        let conn = try Self.db.connect()
        try conn.execute(unsafeSQL: "create table strict_copy (id int primary key, amount numeric(10,2) not null)")
        let rows: [[String?]] = (1...1000).map { i in [String(i), i == 734 ? "not a number" : "1.50"] }
        XCTAssertThrowsError(try conn.copyIn("copy strict_copy from stdin", rows: rows)) { error in
            let e = error as! PQError
            XCTAssertEqual(e.sqlState, "22P02")
            XCTAssertEqual(e.copyLine, 734)
        }
        XCTAssertTrue(conn.isHealthy)
        XCTAssertEqual(try conn.query("select count(*) as n from strict_copy")[0].get("n", as: Int.self), 0)
    }
}

final class PQPipelineTests: XCTestCase {
    func testPipelineRunsStatementsInOrderAndSkipsAfterAFailure() async throws {
        let db = try TestDatabase.create("pipeline")
        defer { db.drop() }
        let conn = try db.connect()
        try conn.execute(unsafeSQL: "create table p (v int primary key)")
        let ok = try await conn.pipeline(["BEGIN", "insert into p values (\(1))", "select count(*)::int as n from p", "COMMIT"])
        XCTAssertEqual(try ok[2].get()[0].get("n", as: Int.self), 1)
        XCTAssertFalse(conn.inTransaction)

        let failed = try await conn.pipeline(["BEGIN", "insert into p values (\(1))", "insert into p values (\(2))", "COMMIT"])
        guard case .failure(let e) = failed[1] else { return XCTFail("duplicate key should fail") }
        XCTAssertEqual(e.sqlState, "23505")
        guard case .failure(let skipped) = failed[2] else { return XCTFail("later statements are skipped") }
        XCTAssertEqual(skipped.code, .pipelineAborted)
        if conn.inTransaction { try conn.execute(unsafeSQL: "ROLLBACK") }
        XCTAssertEqual(try conn.query("select count(*)::int as n from p")[0].get("n", as: Int.self), 1, "nothing of the failed pipeline stayed")
        // The connection and its statement cache work normally afterwards, in and out of pipelines.
        for i in 3...5 { _ = try await conn.pipeline(["insert into p values (\(i))"]) }
        XCTAssertEqual(try conn.query("select count(*)::int as n from p")[0].get("n", as: Int.self), 4)
    }
}
