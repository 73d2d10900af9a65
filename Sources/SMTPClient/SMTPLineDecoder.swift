import NIOCore
import SMTPCore

/// The channel's end of `LineFramer`: bytes in, `SMTPLine`s out.
public struct SMTPLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SMTPLine

    private var framer: LineFramer

    public init(maximumLineLength: Int = 16 * 1024) {
        framer = LineFramer(maximumLineLength: maximumLineLength)
    }

    /// Bytes received that are not yet a complete line.
    public var bufferedByteCount: Int { framer.bufferedByteCount }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if buffer.readableBytes > 0 {
            framer.append(buffer.readableBytesView)
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        // Every complete line now: ByteToMessageHandler stops calling once its buffer is empty.
        while let line = framer.nextLine() {
            context.fireChannelRead(wrapInboundOut(line))
        }
        return .needMoreData
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        if let last = framer.finish() {
            context.fireChannelRead(wrapInboundOut(last))
        }
        return .needMoreData
    }
}
