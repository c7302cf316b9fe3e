public import CRMModel
public import Logging

/// Who may call a method.
public enum Access: Sendable {
    /// Before login too (`auth.login`, `rpc.discover`, `server.ping`).
    case anyone
    /// A logged-in principal whose role is in the set.
    case roles(Set<Role>)

    public static let unitRoles = Role.unitRoles
    /// Unit roles that may change data (a viewer only reads).
    public static let unitWriters: Set<Role> = unitRoles.subtracting(Role.readOnly)
    public static let unit = Access.roles(unitRoles)
    public static let unitWrite = Access.roles(unitWriters)
    public static let admin = Access.roles([.admin])
    public static let partner = Access.roles([.partner])
    public static let anyPrincipal = Access.roles(unitRoles.union([.admin, .partner]))

    /// Whether a read-only role (a viewer) may call it: then the method only reads.
    var letsReadOnlyRolesIn: Bool {
        if case .roles(let r) = self { return !r.isDisjoint(with: Role.readOnly) }
        return false
    }

    var roleList: [String] {
        switch self {
        case .anyone: return ["anyone"]
        case .roles(let r): return r.sorted().map(\.rawValue)
        }
    }
}

/// One method of the protocol: its declaration and its handler, in one place, so the OpenRPC
/// document is built from exactly what the server does.
public struct RPCMethod: Sendable {
    public typealias Handler = @Sendable (Params, RequestContext) async throws -> JSON

    public let name: String
    public let summary: String
    public let params: [ParamSpec]
    public let access: Access
    /// Later lines on the connection wait for this one (login and logout change the session).
    public let sequential: Bool
    /// Which lane the method's requests run in: reports have a concurrency limit and a deadline
    /// of their own, so a flood of them cannot take the pool from light requests.
    public let lane: Lane
    /// The SQL function that is the method's statement, when it is declared with one (see
    /// SQLFunctionMethod.swift); listed in rpc.discover as `x-sql-function`.
    public let function: String?
    public let handler: Handler

    public enum Lane: Sendable {
        /// Writes, what only writers may call, and reads of one row by its key declared so (they
        /// hold a connection a fraction of a millisecond: 9 at once on two cores do not stretch
        /// into each other as lookups do): the pool's places.
        case standard
        /// Reads (what a read-only role may call): at most the read lane's places of the pool, so
        /// that the database's cores serve few reads at a time while writes wait on the disk.
        case read
        /// `reports.*`: a lane of their own with its share per caller and a longer deadline.
        case report
    }

    /// `lane` defaults to `.report` for `reports.*`, `.read` for a method a read-only role may call,
    /// and `.standard` for everything else.
    public init(_ name: String, summary: String, params: [ParamSpec] = [], access: Access, sequential: Bool = false,
                lane: Lane? = nil, function: String? = nil, handler: @escaping Handler) {
        self.name = name
        self.summary = summary
        self.params = params
        self.access = access
        self.sequential = sequential
        self.lane = lane ?? (name.hasPrefix("reports.") ? .report : access.letsReadOnlyRolesIn ? .read : .standard)
        self.function = function
        self.handler = handler
    }
}

/// What a handler gets besides its params: the session, a logger with the request id, the
/// protocol layer's services and the application the handler works for (`rpc.application`; the
/// CRM reads it as `ctx.services` and runs SQL through it, RequestContext+Database.swift).
public struct RequestContext: Sendable {
    public let session: Session
    public let principal: Principal?
    public let requestID: String
    public let logger: Logger
    public let rpc: RPCServices
    /// A statement still running after this is cancelled (-32008): the request deadline, or the
    /// report lane's.
    public let deadline: Duration

    public init(session: Session, principal: Principal?, requestID: String, logger: Logger, rpc: RPCServices, deadline: Duration) {
        self.session = session
        self.principal = principal
        self.requestID = requestID
        self.logger = logger
        self.rpc = rpc
        self.deadline = deadline
    }
}
