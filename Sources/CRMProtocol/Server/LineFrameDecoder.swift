import NIOCore

/// One frame of input: a line without its `\n` / `\r\n`, or the news that a line grew past the cap.
enum LineFrame: Sendable {
    case line(ByteBuffer)
    case tooLong
}

/// Splits input at `\n` with a size cap. NIO's own line decoder has no cap; this one stops
/// buffering at `maxLength` bytes, reports `.tooLong` once and discards the rest.
/// Blank lines are skipped, so a person typing into `nc` can press Enter freely.
/// A line cut off by the client closing the connection is dropped unanswered.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFrame

    let maxLength: Int
    /// Bytes at the front of the buffer already known to hold no newline.
    private var scanned = 0
    private var discarding = false

    init(maxLength: Int) {
        self.maxLength = maxLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if discarding {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            if scanned > maxLength {
                discarding = true
                buffer.moveReaderIndex(to: buffer.writerIndex)
                context.fireChannelRead(wrapInboundOut(.tooLong))
            }
            return .needMoreData
        }
        var length = newline - view.startIndex
        scanned = 0
        if length > maxLength {
            discarding = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .needMoreData
        }
        let hasCR = length > 0 && view[newline - 1] == UInt8(ascii: "\r")
        if hasCR { length -= 1 }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: hasCR ? 2 : 1)
        if line.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)  // a half line at EOF is not a message
        return .needMoreData
    }
}

/// Closes a connection that has sent nothing for the idle timeout (IdleStateHandler's event).
final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
