import NIOCore

/// Tells a writer off the event loop when the channel can take more: the backpressure of
/// `SMTPConnection.stream(raw:timeout:)`.
///
/// The channel turns unwritable once more than its high water mark waits to go out, and writable
/// again when what waits drops under the low mark (`ChannelOptions.writeBufferWaterMark`). A
/// writer that waits here keeps what is in flight between the two, whatever the message's size.
final class WritabilityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var waiters: [EventLoopPromise<Void>] = []

    /// Succeeds at once if the channel is writable, else when it becomes so; fails if it closes first.
    /// Call on the event loop.
    func whenWritable(_ channel: Channel) -> EventLoopFuture<Void> {
        guard channel.isActive else { return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        if channel.isWritable { return channel.eventLoop.makeSucceededVoidFuture() }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        waiters.append(promise)
        return promise.futureResult
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { release { $0.succeed() } }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release { $0.fail(ChannelError.ioOnClosedChannel) }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release { $0.fail(ChannelError.ioOnClosedChannel) }
    }

    private func release(_ fulfil: (EventLoopPromise<Void>) -> Void) {
        let released = waiters
        waiters = []
        released.forEach(fulfil)
    }
}
