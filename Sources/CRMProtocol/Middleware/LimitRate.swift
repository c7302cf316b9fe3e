import CRMModel

/// How often: a logged-in session pays from its key's bucket, whatever the method; a session
/// without login (methods open to anyone) from the buckets of what it has, its connection and its
/// address (-32029 when empty).
struct LimitRate: CallStep {
    let services: RPCServices

    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON {
        if let principal = call.principal {
            guard services.rateLimiter.allow(principal.keyID) else {
                throw refused("rate limited: slow down and retry")
            }
        } else {
            guard services.anonymousPerConnection.allow(call.session.connectionID),
                  services.anonymousPerAddress.allow(call.session.remoteAddress) else {
                throw refused("rate limited: too many requests without login, slow down")
            }
        }
        return try await next(call)
    }

    private func refused(_ message: String) -> CRMError {
        services.metrics.refused("rate_limit")
        return CRMError(.rateLimited, message, reason: "rate_limit")
    }
}
