import Synchronization

/// A bounded number of places with a share per holder: at most `capacity` callers inside at once,
/// and `perHolder` of them for one holder (a business unit, a partner). Waiters are let in first
/// come, first served, except that a waiter whose holder has its share lets the ones behind it
/// pass, so a holder that floods the server waits behind its own requests, not in front of
/// everybody else's.
///
/// A `borrowing` gate lends places nobody else asks for: a holder alone may use them all, and
/// the next place that frees goes to another holder's waiter first (the pool: short requests, so
/// the others wait for one of them at most). A strict gate never lets a holder past its share
/// (the report lane: long requests, which nobody should have to wait out).
final class ShareGate: Sendable {
    enum Refusal: Error, Equatable {
        /// The holder had all its places the whole time: it asks for more than its share.
        case overShare
        /// The gate was full with other holders' requests the whole time.
        case full
    }

    private struct Waiter {
        let id: UInt64
        let holder: String
        let continuation: CheckedContinuation<Result<Void, Refusal>, Never>
    }

    private struct State {
        var inside = 0
        var byHolder: [String: Int] = [:]
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    let capacity: Int
    let perHolder: Int
    let borrowing: Bool
    private let state = Mutex(State())

    init(capacity: Int, perHolder: Int, borrowing: Bool) {
        self.capacity = max(1, capacity)
        self.perHolder = max(1, min(perHolder, capacity))
        self.borrowing = borrowing
    }

    /// Waits up to `timeout` for a place; every successful `enter` needs one `leave`.
    func enter(_ holder: String, timeout: Duration) async throws(Refusal) {
        let result: Result<Void, Refusal> = await withCheckedContinuation { continuation in
            let admitted = state.withLock { s -> UInt64? in
                // Waiters left while places are free all hold their share in a strict gate
                // (leave() lets every other one in), so a caller under its share may pass them.
                if s.inside < capacity, borrowing || s.byHolder[holder, default: 0] < perHolder {
                    s.inside += 1
                    s.byHolder[holder, default: 0] += 1
                    return nil
                }
                s.nextID += 1
                s.waiters.append(Waiter(id: s.nextID, holder: holder, continuation: continuation))
                return s.nextID
            }
            guard let id = admitted else {
                continuation.resume(returning: .success(()))
                return
            }
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.expire(id)
            }
        }
        try result.get()
    }

    func leave(_ holder: String) {
        let admitted = state.withLock { s -> [Waiter] in
            s.inside -= 1
            let left = s.byHolder[holder, default: 1] - 1
            s.byHolder[holder] = left > 0 ? left : nil
            return Self.admit(&s, capacity: capacity, perHolder: perHolder, borrowing: borrowing)
        }
        for w in admitted { w.continuation.resume(returning: .success(())) }
    }

    /// Places in use, for health and tests.
    var inside: Int { state.withLock { $0.inside } }

    private func expire(_ id: UInt64) {
        let expired = state.withLock { s -> (Waiter, Refusal)? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            let w = s.waiters.remove(at: i)
            return (w, s.byHolder[w.holder, default: 0] >= perHolder ? .overShare : .full)
        }
        if let (w, refusal) = expired { w.continuation.resume(returning: .failure(refusal)) }
    }

    /// Lets in, in order, every waiter whose holder is under its share while places are free;
    /// then, in a borrowing gate, the others in order.
    private static func admit(_ s: inout State, capacity: Int, perHolder: Int, borrowing: Bool) -> [Waiter] {
        var admitted: [Waiter] = []
        for overShare in borrowing ? [false, true] : [false] {
            var i = 0
            while s.inside < capacity, i < s.waiters.count {
                let w = s.waiters[i]
                if overShare || s.byHolder[w.holder, default: 0] < perHolder {
                    s.waiters.remove(at: i)
                    s.inside += 1
                    s.byHolder[w.holder, default: 0] += 1
                    admitted.append(w)
                } else {
                    i += 1
                }
            }
        }
        return admitted
    }
}
