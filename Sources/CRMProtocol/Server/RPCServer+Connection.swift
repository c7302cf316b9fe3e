import CRMModel
import Logging
import NIOCore

extension RPCServer {
    /// Serves one connection: reads lines, runs up to `maxInFlightPerConnection` requests at once
    /// (answers may leave out of order), and writes answers through one writer task. Reading
    /// pauses while the answers waiting for the socket exceed `maxPendingAnswerBytes` (a client
    /// that does not read its answers stalls only itself). Errors here end this connection only.
    /// The connection's tasks run on its channel's event loop (EventLoopTaskExecutor).
    func serve(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>, dispatcher: Dispatcher) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(connection.channel.eventLoop)) {
            await serveOnItsLoop(connection, dispatcher: dispatcher)
        }
    }

    private func serveOnItsLoop(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>, dispatcher: Dispatcher) async {
        let limits = services.limits
        let (accepted, id) = connections.add(connection.channel, limit: limits.maxConnections)
        defer { connections.remove(connection.channel) }
        let allocator = connection.channel.allocator
        guard accepted else {
            services.metrics.refused("connections")
            let refusal = RPCResponse.error(id: nil, CRMError(.rateLimited, "too many connections, retry later", reason: "connections"))
            try? await connection.executeThenClose { _, outbound in
                try await outbound.write(RPCResponse.line(refusal, allocator: allocator))
            }
            return
        }
        services.metrics.connectionOpened()
        defer { services.metrics.connectionClosed() }
        let session = Session(connectionID: id, remoteAddress: connection.channel.remoteAddress?.ipAddress ?? "")
        var log = logger
        log[metadataKey: "connection"] = "\(id)"
        let connectionLogger = log

        do {
            try await connection.executeThenClose { inbound, outbound in
                let (answers, sink) = AsyncStream<ByteBuffer?>.makeStream()
                let slots = AsyncSemaphore(limits.maxInFlightPerConnection)
                let budget = AnswerBudget(limit: limits.maxPendingAnswerBytes)
                // Server-sent events go to the socket on the channel's event loop, beside the
                // answers' writer task: a unit's event reaching a thousand subscribers costs a
                // thousand small jobs on the event loops, not a thousand task wake-ups.
                let channel = connection.channel
                let events = EventOutlet(capacity: limits.maxQueuedEvents, allocator: allocator) { outlet in
                    channel.eventLoop.execute { outlet.flush(to: channel) }
                }
                session.attach(events)
                defer { events.close() }
                @Sendable func emit(_ json: JSON?) {
                    guard let json else { sink.yield(nil); return }
                    let line = RPCResponse.line(json, allocator: allocator)
                    budget.add(line.readableBytes)
                    sink.yield(line)
                }
                try await withThrowingTaskGroup(of: Void.self) { outer in
                    outer.addTask {
                        // The single writer of answers: a slot is freed once its answer is handed
                        // to the socket. After a failed write (the peer is gone) it keeps draining,
                        // so the reader never waits for a slot that would not come back.
                        var writable = true
                        for await buffer in answers {
                            if let buffer, writable {
                                do {
                                    try await outbound.write(buffer)
                                } catch {
                                    writable = false
                                    connection.channel.close(promise: nil)
                                }
                            }
                            if let buffer { budget.remove(buffer.readableBytes) }
                            slots.signal()
                        }
                    }
                    try await withThrowingDiscardingTaskGroup { requests in
                        for try await frame in inbound {
                            await slots.wait()
                            await budget.waitUntilWithin()
                            // A peer that went away (reset, or a failed write) leaves its unread
                            // requests in the buffers: they are dropped, not served to nobody.
                            guard connection.channel.isActive else { break }
                            guard case .line(let bytes) = frame else {
                                emit(RPCResponse.error(id: nil, CRMError(.lineTooLong, "line too long: the limit is \(limits.maxLineBytes) bytes")))
                                break
                            }
                            let line = IncomingLine(bytes, maxBatchSize: limits.maxBatchSize)
                            if dispatcher.isSequential(line) {
                                emit(await dispatcher.respond(to: line, session: session, slots: slots))
                            } else {
                                requests.addTask { emit(await dispatcher.respond(to: line, session: session, slots: slots)) }
                            }
                        }
                    }
                    sink.finish()
                    try await outer.waitForAll()
                }
            }
        } catch {
            connectionLogger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}
