import Synchronization

/// The statements of a pool that run against a deadline, and the sweep that cancels the ones
/// past it.
///
/// One sweep every `interval` looks at the statements in flight, instead of a timer task per
/// request: arming and disarming are a dictionary insert and removal under a lock, where a
/// detached sleeping task cost a task, a timer and a wake-up of Swift's executor on every
/// request (most of them only to be cancelled). A deadline is kept to within `interval`.
final class DeadlineWatch: Sendable {
    private struct Entry {
        let due: ContinuousClock.Instant
        let connection: PQConnection
        let token: UInt64
    }

    let interval: Duration
    private let entries = Mutex<[UInt64: Entry]>([:])
    private let nextID = Atomic<UInt64>(0)

    init(interval: Duration = .milliseconds(50)) {
        self.interval = interval
    }

    /// Watches `connection`'s statement armed with `token` until `disarm`.
    func arm(_ connection: PQConnection, token: UInt64, after deadline: Duration) -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let entry = Entry(due: .now + deadline, connection: connection, token: token)
        entries.withLock { $0[id] = entry }
        return id
    }

    func disarm(_ id: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// Takes the statements past their deadline out of the watch: the caller cancels them.
    func overdue(at now: ContinuousClock.Instant = .now) -> [(connection: PQConnection, token: UInt64)] {
        entries.withLock { entries in
            var late: [(PQConnection, UInt64)] = []
            for (id, entry) in entries where entry.due <= now {
                late.append((entry.connection, entry.token))
                entries.removeValue(forKey: id)
            }
            return late
        }
    }
}
