import ProtocolTestSupport
import CRMCore
@testable import CRMProtocol
@testable import CRMServer
import CRMTestSupport
import Foundation
import Logging
import NIOCore
import PQ
import ServiceLifecycle

/// A real server on 127.0.0.1 port 0 over a freshly migrated database, for protocol tests.
final class ServerHarness: @unchecked Sendable {
    let db: TestDatabase
    let pool: PQPool
    let server: RPCServer
    let group: ServiceGroup
    let running: Task<Void, any Error>
    let port: Int

    /// `loginRole` names the role the server logs in as (default: the cluster's superuser).
    static func start(_ label: String, limits: ServerLimits = ServerLimits(), poolSize: Int = 8, poolTimeout: Duration = .seconds(5),
                      loginRole: String? = nil, extraMethods: [RPCMethod] = []) async throws -> ServerHarness {
        let db = try TestDatabase.migrated(label)
        let url = loginRole.map { db.url.replacingOccurrences(of: "://postgres@", with: "://\($0)@") } ?? db.url
        var logger = Logger(label: "test.server")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        var registry = AllMethods.registry()
        for m in extraMethods { registry.register(m) }
        let pool = PQPool(configuration: .init(url: url, maxConnections: poolSize, checkoutTimeout: poolTimeout), logger: logger)
        let metrics = ServerMetrics()
        let services = ServerServices(database: CRMDatabase(pool: pool, logger: logger, observer: metrics), limits: limits,
                                      registry: registry, metrics: metrics)
        let server = RPCServer(host: "127.0.0.1", port: 0, services: services, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: services.eventService()), .init(service: server)],
                                                      logger: logger))
        let running = Task { try await group.run() }
        let address = try await server.listeningAddress()
        return ServerHarness(db: db, pool: pool, server: server, group: group, running: running, port: address.port!)
    }

    private init(db: TestDatabase, pool: PQPool, server: RPCServer, group: ServiceGroup, running: Task<Void, any Error>, port: Int) {
        self.db = db
        self.pool = pool
        self.server = server
        self.group = group
        self.running = running
        self.port = port
    }

    /// For XCTest's synchronous class set-up: starts a harness and runs `prepare` on it.
    static func startBlocking(_ label: String, limits: ServerLimits = ServerLimits(), prepare: @escaping @Sendable (ServerHarness) throws -> Void = { _ in }) -> ServerHarness {
        let box = HarnessBox()
        let ready = DispatchSemaphore(value: 0)
        Task {
            let h = try! await ServerHarness.start(label, limits: limits)
            try! prepare(h)
            box.harness = h
            ready.signal()
        }
        ready.wait()
        return box.harness!
    }

    /// For XCTest's synchronous class tear-down.
    func stopBlocking() {
        let done = DispatchSemaphore(value: 0)
        Task { await stop(); done.signal() }
        done.wait()
    }

    /// Graceful shutdown, then the pool, then the database.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        await pool.shutdown()
        db.drop()
    }

    func client() throws -> TestClient { try TestClient(port: port) }

    /// Runs SQL as the superuser on the test database.
    func sql(_ body: (PQConnection) throws -> Void) throws {
        let conn = try db.connect()
        try body(conn)
    }

    func createTenant(_ slug: String) throws {
        try sql { try AdminOperations.createTenant($0, slug: slug, name: slug.capitalized) }
    }

    func createPartner(_ slug: String) throws {
        try sql { try AdminOperations.createPartner($0, slug: slug, name: slug.capitalized) }
    }

    func key(_ holder: AdminOperations.Holder) throws -> String {
        let conn = try db.connect()
        return try AdminOperations.issueKey(conn, for: holder)
    }

    /// A sample's value in the server's Prometheus text, by metric name and labels.
    func metric(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        PrometheusText.value(of: name, labels: labels, in: server.services.metrics.registry.emitToString())
    }

    /// A client already logged in with a new key for `holder`.
    func loggedIn(_ holder: AdminOperations.Holder) throws -> TestClient {
        let c = try client()
        let response = try c.call("auth.login", ["key": .string(try key(holder))])
        guard response["result"] != nil else { throw TestClient.Failure("login failed: \(response.serialized)") }
        return c
    }
}

private final class HarnessBox: @unchecked Sendable {
    var harness: ServerHarness?
}
