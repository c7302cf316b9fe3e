public import PQ

/// Operator actions shared by the `crm` CLI, the demo seed and the tests. Each runs on a
/// connection the caller owns, in a transaction as `crm_admin` (never as the login role).
public enum AdminOperations {
    /// The principal a new key belongs to.
    public enum Holder: Sendable {
        case unit(tenant: String, role: String)
        case partner(String)
        case admin

        var kind: String {
            switch self {
            case .unit: return "unit"
            case .partner: return "partner"
            case .admin: return "admin"
            }
        }
    }

    public static func createTenant(_ conn: PQConnection, slug: String, name: String) throws {
        try asAdmin(conn) { c in try c.query("select crm.create_tenant(\(slug), \(name))") }
    }

    public static func createPartner(_ conn: PQConnection, slug: String, name: String) throws {
        try asAdmin(conn) { c in try c.query("select crm.create_partner(\(slug), \(name))") }
    }

    /// Creates a principal for `holder` and an API key for it; returns the key (only its hash is
    /// stored).
    public static func issueKey(_ conn: PQConnection, for holder: Holder, name: String? = nil) throws -> String {
        let key = APIKey.generate()
        var tenant: String?, partner: String?, role: String
        switch holder {
        case .unit(let t, let r): (tenant, role) = (t, r)
        case .partner(let p): (partner, role) = (p, "partner")
        case .admin: role = "admin"
        }
        let display = name ?? "\(tenant ?? partner ?? "operator") \(role)"
        try asAdmin(conn) { c in
            let principal: String = try c.query("""
                select crm.create_principal(\(holder.kind), \(tenant), \(partner), \(role), \(display))::text as id
                """)[0].get("id")
            try c.query("select crm.create_api_key(\(principal)::uuid, \(key))")
        }
        return key
    }

    /// Runs `body` in a transaction under the unprivileged operator role.
    @discardableResult
    public static func asAdmin<T>(_ conn: PQConnection, _ body: (PQConnection) throws -> T) throws -> T {
        try conn.transaction { c in
            try c.query("select set_config('role', 'crm_admin', true)")
            let value = try body(c)
            // Inside a caller's transaction this was a savepoint, whose settings outlive it.
            try c.execute(unsafeSQL: "reset role")
            return value
        }
    }
}
