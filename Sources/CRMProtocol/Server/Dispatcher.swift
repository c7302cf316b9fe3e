import CRMModel
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

/// Runs messages against the registry: each call goes through the chain of steps (CallChain:
/// observe, access, rate limit, params, lane, share) to its handler. It never throws: every
/// failure becomes the response the contract names.
struct Dispatcher: Sendable {
    let services: RPCServices
    let logger: Logger
    let chain: CallChain

    init(services: RPCServices, logger: Logger) {
        self.services = services
        self.logger = logger
        self.chain = .standard(services)
    }

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
            let outcome: Result<JSON, CRMError>
            if let method = services.registry[name] {
                let call = Call(method: method, rawParams: params, session: session, principal: session.principal,
                                requestID: requestID, logger: log)
                do throws(CRMError) { outcome = .success(try await chain.run(call)) } catch { outcome = .failure(error) }
            } else {
                let error = CRMError(.methodNotFound, "method not found: \(name.prefix(64))")
                Observe.finished(name, .failure(error), after: .zero, log, services.metrics)
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let result): return id.map { RPCResponse.result(id: $0, result) }
            case .failure(let error): return id.map { RPCResponse.error(id: $0, error) }
            }
        }
    }
}
