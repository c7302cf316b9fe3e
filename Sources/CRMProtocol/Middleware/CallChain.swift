import CRMModel
import Logging

/// One call on its way to a method's handler: what the steps of the chain read and fill in.
struct Call: Sendable {
    let method: RPCMethod
    let rawParams: JSON?
    let session: Session
    /// Who is logged in on the session, read once when the call starts (a login or logout on the
    /// connection waits for the calls before it; see RPCMethod.sequential).
    let principal: Principal?
    let requestID: String
    var logger: Logger
    /// Set by `ValidateParams`; the handler gets these.
    var params = Params(JSONObject())
    /// Set by `ChooseLane`: how long a statement of this call may run.
    var deadline: Duration = .seconds(30)
}

/// A cross-cutting step of a call (authentication, rate limit, parameter validation, the lane
/// and its deadline, the caller's share of the pool, logging and metrics). Each step does its
/// part and passes the call on with `next`, or ends it by throwing the error the client gets.
protocol CallStep: Sendable {
    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON
}

typealias Next = @Sendable (Call) async throws(CRMError) -> JSON

/// The steps, outermost first, and the handler at the end. Steps are values fixed when the server
/// starts; a call walks them in order, by index (each step gets the rest of the chain as `next`).
struct CallChain: Sendable {
    let steps: [any CallStep]
    let services: RPCServices

    func run(_ call: Call) async throws(CRMError) -> JSON {
        try await run(call, from: 0)
    }

    private func run(_ call: Call, from index: Int) async throws(CRMError) -> JSON {
        guard index < steps.count else { return try await invoke(call) }
        return try await steps[index].handle(call) { (next: Call) async throws(CRMError) -> JSON in
            try await self.run(next, from: index + 1)
        }
    }

    /// The method's handler; anything it throws that is not a CRMError is logged and mapped.
    private func invoke(_ call: Call) async throws(CRMError) -> JSON {
        let context = RequestContext(session: call.session, principal: call.principal, requestID: call.requestID,
                                     logger: call.logger, rpc: services, deadline: call.deadline)
        do {
            return try await call.method.handler(call.params, context)
        } catch {
            if !(error is CRMError) { call.logger.error("handler failed", metadata: ["error": "\(String(reflecting: error))"]) }
            throw CRMError.from(error)
        }
    }
}

extension CallChain {
    /// The server's chain: logged and counted; who may call, how often, with what, in which lane and share.
    static func standard(_ services: RPCServices) -> CallChain {
        CallChain(steps: [
            Observe(metrics: services.metrics),
            CheckAccess(),
            LimitRate(services: services),
            ValidateParams(),
            ChooseLane(limits: services.limits),
            TakeShare(services: services),
        ], services: services)
    }
}
