import NIOCore

/// Closes a connection whose line has been arriving for longer than the limit: a client that sends
/// a byte a second never trips the idle timeout (it is never idle), but it cannot hold a
/// connection and a growing buffer open forever. Sits before the line decoder and watches the raw
/// bytes: a partial line starts the clock, a newline that ends the input stops it.
final class SlowLineGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limit: TimeAmount
    private var partialSince: NIODeadline?
    private var check: Scheduled<Void>?

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let view = bytes.readableBytesView
        if let last = view.last, last == UInt8(ascii: "\n") {
            partialSince = nil                       // everything so far ends in complete lines
        } else if view.contains(UInt8(ascii: "\n")) || partialSince == nil {
            partialSince = .now()                    // a new partial line starts in this chunk
            schedule(context: context)
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    private func schedule(context: ChannelHandlerContext) {
        check?.cancel()
        guard let since = partialSince else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: since + limit) { [weak self] in
            guard let self, let started = self.partialSince, started == since else { return }
            loopBound.value.close(promise: nil)
        }
    }
}
