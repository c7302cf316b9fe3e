public import Logging
public import CRMCore
public import CRMProtocol
public import Foundation

/// What the CRM's handlers share: the database, and the limits, methods and metrics the protocol
/// layer serves them with. Handlers reach it as `ctx.services` (RequestContext+Database.swift).
public final class ServerServices: ServerApplication {
    public let database: CRMDatabase
    public let limits: ServerLimits
    public let registry: MethodRegistry
    public let metrics: ServerMetrics
    public let version: String
    public let startedAt: Date
    /// Live event subscriptions (events.subscribe); EventService wakes its reader.
    public let events: EventHub

    public init(database: CRMDatabase, limits: ServerLimits, registry: MethodRegistry, metrics: ServerMetrics = ServerMetrics(),
                version: String = "0.1.0") {
        self.database = database
        self.limits = limits
        self.registry = registry
        self.metrics = metrics
        self.version = version
        self.startedAt = Date()
        self.events = EventHub(database: database, logger: database.logger)
    }

    /// The service that feeds the subscriptions: run it next to the server.
    public func eventService() -> EventService {
        EventService(hub: events)
    }

    /// The protocol layer's services for a server of these handlers: its capacity is the pool's
    /// size, and a call waits for a place as long as for a pool connection.
    public func rpcServices() -> RPCServices {
        RPCServices(limits: limits, registry: registry, capacity: database.pool.stats.max,
                    gateTimeout: database.pool.configuration.checkoutTimeout, metrics: metrics, version: version, application: self)
    }
}

extension RPCServer {
    /// A server answering the CRM's methods over `services`' database.
    public convenience init(host: String, port: Int, services: ServerServices, logger: Logger) {
        self.init(host: host, port: port, services: services.rpcServices(), logger: logger)
    }
}
