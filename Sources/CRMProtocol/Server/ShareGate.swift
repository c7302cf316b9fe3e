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
        let holder: String
        /// When the waiter gives up (its timeout; the sweep refuses it within `sweepInterval`).
        let due: ContinuousClock.Instant
        let continuation: CheckedContinuation<Result<Void, Refusal>, Never>
    }

    private struct State {
        var inside = 0
        var byHolder: [String: Int] = [:]
        var waiters: [Waiter] = []
    }

    let capacity: Int
    let perHolder: Int
    let borrowing: Bool
    private let state = Mutex(State())
    /// How often waiters past their time are refused: one sweep for the gate, where a timer task
    /// per waiter cost a task and a timer on every request that had to wait (at 64 x 4 against a
    /// pool of 9, nearly all of them), each left sleeping out its timeout after it got in.
    static let sweepInterval = Duration.milliseconds(50)
    private let sweeper = Mutex<Task<Void, Never>?>(nil)

    init(capacity: Int, perHolder: Int, borrowing: Bool) {
        self.capacity = max(1, capacity)
        self.perHolder = max(1, min(perHolder, capacity))
        self.borrowing = borrowing
        let sweep = Task.detached { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.sweepInterval)
                guard let self else { return }
                self.expireOverdue()
            }
        }
        sweeper.withLock { $0 = sweep }
    }

    deinit {
        sweeper.withLock { $0?.cancel() }
    }

    /// Waits up to `timeout` for a place; every successful `enter` needs one `leave`.
    func enter(_ holder: String, timeout: Duration) async throws(Refusal) {
        // A free place: in at once, without suspending.
        if state.withLock({ s in Self.tryEnter(&s, holder, capacity: capacity, perHolder: perHolder, borrowing: borrowing) }) { return }
        let due = ContinuousClock.now + timeout
        let result: Result<Void, Refusal> = await withCheckedContinuation { continuation in
            let admitted = state.withLock { s -> Bool in
                if Self.tryEnter(&s, holder, capacity: capacity, perHolder: perHolder, borrowing: borrowing) { return true }
                s.waiters.append(Waiter(holder: holder, due: due, continuation: continuation))
                return false
            }
            if admitted { continuation.resume(returning: .success(())) }
        }
        try result.get()
    }

    /// Takes a place when one is free for `holder`. Waiters left while places are free all hold
    /// their share in a strict gate (leave() lets every other one in), so a caller under its
    /// share may pass them.
    private static func tryEnter(_ s: inout State, _ holder: String, capacity: Int, perHolder: Int, borrowing: Bool) -> Bool {
        guard s.inside < capacity, borrowing || s.byHolder[holder, default: 0] < perHolder else { return false }
        s.inside += 1
        s.byHolder[holder, default: 0] += 1
        return true
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

    /// Refuses the waiters whose time is up: over their share when their holder had all its
    /// places, else because the gate was full.
    private func expireOverdue(at now: ContinuousClock.Instant = .now) {
        let expired = state.withLock { s -> [(Waiter, Refusal)] in
            guard s.waiters.contains(where: { $0.due <= now }) else { return [] }
            var expired: [(Waiter, Refusal)] = []
            let byHolder = s.byHolder
            s.waiters.removeAll { w in
                guard w.due <= now else { return false }
                expired.append((w, byHolder[w.holder, default: 0] >= perHolder ? .overShare : .full))
                return true
            }
            return expired
        }
        for (w, refusal) in expired { w.continuation.resume(returning: .failure(refusal)) }
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
