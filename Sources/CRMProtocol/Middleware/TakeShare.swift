import CRMModel

/// The caller's share of the server (see ShareGate), for methods that need a login: another
/// unit's or partner's requests pass a flooding caller's queued ones for the next free pool
/// connection; reports take a place in their own lane first, where nobody exceeds its share, and
/// reads one in the read lane (at most half the pool at once).
/// Waiting longer than the pool's checkout time is answered -32029 when the caller held its share
/// all along, else -32050 (busy).
struct TakeShare: CallStep {
    let services: RPCServices

    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON {
        guard let principal = call.principal, case .roles = call.method.access else { return try await next(call) }
        let holder = principal.shareHolder
        let wait = services.gateTimeout
        let gates: [ShareGate]
        switch call.method.lane {
        case .report: gates = [services.reportGate, services.poolGate]
        case .read: gates = [services.readGate, services.poolGate]
        case .standard: gates = [services.poolGate]
        }
        var entered: [ShareGate] = []
        defer { for gate in entered { gate.leave(holder) } }
        for gate in gates {
            do {
                try await gate.enter(holder, timeout: wait)
            } catch .overShare {
                let reason = gate === services.reportGate ? "report_share" : "share"
                services.metrics.refused(reason)
                throw CRMError(.rateLimited, "over this \(principal.kind == .partner ? "partner" : "unit")'s share of the server: slow down and retry",
                               reason: reason, limit: gate.perHolder)
            } catch {
                services.metrics.refused("busy")
                throw CRMError(.databaseUnavailable, "the server is busy, retry later", reason: "busy")
            }
            entered.append(gate)
        }
        return try await next(call)
    }
}
