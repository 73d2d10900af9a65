import NIOCore
import SMTPCore

/// The channel's end of `LineFramer`: bytes in, `SMTPLine`s out.
///
/// ### Why a handler, not a `ByteToMessageDecoder`?
/// STARTTLS must know, at the moment TLS starts, exactly which plaintext bytes are still
/// unread, and throw them away (RFC 3207 §6). A decoder's state is out of reach inside
/// `ByteToMessageHandler`; this handler's framer is not.
final class SMTPLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPLine

    private var framer: LineFramer

    init(maximumLineLength: Int = 16 * 1024) {
        framer = LineFramer(maximumLineLength: maximumLineLength)
    }

    /// Drops the bytes of an unfinished line; returns how many there were.
    func discardBufferedBytes() -> Int {
        defer { framer = LineFramer(maximumLineLength: framer.maximumLineLength) }
        return framer.bufferedByteCount
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        framer.append(unwrapInboundIn(data).readableBytesView)
        while let line = framer.nextLine() {
            context.fireChannelRead(wrapInboundOut(line))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let last = framer.finish() {
            context.fireChannelRead(wrapInboundOut(last))
        }
        context.fireChannelInactive()
    }
}
