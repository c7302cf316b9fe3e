import CRMModel
import Logging
import NIOCore

extension RPCServer {
    /// What the connection's writer sends: an answer (nil: a request that needs none gives its
    /// slot back) or server-sent events waiting in the connection's EventOutlet.
    enum Outgoing: Sendable {
        case answer(ByteBuffer?)
        case events
    }

    /// Serves one connection: reads lines, runs up to `maxInFlightPerConnection` requests at once
    /// (answers may leave out of order), and writes answers through one writer task. Reading
    /// pauses while the answers waiting for the socket exceed `maxPendingAnswerBytes` (a client
    /// that does not read its answers stalls only itself). Errors here end this connection only.
    func serve(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>, dispatcher: Dispatcher) async {
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
                let (outgoing, sink) = AsyncStream<Outgoing>.makeStream()
                let slots = AsyncSemaphore(limits.maxInFlightPerConnection)
                let budget = AnswerBudget(limit: limits.maxPendingAnswerBytes)
                let events = EventOutlet(capacity: limits.maxQueuedEvents, allocator: allocator) { sink.yield(.events) }
                session.attach(events)
                defer { events.close() }
                @Sendable func emit(_ json: JSON?) {
                    guard let json else { sink.yield(.answer(nil)); return }
                    let line = RPCResponse.line(json, allocator: allocator)
                    budget.add(line.readableBytes)
                    sink.yield(.answer(line))
                }
                try await withThrowingTaskGroup(of: Void.self) { outer in
                    outer.addTask {
                        // The single writer of answers and events: a slot is freed once its answer
                        // is handed to the socket. After a failed write (the peer is gone) it keeps
                        // draining, so the reader never waits for a slot that would not come back.
                        var writable = true
                        for await item in outgoing {
                            switch item {
                            case .answer(let buffer):
                                if let buffer, writable { writable = await write(CollectionOfOne(buffer)) }
                                if let buffer { budget.remove(buffer.readableBytes) }
                                slots.signal()
                            case .events:
                                let lines = events.take()
                                if writable { writable = await write(lines) }
                                events.written(lines.count)
                            }
                        }
                        @Sendable func write(_ buffers: some Sequence<ByteBuffer>) async -> Bool {
                            do {
                                try await outbound.write(contentsOf: buffers)
                                return true
                            } catch {
                                events.close()
                                connection.channel.close(promise: nil)
                                return false
                            }
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
