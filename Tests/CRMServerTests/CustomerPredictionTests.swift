import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import Logging
import PQ
import XCTest

/// reports.customer_prediction, reports.prediction_model and reports.refresh_prediction through
/// the protocol, the daily refit of the scheduled job, and (when Scripts/test made the lifetimes
/// venv) the whole path on the CDNOW sample against lifetimes' own figures.
final class CustomerPredictionTests: XCTestCase {
    nonisolated(unsafe) static var harness: ServerHarness!

    override class func setUp() {
        harness = ServerHarness.startBlocking("prediction") { h in
            for unit in ["pred-a", "pred-few", "pred-none", "pred-cdnow"] { try h.createTenant(unit) }
            try h.sql { conn in
                try importOrders(conn, tenant: "pred-a", orders: syntheticOrders())
                // Three customers, one repeat: nothing to fit.
                try importOrders(conn, tenant: "pred-few", orders: [("f1", "2026-01-05", 10), ("f1", "2026-02-05", 12),
                                                                    ("f2", "2026-01-07", 5), ("f3", "2026-03-01", 7)])
            }
        }
    }

    override class func tearDown() {
        harness?.stopBlocking()
    }

    /// Customers, one product and one single-line order per (customer, day, amount), through the
    /// importer as `crm import` runs it. Customer `k` is named k, email k@pred.example.
    static func importOrders(_ conn: PQConnection, tenant: String, orders: [(customer: String, day: String, amount: Double)]) throws {
        let names = Array(Set(orders.map(\.customer))).sorted()
        var customers = "name,email\n"
        for n in names { customers += "\(n),\(n)@pred.example\n" }
        let imported = try Importer(kind: Importer.kinds["customers"]!).run(conn, tenant: tenant, csv: Array(customers.utf8))
        XCTAssertEqual(imported.rejects.count, 0)
        _ = try Importer(kind: Importer.kinds["products"]!).run(conn, tenant: tenant,
            csv: Array("sku,name,list_price,unit_cost\nITEM,Item,1.00,0.00\n".utf8))
        var csv = "order_ref,ordered_at,sku,quantity,customer_email,unit_price\n"
        for (i, o) in orders.enumerated() {
            csv += "o\(i),\(o.day),ITEM,1,\(o.customer)@pred.example,\(String(format: "%.2f", o.amount))\n"
        }
        let report = try Importer(kind: Importer.kinds["orders"]!).run(conn, tenant: tenant, csv: Array(csv.utf8))
        XCTAssertEqual(report.rejects.count, 0, "\(report.rejects.prefix(3))")
    }

