import NIOCore

/// Runs a connection's tasks on the event loop that owns its channel.
///
/// Without it every request crossed threads four times: from the event loop to Swift's global
/// executor (the inbound sequence), to a child task, to the pool's libpq thread and back, and
/// to the event loop again for the write. On two cores those hand-offs (futex and eventfd
/// wake-ups, context switches) cost more CPU than the server's own work (perf: `__schedule` and
/// wake-ups were half the server's samples). With the connection's tasks preferring this
/// executor, only the database work leaves the loop: event loop → pool thread → event loop.
///
/// Nothing that blocks may run here: handlers await the pool for every database call, and
/// the CPU-heavy parts (JSON parse and write) are the same work the loop already did for
/// framing.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
