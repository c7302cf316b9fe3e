import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import Glibc
import Logging
import XCTest

/// The operators' endpoint: `/metrics` in Prometheus text format (every line parses; requests by
/// method and result, latency histogram, connections, pool, refusals, database errors) and
/// `/health`, which answers from the pool's recent work without taking a connection.
final class MetricsEndpointTests: XCTestCase {
    /// One HTTP/1.1 GET with Connection: close; the status code and the body.
    func get(_ port: Int, _ path: String) throws -> (Int, String) {
        let c = try TestClient(port: port)
        try c.send(raw: Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        var text = ""
        while let line = try c.readLine() { text += line + "\n" }
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    func testMetricsAndHealthOverHTTP() async throws {
        let h = try await ServerHarness.start("metrics", extraMethods: [FairShareTests.slowWork])
        let endpoint = MetricsEndpoint(host: "127.0.0.1", port: 0, services: try XCTUnwrap(h.server.services.application as? ServerServices), logger: Logger(label: "test"))
        let serving = Task { try await endpoint.run() }
        defer { serving.cancel() }
        var port: Int?
        for _ in 0..<100 where port == nil {
            port = endpoint.address?.port
            if port == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let metricsPort = try XCTUnwrap(port)

        try h.createTenant("metered")
        let c = try h.loggedIn(.unit(tenant: "metered", role: "manager"))
        let created = try c.result("customers.create", ["name": "Mia Metric"])
        for _ in 0..<3 { _ = try c.result("customers.get", ["id": created["id"]!]) }
        XCTAssertEqual(try c.call("customers.get", ["id": "123"]).errorCode, -32004)
        XCTAssertEqual(try c.call("no.such_method").errorCode, -32601)
        let stranger = try h.client()
        XCTAssertEqual(try stranger.call("auth.login", ["key": "crm_wrong"]).errorCode, -32001)
        _ = try c.result("customers.create", ["name": "Mo Metric", "emails": ["mo@metric.example"]])
        XCTAssertEqual(try c.call("customers.create", ["name": "Mo Again", "emails": ["mo@metric.example"]]).errorCode, -32009)

        let (status, text) = try get(metricsPort, "/metrics")
        XCTAssertEqual(status, 200)
        let samples = try PrometheusText.samples(text)  // throws on any malformed line
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            let m = samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
            return m.isEmpty ? nil : m.reduce(0) { $0 + $1.value }
        }
        XCTAssertEqual(value("crm_requests_total", ["method": "customers.get", "result": "ok"]), 3)
        XCTAssertEqual(value("crm_requests_total", ["method": "customers.get", "result": "-32004"]), 1)
        XCTAssertEqual(value("crm_requests_total", ["method": "unknown", "result": "-32601"]), 1, "a made-up method is not a label")
        XCTAssertNil(value("crm_requests_total", ["method": "no.such_method"]))
        XCTAssertEqual(value("crm_request_duration_seconds_count", ["method": "customers.get"]), 4)
        XCTAssertEqual(value("crm_failed_logins_total"), 1)
        XCTAssertEqual(value("crm_connections_open"), 2, "the two test clients")
        XCTAssertEqual(value("crm_pool_connections", ["state": "max"]), 8)
        XCTAssertNotNil(value("crm_pool_wait_seconds_count"))
        XCTAssertGreaterThan(value("crm_database_errors_total") ?? 0, 0, "the duplicate was refused by SQL: \(samples.filter { $0.name == "crm_database_errors_total" })")

        let (healthStatus, health) = try get(metricsPort, "/health")
        XCTAssertEqual(healthStatus, 200, health)
        XCTAssertTrue(health.contains("\"status\":\"ok\""), health)
        XCTAssertEqual(try get(metricsPort, "/nothing").0, 404)

        // server.health while every pool connection is busy: answered from the recent work,
        // without queueing behind it (the sleepers still hold all 8 connections afterwards).
        try h.createTenant("busy")
        let sleepers = try (0..<8).map { _ -> TestClient in
            let s = try h.loggedIn(.unit(tenant: "busy", role: "manager"))
            try s.send(line: #"{"jsonrpc":"2.0","id":1,"method":"test.slow","params":{"seconds":3}}"#)
            return s
        }
        for _ in 0..<200 where h.pool.stats.idle > 0 || h.pool.stats.open < 8 { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(h.pool.stats.open - h.pool.stats.idle, 8, "every connection is taken")
        XCTAssertEqual(try c.result("server.health")["database"], "ok")
        XCTAssertEqual(h.pool.stats.open - h.pool.stats.idle, 8, "health answered while the sleepers still held the pool")
        for s in sleepers { XCTAssertEqual(try s.readJSON()["result"], "slept") }
        await h.stop()
    }
}
