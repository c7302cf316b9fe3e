public import CRMCore
public import CRMProtocol
public import PQ

/// How the CRM's handlers reach their services and run SQL as the caller.
extension RequestContext {
    /// The CRM's services: the application this server was built for (ServerServices.rpcServices).
    public var services: ServerServices {
        guard let services = rpc.application as? ServerServices else {
            preconditionFailure("a CRM method called by a server built for another application")
        }
        return services
    }

    /// Runs `body` in a transaction under the caller's database role and tenant.
    public func db<T: Sendable>(_ body: @escaping @Sendable (PQConnection) throws -> T) async throws(CRMError) -> T {
        guard let principal else { throw CRMError(.unauthenticated, "log in first with auth.login") }
        return try await services.database.run(as: principal, deadline: deadline, body)
    }

    /// Runs a statement whose single `json` column PostgreSQL built, and passes its text through.
    public func json(_ query: PQQuery) async throws(CRMError) -> JSON {
        let rows = try await self.query(query)
        let text: String?
        do { text = try rows.first?.optional("json") } catch { throw CRMError.from(error) }
        return text.map(JSON.raw) ?? .null
    }

    /// One statement as the caller, in a single round trip to PostgreSQL (see CRMDatabase.query).
    public func query(_ query: PQQuery) async throws(CRMError) -> PQResult {
        guard let principal else { throw CRMError(.unauthenticated, "log in first with auth.login") }
        return try await services.database.query(as: principal, deadline: deadline, query)
    }
}