    /// 300 customers who buy as BG/NBD assumes: a first purchase in 2025-10 .. 2026-05, then
    /// exponential gaps of a customer's own mean, dropping out after each purchase with a
    /// probability of their own (0.05 .. 0.65); amounts around the customer's own mean. A fixed
    /// pseudo-random sequence.
    static func syntheticOrders() -> [(customer: String, day: String, amount: Double)] {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(seed >> 11) / Double(1 << 53)
        }
        let start = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                   year: 2025, month: 10, day: 1).date!
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        var orders: [(String, String, Double)] = []
        for c in 0..<300 {
            let meanGap = 7 + 60 * uniform()
            let meanAmount = 20 + 80 * uniform()
            let dropout = 0.05 + 0.6 * uniform()
            var day = 240 * uniform()
            while day < 272 {  // 2026-06-30 is day 272
                orders.append(("c\(c)", formatter.string(from: start.addingTimeInterval(day.rounded(.down) * 86_400)),
                               max(1, meanAmount * (0.5 + uniform()))))
                if uniform() < dropout { break }
                day += -meanGap * log(1 - uniform())
            }
        }
        return orders
    }

    func testFitScoreAndPageThroughTheProtocol() throws {
        let manager = try Self.harness.loggedIn(.unit(tenant: "pred-a", role: "manager"))
        let agent = try Self.harness.loggedIn(.unit(tenant: "pred-a", role: "agent"))
        let viewer = try Self.harness.loggedIn(.unit(tenant: "pred-a", role: "viewer"))

        // Before any fit: a clear answer, not an empty list.
        let unfitted = try agent.call("reports.customer_prediction", ["limit": 10])
        XCTAssertEqual(unfitted.errorCode, -32004)
        XCTAssertEqual(unfitted["error"]?["message"]?.stringValue?.contains("reports.refresh_prediction"), true, unfitted.serialized)
        XCTAssertEqual(try agent.result("reports.prediction_model"), .null)

        XCTAssertEqual(try agent.call("reports.refresh_prediction").errorCode, -32003, "agents do not refit")
        XCTAssertEqual(try viewer.call("reports.refresh_prediction").errorCode, -32003, "viewers do not refit")
        XCTAssertEqual(try manager.call("reports.refresh_prediction", ["period": "month"]).errorCode, -32602)

        let model = try manager.result("reports.refresh_prediction", ["period": "week", "as_of": "2026-06-30"])
        XCTAssertEqual(model["period"], "week")
        XCTAssertEqual(model["as_of"], "2026-06-30")
        XCTAssertEqual(model["customers"], 300)
        XCTAssertEqual(model["note"], .null, model.serialized)
        let (r, alpha, a, b) = (model["r"]!.doubleValue!, model["alpha"]!.doubleValue!, model["a"]!.doubleValue!, model["b"]!.doubleValue!)
        for v in [r, alpha, a, b, model["p"]!.doubleValue!, model["q"]!.doubleValue!, model["v"]!.doubleValue!] { XCTAssertGreaterThan(v, 0) }
        XCTAssertEqual(try viewer.result("reports.prediction_model")["r"]?.doubleValue, r, "the stored model is the one answered")

        // Every customer once, by id, over pages of 64.
        var items: [JSON] = []
        var cursor: JSON = .null
        repeat {
            var params: JSONObject = ["limit": 64, "periods": 10]
            if cursor != .null { params["cursor"] = cursor }
            let page = try viewer.result("reports.customer_prediction", params)
            items += page["items"]!.arrayValue!
            cursor = page["next_cursor"]!
        } while cursor != .null
        XCTAssertEqual(items.count, 300)
        let ids = items.map { Int64($0["customer_id"]!.stringValue!)! }
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertEqual(Set(ids).count, 300)

        // The SQL scoring agrees with the Swift model on P(alive), and behaves as the model says.
        let bg = BGNBDModel(r: r, alpha: alpha, a: a, b: b)
        var repeaters = 0
        for item in items {
            let (x, tx, t) = (item["frequency"]!.doubleValue!, item["recency"]!.doubleValue!, item["t"]!.doubleValue!)
            let pAlive = item["p_alive"]!.doubleValue!
            XCTAssertEqual(pAlive, bg.probabilityAlive(frequency: x, recency: tx, T: t), accuracy: 1e-12)
            let expected = item["expected_purchases"]!.doubleValue!
            XCTAssertGreaterThanOrEqual(expected, 0)
            XCTAssertNotNil(item["expected_avg_value"]?.doubleValue)
            if x > 0 { repeaters += 1 } else { XCTAssertEqual(pAlive, 1) }
            XCTAssertEqual(item["tenant"], "pred-a")
        }
        XCTAssertEqual(repeaters, model["repeat_customers"]?.intValue)

        // A longer horizon never expects fewer purchases; zero periods expect none.
        let first = items[0]["customer_id"]!
        let short = try agent.result("reports.customer_prediction", ["limit": 1, "periods": 5])["items"]!.arrayValue![0]
        let long = try agent.result("reports.customer_prediction", ["limit": 1, "periods": 50])["items"]!.arrayValue![0]
        let none = try agent.result("reports.customer_prediction", ["limit": 1, "periods": 0])["items"]!.arrayValue![0]
        XCTAssertEqual(short["customer_id"], first)
        XCTAssertLessThan(short["expected_purchases"]!.doubleValue!, long["expected_purchases"]!.doubleValue!)
        XCTAssertEqual(none["expected_purchases"]?.doubleValue, 0)
        XCTAssertEqual(try agent.call("reports.customer_prediction", ["limit": 1, "periods": -1]).errorCode, -32602)
    }

    func testTooFewCustomersIsANoteAndTheJobRefitsDaily() throws {
        let few = try Self.harness.loggedIn(.unit(tenant: "pred-few", role: "director"))
        let model = try few.result("reports.refresh_prediction", ["as_of": "2026-06-30"])
        XCTAssertEqual(model["r"], .null)
        XCTAssertEqual(model["customers"], 3)
        XCTAssertEqual(model["note"]?.stringValue?.contains("too few customers"), true, model.serialized)
        let answer = try few.call("reports.customer_prediction", ["limit": 10])
        XCTAssertEqual(answer.errorCode, -32004)
        XCTAssertEqual(answer["error"]?["message"]?.stringValue?.contains("too few customers"), true, answer.serialized)

        // The scheduled job: units with no model or one older than today are refitted as of today.
        let service = TaskRulesService(database: CRMDatabase(pool: Self.harness.pool, logger: Logger(label: "test.rules")),
                                       interval: .seconds(3600), logger: Logger(label: "test.rules"))
        _ = try service.runOnceBlocking()
        var asOf: [String: String] = [:]
        try Self.harness.sql { conn in
            for row in try conn.query("""
                select t.slug, (m.as_of = current_date)::text as today, coalesce(m.note, '') as note
                from crm.customer_prediction_model m join crm.tenant t on t.id = m.tenant_id
                """) {
                asOf[try row.get("slug")] = try row.get("today") + "|" + (try row.get("note", as: String.self)).prefix(30)
            }
        }
        XCTAssertEqual(asOf["pred-none"]?.hasPrefix("true|BG/NBD not fitted: too few"), true, "a unit without a model gets one (a note): \(asOf)")
        XCTAssertEqual(asOf["pred-few"]?.hasPrefix("true|"), true, "an old model is refitted as of today")
        // Fitted once today: a second pass leaves every model alone.
        var before = ""
        try Self.harness.sql { conn in before = try conn.query(Self.fittedAt)[0].get("f") }
        _ = try service.runOnceBlocking()
        try Self.harness.sql { conn in XCTAssertEqual(try conn.query(Self.fittedAt)[0].get("f"), before) }
    }

    /// The CDNOW sample's transactions imported as orders, fitted in weeks as of 1997-09-30 and
    /// scored through the protocol, against lifetimes on the same transactions
    /// (Scripts/lib/cdnow_oracle.py, run here with the venv's python).
    func testCDNOWAgainstLifetimes() throws {
        let env = ProcessInfo.processInfo.environment
        guard let python = env["CRM_ORACLE_PYTHON"], let dir = env["CRM_CDNOW_DIR"] else {
            throw XCTSkip("CRM_ORACLE_PYTHON and CRM_CDNOW_DIR are not set (Scripts/test sets them from the lifetimes venv): the CDNOW comparison is not run")
        }
        let sample = dir + "/CDNOW_sample.txt"
        var orders: [(customer: String, day: String, amount: Double)] = []
        for line in try String(contentsOfFile: sample, encoding: .utf8).split(whereSeparator: \.isNewline) {
            let f = line.split(separator: " ")
            let d = f[2]
            orders.append(("k" + f[0], "\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))", Double(f[4])!))
        }
        XCTAssertEqual(orders.count, 6919)
        try Self.harness.sql { conn in try Self.importOrders(conn, tenant: "pred-cdnow", orders: orders) }

        let ids = Array(Set(orders.map { String($0.customer.dropFirst()) })).sorted()
        let chosen = stride(from: 0, to: ids.count, by: 397).map { ids[$0] } + ["19339", "20873", "12476", "00004", "00018"]
        let oracle = try JSONParser.parse(try Self.run(python, [Self.scriptPath, sample, "1997-09-30", "30"] + chosen))

        let manager = try Self.harness.loggedIn(.unit(tenant: "pred-cdnow", role: "manager"))
        let model = try manager.result("reports.refresh_prediction", ["period": "week", "as_of": "1997-09-30"])
        XCTAssertEqual(model["customers"], oracle["customers"])
        XCTAssertEqual(model["repeat_customers"], oracle["repeat_customers"])
        for k in ["r", "alpha", "a", "b"] {
            XCTAssertEqual(model[k]!.doubleValue!, oracle["bgnbd"]![k]!.doubleValue!, accuracy: 1e-3, k)
        }
        // Spend: report.rfm rounds monetary_value to cents, lifetimes does not.
        for k in ["p", "q", "v"] {
            let want = oracle["gamma_gamma"]![k]!.doubleValue!
            XCTAssertEqual(model[k]!.doubleValue!, want, accuracy: 0.005 * want, k)
        }

        var byName: [String: String] = [:]
        try Self.harness.sql { conn in
            for row in try conn.query("""
                select c.name, c.id::text as id from crm.customer c join crm.tenant t on t.id = c.tenant_id where t.slug = 'pred-cdnow'
                """) {
                byName[try row.get("name")] = try row.get("id")
            }
        }
        var scored: [String: JSON] = [:]
        var cursor: JSON = .null
        repeat {
            var params: JSONObject = ["limit": 500, "periods": 30]
            if cursor != .null { params["cursor"] = cursor }
            let page = try manager.result("reports.customer_prediction", params)
            for item in page["items"]!.arrayValue! { scored[item["customer_id"]!.stringValue!] = item }
            cursor = page["next_cursor"]!
        } while cursor != .null
        XCTAssertEqual(scored.count, 2357)
        for id in chosen {
            let want = oracle["customers_scored"]![id]!
            let got = try XCTUnwrap(scored[byName["k" + id]!], id)
            for k in ["frequency", "recency", "t"] { XCTAssertEqual(got[k]?.doubleValue, want[k]?.doubleValue, "\(id) \(k)") }
            XCTAssertEqual(got["monetary_value"]!.doubleValue!, want["monetary_value"]!.doubleValue!, accuracy: 0.0051, "\(id)")
            XCTAssertEqual(got["p_alive"]!.doubleValue!, want["p_alive"]!.doubleValue!, accuracy: 1e-3, "\(id) p_alive")
            let purchases = want["expected_purchases"]!.doubleValue!
            XCTAssertEqual(got["expected_purchases"]!.doubleValue!, purchases, accuracy: 1e-3 * max(1, purchases), "\(id) expected_purchases")
            let value = want["expected_avg_value"]!.doubleValue!
            XCTAssertEqual(got["expected_avg_value"]!.doubleValue!, value, accuracy: 0.005 * value, "\(id) expected_avg_value")
        }
    }

    static let fittedAt: PQQuery = "select string_agg(fitted_at::text, ',' order by tenant_id) as f from crm.customer_prediction_model"

    static var scriptPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/lib/cdnow_oracle.py").path
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("the lifetimes oracle failed (exit \(process.terminationStatus))") }
        return String(decoding: data, as: UTF8.self)
    }
}

extension TaskRulesService {
    /// runOnce from a synchronous test.
    func runOnceBlocking() throws -> Int {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.value = .success(try await runOnce()) } catch { box.value = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.value!.get()
    }
}

private final class ResultBox: @unchecked Sendable {
    var value: Result<Int, any Error>?
}
