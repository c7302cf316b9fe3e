import CLibPQ
import Foundation
import Synchronization

/// Waits for libpq sockets to become ready, for statements sent without blocking
/// (`PQConnection.pipeline`): one thread for the whole process, blocked in `epoll_wait`.
///
/// A request's task sends its statements on its own thread (the connection's event loop), then
/// suspends here until the database's answer arrives; the answer is read where the task resumes.
/// Before, a pool thread was woken to send and slept in `recv` until the answer came: one more
/// thread wake-up per request, and a thread held for as long as the statement ran. Under load one
/// `epoll_wait` returns the answers of several connections at once.
final class PQPoller: Sendable {
    static let shared = PQPoller()

    private let epoll: Int32
    /// The task waiting on each socket (a connection has one waiter at a time: the pool's lease).
    private let waiting = Mutex<[Int32: CheckedContinuation<Void, Never>]>([:])

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: errno \(errno)")
        let thread = Thread { [self] in run() }
        thread.name = "PQPoller"
        thread.start()
    }

    /// Returns once `socket` is readable, or writable as well when `writable` is set, or has
    /// failed (hang-up, error): the caller's next libpq call finds out which. Returns at once when
    /// the socket cannot be watched, for the same reason.
    func wait(for socket: Int32, writable: Bool = false) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiting.withLock { $0[socket] = continuation }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue | (writable ? EPOLLOUT.rawValue : 0)
            event.data.fd = socket
            // One-shot: a socket stays in the set, disabled, after its event; a socket number
            // seen for the first time (or reused after a close, which leaves the set) is added.
            if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) == 0 { return }
            if errno == ENOENT, epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) == 0 { return }
            waiting.withLock { $0.removeValue(forKey: socket) }?.resume()
        }
    }

    private func run() {
        let capacity: Int32 = 64
        var events = [epoll_event](repeating: epoll_event(), count: Int(capacity))
        while true {
            let n = epoll_wait(epoll, &events, capacity, -1)
            guard n > 0 else { continue }  // EINTR
            let ready = waiting.withLock { waiting in
                (0..<Int(n)).compactMap { waiting.removeValue(forKey: events[$0].data.fd) }
            }
            for continuation in ready { continuation.resume() }
        }
    }
}
