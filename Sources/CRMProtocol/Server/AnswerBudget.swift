import Synchronization

/// Bytes of answers a connection has produced but not yet handed to its socket. The reader waits
/// (and so stops reading the client's input) while the total is over the budget: a client that
/// sends requests and never reads their answers holds at most about one budget of the server's
/// memory, plus the answers of the requests already in flight.
final class AnswerBudget: Sendable {
    private struct State {
        var pending = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Called when an answer is queued for the writer.
    func add(_ bytes: Int) {
        state.withLock { $0.pending += bytes }
    }

    /// Called once the writer handed an answer to the socket.
    func remove(_ bytes: Int) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.pending -= bytes
            guard s.pending <= limit else { return [] }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in ready { waiter.resume() }
    }

    /// Returns at once while the pending answers are within the budget, else when they are again.
    func waitUntilWithin() async {
        if state.withLock({ $0.pending <= limit }) { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.pending <= limit { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
