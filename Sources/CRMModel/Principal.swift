public import Foundation

/// Who is making a request, as established by `auth.login`.
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case unit, partner, admin

        /// The unprivileged PostgreSQL role a request of this kind runs under.
        public var databaseRole: String {
            switch self {
            case .unit: return "crm_unit"
            case .partner: return "crm_partner"
            case .admin: return "crm_admin"
            }
        }
    }

    public let id: UUID
    /// The API key the session logged in with: revoking it ends the session at its next request.
    public let keyID: UUID
    public let kind: Kind
    public let tenantID: UUID?
    public let tenantSlug: String?
    public let partnerID: UUID?
    public let partnerSlug: String?
    /// The role inside the unit ("manager", "agent", ...), "partner" or "admin".
    public let appRole: String
    public let displayName: String

    public init(id: UUID, keyID: UUID, kind: Kind, tenantID: UUID?, tenantSlug: String?, partnerID: UUID?, partnerSlug: String?, appRole: String, displayName: String) {
        self.id = id
        self.keyID = keyID
        self.kind = kind
        self.tenantID = tenantID
        self.tenantSlug = tenantSlug
        self.partnerID = partnerID
        self.partnerSlug = partnerSlug
        self.appRole = appRole
        self.displayName = displayName
    }

    /// The unprivileged PostgreSQL role this principal's requests run under: a unit's viewer
    /// reads through `crm_viewer`, which holds no write privilege anywhere.
    public var databaseRole: String {
        kind == .unit && isReadOnly ? "crm_viewer" : kind.databaseRole
    }

    /// A unit role that only reads (`Role.readOnly`); its transactions are also `READ ONLY`.
    public var isReadOnly: Bool { kind == .unit && role.map(Role.readOnly.contains) == true }

    /// The role the access rules know it by; nil for an app role no method names.
    public var role: Role? { Role(rawValue: accessRole) }

    /// Whose share of the server a request uses: its unit, its partner, or the operators'.
    public var shareHolder: String {
        switch kind {
        case .unit: return "unit:" + (tenantID?.uuidString ?? "")
        case .partner: return "partner:" + (partnerID?.uuidString ?? "")
        case .admin: return "admin"
        }
    }

    /// The name a method's access list uses: "admin", "partner", or the unit role.
    public var accessRole: String {
        switch kind {
        case .admin: return "admin"
        case .partner: return "partner"
        case .unit: return appRole
        }
    }
}
