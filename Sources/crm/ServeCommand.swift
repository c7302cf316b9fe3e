import CRMProtocol
import ArgumentParser
import CRMCore
import CRMServer
import Foundation
import Logging
import PQ
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON-RPC protocol over TCP until SIGTERM or SIGINT.")

    @Option(help: "HOST:PORT to listen on (default $CRM_LISTEN or 127.0.0.1:7878).")
    var listen: String?

    @Option(help: "Folder holding the SQL files, checked against the applied migrations.")
    var sqlDir: String?

    @Option(help: "Database connections in the pool (default $CRM_POOL_SIZE, or four a core plus one).")
    var poolSize: Int?

    /// Four connections a core, plus one: reads want few statements a core (on two cores, 16
    /// connections served fewer lookups than 4: 1,460 against 1,945 a second, with a p99 of 49 ms
    /// against 16), writes want more, to share the WAL flushes of their commits (interactions.log
    /// with fsync on, 64 x 4: ~1,300-1,900 req/s with 5 connections, ~2,100-2,800 with 9, about
    /// as many as with 16). The requests beyond the pool wait in the server, first come first
    /// served, each unit within its share. A database on a larger machine wants a larger pool.
    static var defaultPoolSize: Int { 4 * ProcessInfo.processInfo.activeProcessorCount + 1 }

    func run() async throws {
        let logger = try Env.logger("crm")
        let limits = try ServerLimits.fromEnvironment()
        let poolSize = try poolSize ?? Env.int("CRM_POOL_SIZE", default: Self.defaultPoolSize, min: 1)
        let poolTimeout = try Env.int("CRM_POOL_TIMEOUT_MS", default: 5_000, min: 1)
        // 0 turns the scheduled job off (another server, or cron with `crm call tasks.run_rules`, runs it).
        let rulesInterval = try Env.int("CRM_RULES_INTERVAL_S", default: 3600)
        // How often the rollups' delta rows are folded (0: only by the scheduled job above).
        let foldInterval = try Env.int("CRM_FOLD_INTERVAL_S", default: 60)
        let (host, port) = try parseListen(listen ?? Env.get("CRM_LISTEN") ?? "127.0.0.1:7878")
        // Off unless asked for: the metrics endpoint has its own port (HOST:PORT).
        let metricsListen = try Env.get("CRM_METRICS_LISTEN").map { try parseListen($0, variable: "CRM_METRICS_LISTEN") }
        let url = try Env.databaseURL()

        // Refuse to serve a database whose applied migrations differ from the files shipped.
        let migrator = Migrator(directory: Env.sqlDirectory(sqlDir), logger: logger)
        do { try withDatabase { try migrator.verify($0) } } catch { fail(error) }

        let pool = PQPool(
            configuration: .init(
                url: url,
                maxConnections: poolSize,
                checkoutTimeout: .milliseconds(poolTimeout)),
            logger: logger)
        let metrics = ServerMetrics()
        let services = ServerServices(
            database: CRMDatabase(pool: pool, logger: logger, observer: metrics),
            limits: limits,
            registry: AllMethods.registry(),
            metrics: metrics)
        let server = RPCServer(host: host, port: port, services: services, logger: logger)
        var members: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: PoolService(pool: pool)), .init(service: services.eventService()), .init(service: server)]
        if let metricsListen {
            members.append(.init(service: MetricsEndpoint(host: metricsListen.0, port: metricsListen.1, services: services, logger: logger)))
        }
        if rulesInterval > 0 {
            members.append(.init(service: TaskRulesService(database: services.database, interval: .seconds(rulesInterval), logger: logger)))
        }
        if foldInterval > 0 {
            members.append(.init(service: DeltaFoldService(database: services.database, interval: .seconds(foldInterval), logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(
            services: members,
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger))
        try await group.run()
    }
}

func parseListen(_ text: String, variable: String = "--listen") throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
        throw CLIError("\(variable) must be HOST:PORT, got \"\(text)\"")
    }
    return (String(text[..<colon]), port)
}

/// Keeps the pool open while the server runs and closes it after the server has stopped.
struct PoolService: Service {
    let pool: PQPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}

extension ServerLimits {
    /// Limits from the environment (the README's configuration table names each variable).
    static func fromEnvironment() throws -> ServerLimits {
        var l = ServerLimits()
        l.maxLineBytes = try Env.int("CRM_MAX_LINE_BYTES", default: l.maxLineBytes, min: 64)
        l.maxConnections = try Env.int("CRM_MAX_CONNECTIONS", default: l.maxConnections, min: 1)
        l.maxInFlightPerConnection = try Env.int("CRM_MAX_IN_FLIGHT", default: l.maxInFlightPerConnection, min: 1)
        l.maxPendingAnswerBytes = try Env.int("CRM_MAX_PENDING_ANSWER_BYTES", default: l.maxPendingAnswerBytes, min: 1)
        l.maxQueuedEvents = try Env.int("CRM_MAX_QUEUED_EVENTS", default: l.maxQueuedEvents, min: 1)
        l.idleTimeout = .seconds(try Env.int("CRM_IDLE_TIMEOUT_S", default: 300, min: 1))
        l.lineTimeout = .seconds(try Env.int("CRM_LINE_TIMEOUT_S", default: 30, min: 1))
        l.requestDeadline = .milliseconds(try Env.int("CRM_REQUEST_TIMEOUT_MS", default: 30_000, min: 1))
        l.rateLimitPerSecond = try Env.double("CRM_RATE_LIMIT", default: l.rateLimitPerSecond)
        l.rateLimitBurst = try Env.double("CRM_RATE_BURST", default: l.rateLimitBurst)
        l.anonymousRatePerConnection = try Env.double("CRM_ANON_RATE_PER_CONNECTION", default: l.anonymousRatePerConnection)
        l.anonymousBurstPerConnection = 2 * l.anonymousRatePerConnection
        l.anonymousRatePerAddress = try Env.double("CRM_ANON_RATE_PER_ADDRESS", default: l.anonymousRatePerAddress)
        l.anonymousBurstPerAddress = 2 * l.anonymousRatePerAddress
        l.maxBatchSize = try Env.int("CRM_MAX_BATCH", default: l.maxBatchSize, min: 1)
        l.poolShare = try Env.optionalInt("CRM_POOL_SHARE", min: 1)
        l.reportConcurrency = try Env.optionalInt("CRM_REPORT_CONCURRENCY", min: 1)
        l.readConcurrency = try Env.optionalInt("CRM_READ_CONCURRENCY", min: 1)
        l.reportDeadline = .milliseconds(try Env.int("CRM_REPORT_TIMEOUT_MS", default: 60_000, min: 1))
        return l
    }
}
