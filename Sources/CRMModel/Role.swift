/// Who a principal is to the access rules: a unit user's role, a partner, or an operator. Methods
/// name the roles that may call them with these cases, so a misspelt role does not compile.
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    case manager, director, agent, marketing, designer, viewer
    case partner
    case admin

    /// The roles inside a business unit (`crm.principal.app_role` of a unit's principal).
    public static let unitRoles: Set<Role> = [.manager, .director, .agent, .marketing, .designer, .viewer]
    /// Unit roles that only read: their requests run as `crm_viewer` in READ ONLY transactions.
    public static let readOnly: Set<Role> = [.viewer]

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
}
