import CRMProtocol
import CRMCore
import Foundation

/// `auth.login`, `auth.logout`, `auth.whoami`.
enum AuthMethods {
    static func all() -> [RPCMethod] {
        [
            RPCMethod("auth.login", summary: "Starts a session with an API key; answers the principal.",
                      params: [.string("key", required: true, max: 200, "the API key")], access: .anyone, sequential: true) { params, ctx in
                guard let principal = try await ctx.services.database.authenticate(key: try params.requiredString("key")) else {
                    ctx.session.logout()
                    // Logged without the key, counted for server.health.
                    ctx.services.metrics.loginFailed()
                    ctx.logger.notice("login failed: unknown or revoked key", metadata: ["remote": "\(ctx.session.remoteAddress)"])
                    throw CRMError(.unauthenticated, "unknown or revoked API key")
                }
                ctx.session.login(principal)
                ctx.logger.info("login", metadata: ["principal": "\(principal.id)", "role": "\(principal.accessRole)"])
                return describe(principal)
            },
            RPCMethod("auth.logout", summary: "Ends the session; later calls need a new login.", access: .anyone, sequential: true) { _, ctx in
                ctx.session.logout()
                return ["ok": true]
            },
            RPCMethod("auth.whoami", summary: "The session's principal.", access: .anyPrincipal) { _, ctx in
                describe(ctx.principal!)
            },
        ]
    }

    static func describe(_ p: Principal) -> JSON {
        var o: JSONObject = [
            "principal_id": .string(p.id.uuidString.lowercased()),
            "kind": .string(p.kind.rawValue),
            "role": .string(p.accessRole),
            "name": .string(p.displayName),
        ]
        if let t = p.tenantSlug { o["tenant"] = .string(t) }
        if let partner = p.partnerSlug { o["partner"] = .string(partner) }
        return .object(o)
    }
}
