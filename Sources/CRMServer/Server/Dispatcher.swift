import CRMCore
import Logging
import NIOCore

/// A line, sorted out: what the connection loop needs to know before it runs anything.
enum IncomingLine: Sendable {
    case single(RPCMessage)
    case batch([RPCMessage])
    /// Not JSON at all (-32700), or an empty batch / a JSON scalar (-32600): answered at once.
    case rejected(CRMError)

    init(_ line: ByteBuffer) {
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
    func respond(to line: IncomingLine, session: Session) async -> JSON? {
        switch line {
        case .rejected(let error):
            return RPCResponse.error(id: nil, error)
        case .single(let message):
            return await respond(to: message, session: session)
        case .batch(let messages):
            // The elements of a batch run concurrently; their answers come back as one array.
            let answers = await withTaskGroup(of: (Int, JSON?).self) { group in
                for (i, m) in messages.enumerated() {
                    group.addTask { (i, await respond(to: m, session: session)) }
                }
                var out = [JSON?](repeating: nil, count: messages.count)
                for await (i, a) in group { out[i] = a }
                return out
            }
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
            do {
                outcome = .success(try await call(name, params, session: session, requestID: requestID, logger: log))
            } catch {
                outcome = .failure(error)
            }
            let elapsed = ContinuousClock.now - started
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
            guard roles.contains(principal.accessRole) else {
                throw CRMError(.forbidden, "forbidden: \(name) is not open to role \(principal.accessRole)")
            }
            guard services.rateLimiter.allow(principal.keyID) else {
                throw CRMError(.rateLimited, "rate limited: slow down and retry", reason: "rate_limit")
            }
        }
        let params = Params(try ParamValidation.validate(rawParams, against: method.params))
        let context = RequestContext(session: session, principal: principal, requestID: requestID, logger: logger, services: services)
        do {
            return try await method.handler(params, context)
        } catch {
            if !(error is CRMError) { logger.error("handler failed", metadata: ["error": "\(String(reflecting: error))"]) }
            throw CRMError.from(error)
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let (s, attos) = components
        return Double(s) * 1000 + Double(attos) / 1e15
    }
}
