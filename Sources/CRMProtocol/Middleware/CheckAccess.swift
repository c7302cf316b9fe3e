import CRMModel

/// Who may call: methods open to anyone pass; the others need a login whose role the method's
/// access names (-32001 without a login, -32003 with the wrong role).
struct CheckAccess: CallStep {
    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON {
        if case .roles(let roles) = call.method.access {
            guard let principal = call.principal else {
                throw CRMError(.unauthenticated, "log in first with auth.login")
            }
            guard let role = principal.role, roles.contains(role) else {
                throw CRMError(.forbidden, "forbidden: \(call.method.name) is not open to role \(principal.accessRole)")
            }
        }
        return try await next(call)
    }
}
