import CRMModel
import Logging

/// The outermost step: counts the call in flight, and when it ends logs its outcome and records
/// its latency by method and result code.
struct Observe: CallStep {
    let metrics: ServerMetrics

    func handle(_ call: Call, next: Next) async throws(CRMError) -> JSON {
        let started = ContinuousClock.now
        metrics.requestStarted()
        defer { metrics.requestEnded() }
        do {
            let result = try await next(call)
            Self.finished(call.method.name, .success(result), after: ContinuousClock.now - started, call.logger, metrics)
            return result
        } catch {
            Self.finished(call.method.name, .failure(error), after: ContinuousClock.now - started, call.logger, metrics)
            throw error
        }
    }

    /// Logs and counts one outcome. Also for a call that never reached the chain (a method this
    /// server does not have, labelled "unknown" so a client cannot make up metric labels).
    static func finished(_ method: String, _ outcome: Result<JSON, CRMError>, after elapsed: Duration, _ logger: Logger,
                         _ metrics: ServerMetrics) {
        switch outcome {
        case .success:
            metrics.requestFinished(method: method, code: nil, duration: elapsed)
            logger.debug("ok", metadata: ["ms": "\(elapsed.milliseconds)"])
        case .failure(let error):
            metrics.requestFinished(method: error.code == .methodNotFound ? "unknown" : method, code: error.code.rawValue, duration: elapsed)
            let level: Logger.Level = error.code == .internalError ? .error : .debug
            logger.log(level: level, "failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)", "ms": "\(elapsed.milliseconds)"])
        }
    }
}

extension Duration {
    public var milliseconds: Double {
        let (s, attos) = components
        return Double(s) * 1000 + Double(attos) / 1e15
    }
}
