import CLibPQ

extension PQConnection {
    /// Sends every statement in one round trip (libpq pipeline mode) and returns each statement's
    /// outcome, in order. After a failure the server skips the rest up to the sync; those come
    /// back as `.failure` with code `.pipelineAborted`. An open transaction is left as the
    /// statements left it: the caller rolls back.
    ///
    /// Never blocks its thread: the connection is non-blocking for the call, and while the answer
    /// is on its way the task waits in `PQPoller` (so this may run on an event loop).
    public func pipeline(_ queries: [PQQuery]) async throws(PQError) -> [Result<PQResult, PQError>] {
        guard PQsetnonblocking(raw, 1) == 0 else { throw PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost) }
        defer { _ = PQsetnonblocking(raw, 0) }
        guard PQenterPipelineMode(raw) == 1 else { throw PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost) }
        // Each command sent, and the query it belongs to (nil for a Prepare).
        var sent: [(owner: Int?, sql: String)] = []
        var sendFailure: PQError?
        for (i, q) in queries.enumerated() {
            var ok: Int32 = 1
            if let name = preparedName(for: q.sql) {
                ok = sendPrepared(name, q)
                sent.append((i, q.sql))
            } else if let name = reserveStatementName(for: q.sql) {
                ok = PQsendPrepare(raw, name, q.sql, 0, nil)
                sent.append((nil, q.sql))
                if ok == 1 {
                    ok = sendPrepared(name, q)
                    sent.append((i, q.sql))
                }
            } else {
                ok = withParameters(q.parameters) { n, values in PQsendQueryParams(raw, q.sql, n, nil, values, nil, nil, 0) }
                sent.append((i, q.sql))
            }
            if ok != 1 {
                sendFailure = PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost, query: q.sql)
                break
            }
        }
        if sendFailure == nil {
            let sentAll = PQpipelineSync(raw) == 1 ? await flushed() : false
            if !sentAll { sendFailure = PQError.connection(raw, code: .connectionLost) }
        }

        var outcomes = [Result<PQResult, PQError>](repeating: .failure(PQError(.pipelineAborted, "skipped after an earlier failure")), count: queries.count)
        for command in sent {
            var last: OpaquePointer?
            while let r = await nextResult() {
                if let previous = last { PQclear(previous) }
                last = r
                if PQresultStatus(r) == PGRES_PIPELINE_SYNC { break }
            }
            let outcome: Result<PQResult, PQError>
            if let result = last {
                if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                    PQclear(result)
                    outcome = .failure(PQError(.pipelineAborted, "skipped after an earlier failure"))
                } else {
                    do { outcome = .success(try check(result, query: command.sql, expect: nil)) } catch { outcome = .failure(error) }
                }
            } else {
                outcome = .failure(sendFailure ?? PQError.connection(raw, code: isHealthy ? .unexpected : .connectionLost, query: command.sql))
            }
            if let owner = command.owner {
                outcomes[owner] = outcome
            } else if case .failure = outcome {
                forgetStatement(command.sql)  // the Prepare failed: do not use the name later
            }
        }
        // The sync's own result, then back to normal mode.
        if sendFailure == nil, let sync = await nextResult() { PQclear(sync) }
        if PQexitPipelineMode(raw) != 1 {
            while let r = await nextResult() { PQclear(r) }
            _ = PQexitPipelineMode(raw)
        }
        if let sendFailure, sent.isEmpty { throw sendFailure }
        return outcomes
    }

    private func sendPrepared(_ name: String, _ q: PQQuery) -> Int32 {
        withParameters(q.parameters) { n, values in PQsendQueryPrepared(raw, name, n, values, nil, nil, 0) }
    }

    /// Sends what libpq still buffers, waiting for the socket as needed (libpq's non-blocking
    /// rule: on read-readiness consume input, then flush again). False when the connection failed.
    private func flushed() async -> Bool {
        while true {
            switch PQflush(raw) {
            case 0: return true
            case 1:
                await PQPoller.shared.wait(for: PQsocket(raw), writable: true)
                guard PQconsumeInput(raw) == 1 else { return false }
            default: return false
            }
        }
    }

    /// `PQgetResult` once it no longer blocks: waits for input while libpq says it would. On a
    /// failed connection libpq answers at once, with an error result.
    private func nextResult() async -> OpaquePointer? {
        while PQisBusy(raw) == 1 {
            await PQPoller.shared.wait(for: PQsocket(raw))
            guard PQconsumeInput(raw) == 1 else { break }
        }
        return PQgetResult(raw)
    }
}

extension PQError.Code {
    /// A pipelined statement the server skipped because an earlier one failed.
    public static let pipelineAborted = PQError.Code("pipelineAborted")
}
