import CRMCore
import Logging
import NIOCore

/// A line, sorted out: what the connection loop needs to know before it runs anything.
enum IncomingLine: Sendable {
    case single(RPCMessage)
    case batch([RPCMessage])
    /// Not JSON at all (-32700), or an empty batch / a JSON scalar (-32600): answered at once.
    case rejected(CRMError)

    init(_ line: ByteBuffer, maxBatchSize: Int = .max) {
        let json: JSON
        do {
            json = try JSONParser.parse(line)
        } catch {
            self = .rejected(CRMError(.parseError, "parse error: \(error.description)"))
            return
        }
        switch json {
        case .array(let items):
            guard !items.isEmpty else {
                self = .rejected(CRMError(.invalidRequest, "invalid request: an empty batch"))
                return
            }
            guard items.count <= maxBatchSize else {
                self = .rejected(CRMError(.invalidRequest, "invalid request: a batch may hold at most \(maxBatchSize) messages",
                                          reason: "batch_too_large", limit: maxBatchSize))
                return
            }
            self = .batch(items.map(RPCMessage.init))
        default:
            self = .single(RPCMessage(json))
        }
    }
}

/// Runs messages against the registry: access, rate limit, params, handler, and the error
/// mapping. It never throws: every failure becomes the response the contract names.
struct Dispatcher: Sendable {
    let services: ServerServices
    let logger: Logger

    /// True when the line holds a method that changes the session (later lines must wait).
    func isSequential(_ line: IncomingLine) -> Bool {
        func seq(_ m: RPCMessage) -> Bool {
            if case .call(_, let method, _) = m { return services.registry[method]?.sequential ?? false }
            return false
        }
        switch line {
        case .single(let m): return seq(m)
        case .batch(let ms): return ms.contains(where: seq)
        case .rejected: return false
        }
    }

    /// The response to a line, or nil when it held only notifications.
    ///
    /// `slots` are the connection's places for requests in flight; the line holds one of them.
    /// Each element of a batch counts as a request of its own: the batch gives its place back,
    /// each element takes one while it runs, and the batch takes one again for its answer.
    func respond(to line: IncomingLine, session: Session, slots: AsyncSemaphore? = nil) async -> JSON? {
        switch line {
        case .rejected(let error):
            if let reason = error.reason { services.metrics.refused(reason) }
            return RPCResponse.error(id: nil, error)
        case .single(let message):
            return await respond(to: message, session: session)
        case .batch(let messages):
            // The elements of a batch run concurrently; their answers come back as one array.
            slots?.signal()
            let answers = await withTaskGroup(of: (Int, JSON?).self) { group in
                for (i, m) in messages.enumerated() {
                    await slots?.wait()
                    group.addTask {
                        defer { slots?.signal() }
                        return (i, await respond(to: m, session: session))
                    }
                }
                var out = [JSON?](repeating: nil, count: messages.count)
                for await (i, a) in group { out[i] = a }
                return out
            }
            await slots?.wait()
            let present = answers.compactMap { $0 }
            return present.isEmpty ? nil : .array(present)
        }
    }

    func respond(to message: RPCMessage, session: Session) async -> JSON? {
        switch message {
        case .invalid(let id, let reason):
            return RPCResponse.error(id: id, CRMError(.invalidRequest, "invalid request: \(reason)"))
        case .call(let id, let name, let params):
            let requestID = session.nextRequestID()
            var log = logger
            log[metadataKey: "request"] = "\(requestID)"
            log[metadataKey: "method"] = "\(name.prefix(64))"
            let started = ContinuousClock.now
            let outcome: Result<JSON, CRMError>
            services.metrics.requestStarted()
            do {
                outcome = .success(try await call(name, params, session: session, requestID: requestID, logger: log))
            } catch {
                outcome = .failure(error)
            }
            services.metrics.requestEnded()
            let elapsed = ContinuousClock.now - started
            // Labelled by the registry's names only: a client's made-up method is "unknown".
            let failure = outcome.failure
            services.metrics.requestFinished(method: failure?.code == .methodNotFound ? "unknown" : name,
                                             code: failure?.code.rawValue, duration: elapsed)
            switch outcome {
            case .success(let result):
                log.debug("ok", metadata: ["ms": "\(elapsed.milliseconds)"])
                return id.map { RPCResponse.result(id: $0, result) }
            case .failure(let error):
                let level: Logger.Level = error.code == .internalError ? .error : .debug
                log.log(level: level, "failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)", "ms": "\(elapsed.milliseconds)"])
                return id.map { RPCResponse.error(id: $0, error) }
            }
        }
    }

    private func call(_ name: String, _ rawParams: JSON?, session: Session, requestID: String, logger: Logger) async throws(CRMError) -> JSON {
        guard let method = services.registry[name] else {
            throw CRMError(.methodNotFound, "method not found: \(name.prefix(64))")
        }
        let principal = session.principal
        if case .roles(let roles) = method.access {
            guard let principal else {
                throw CRMError(.unauthenticated, "log in first with auth.login")
            }
            guard let role = principal.role, roles.contains(role) else {
                throw CRMError(.forbidden, "forbidden: \(name) is not open to role \(principal.accessRole)")
            }
        }
        // A logged-in session pays from its key's bucket, whatever the method; a session without
        // login (methods open to anyone) from the buckets of what it has, its connection and address.
        if let principal {
            guard services.rateLimiter.allow(principal.keyID) else {
                throw refused("rate limited: slow down and retry", reason: "rate_limit")
            }
        } else {
            guard services.anonymousPerConnection.allow(session.connectionID),
                  services.anonymousPerAddress.allow(session.remoteAddress) else {
                throw refused("rate limited: too many requests without login, slow down", reason: "rate_limit")
            }
        }
        let params = Params(try ParamValidation.validate(rawParams, against: method.params))
        let deadline = method.lane == .report ? services.limits.reportDeadline : services.limits.requestDeadline
        let context = RequestContext(session: session, principal: principal, requestID: requestID, logger: logger, services: services, deadline: deadline)
        if let principal, case .roles = method.access {
            return try await withShare(of: principal, lane: method.lane) { () async throws(CRMError) -> JSON in
                try await run(method, params, context, logger)
            }
        }
        return try await run(method, params, context, logger)
    }

    private func run(_ method: RPCMethod, _ params: Params, _ context: RequestContext, _ logger: Logger) async throws(CRMError) -> JSON {
        do {
            return try await method.handler(params, context)
        } catch {
            if !(error is CRMError) { logger.error("handler failed", metadata: ["error": "\(String(reflecting: error))"]) }
            throw CRMError.from(error)
        }
    }

    /// Runs `body` inside the caller's share (see ShareGate): another unit's or partner's
    /// requests pass a flooding caller's queued ones for the next free pool connection, and
    /// reports take a place in their own lane first, where nobody exceeds its share. Waiting
    /// longer than the pool's checkout time is answered -32029 when the caller held its share
    /// all along, else -32050 (busy).
    private func withShare(of principal: Principal, lane: RPCMethod.Lane, _ body: () async throws(CRMError) -> JSON) async throws(CRMError) -> JSON {
        let holder = principal.shareHolder
        let wait = services.database.pool.configuration.checkoutTimeout
        let gates = lane == .report ? [services.reportGate, services.poolGate] : [services.poolGate]
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
        return try await body()
    }

    private func refused(_ message: String, reason: String) -> CRMError {
        services.metrics.refused(reason)
        return CRMError(.rateLimited, message, reason: reason)
    }
}

extension Duration {
    var milliseconds: Double {
        let (s, attos) = components
        return Double(s) * 1000 + Double(attos) / 1e15
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
