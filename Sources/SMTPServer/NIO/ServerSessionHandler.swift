import NIOCore
import NIOSSL
import NIOTLS

/// Sent through a session's pipeline when the server stops: the session answers 421 and closes.
struct PracticeServerShutdownEvent: Sendable {}

/// What every session of one server shares.
struct SessionServices: Sendable {
    let configuration: SessionConfiguration
    let tlsContext: NIOSSLContext?
    let store: MessageStore
    let log: EventLog
    /// The greylist of a new session: its own, or the server's (`--greylist-reset`).
    let greylist: @Sendable () -> any GreylistMemory
    /// What the class view shows, when there is one.
    let record: ClassRecord?
    let idleTimeout: TimeAmount
    /// Runs blocking work (file writes) off the event loop.
    let runBlocking: @Sendable (EventLoop, @escaping @Sendable () throws -> String) -> EventLoopFuture<String>
}

/// The NIO shell around `ServerSessionStateMachine`: bytes in, actions run. Nothing is decided here.
///
/// Reading stops while a message is being stored, during a `.pause`, and while the client does
/// not read its replies (the channel is not writable), so a client that pipelines without end
/// cannot make the server buffer without bound.
final class ServerSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: ServerSessionStateMachine
    private let services: SessionServices
    private let label: String
    private let sessionNumber: Int
    private let peer: String
    private var idleTimer: Scheduled<Void>?
    private var isDelivering = false
    private var isPaused = false
    private var isDraining = false
    private var isReadPending = false
    private var isClosing = false
    private var lastWrite: EventLoopFuture<Void>?

    /// `peer` names the client in the log (`192.0.2.7:4000`, `unix:/run/ehlo/lmtp`).
    init(services: SessionServices, sessionNumber: Int, peer: String, clientAddress: ClientAddress, nonce: String) {
        self.services = services
        self.label = "#\(sessionNumber) \(peer)"
        self.sessionNumber = sessionNumber
        self.peer = peer
        self.machine = ServerSessionStateMachine(
            configuration: services.configuration, clientAddress: clientAddress, nonce: nonce,
            greylist: services.greylist())
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        services.log.write("\(label) connected")
        services.record?.sessionOpened(
            sessionNumber, client: peer, server: PracticeServer.describe(context.channel.localAddress))
        armIdleTimer(context: context)
        run(machine.connectionAccepted(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        services.record?.bytesReceived(sessionNumber, bytes)
        let records = machine.completedRecords
        run(machine.bytesReceived(bytes), context: context)
        if machine.completedRecords != records { armIdleTimer(context: context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            services.record?.tlsEstablished(sessionNumber)
            run(machine.tlsEstablished(), context: context)
        } else if event is PracticeServerShutdownEvent {
            run(machine.shutdownRequested(), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        run(machine.connectionClosed(), context: context)
        services.record?.sessionClosed(sessionNumber)
        services.log.write("\(label) disconnected")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A client that closes TCP without TLS close_notify ends its session; it is no error.
        if let error = error as? NIOSSLError, case .uncleanShutdown = error { return }
        services.log.write("\(label) error: \(error)")
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            drain(context: context)
            resumeReading(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if isDelivering || isPaused || machine.isReplyBudgetSpent || !context.channel.isWritable {
            isReadPending = true
        } else {
            context.read()
        }
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard isReadPending, !isDelivering, !isPaused, !machine.isReplyBudgetSpent, context.channel.isWritable
        else { return }
        isReadPending = false
        context.read()
    }

    // MARK: Actions

    /// Runs the machine's actions, then lets it read on while the client takes the replies.
    private func run(_ actions: [ServerSessionStateMachine.Action], context: ChannelHandlerContext) {
        perform(actions, context: context)
        drain(context: context)
    }

    /// Input the machine left for its reply budget, read while the channel is writable (a loop,
    /// not recursion: a fast reader could otherwise take the stack down).
    private func drain(context: ChannelHandlerContext) {
        guard !isDraining else { return }
        isDraining = true
        defer { isDraining = false }
        while machine.isReplyBudgetSpent, context.channel.isWritable, !isDelivering, !isPaused, !isClosing {
            perform(machine.readMore(), context: context)
        }
    }

    /// The one place with side effects: runs the machine's actions in order, then flushes.
    private func perform(_ actions: [ServerSessionStateMachine.Action], context: ChannelHandlerContext) {
        for (index, action) in actions.enumerated() {
            switch action {
            case .send(let reply):
                guard !isClosing else { continue }
                if services.configuration.isVerbose { services.log.write("\(label) \(SessionEvent.replySent(reply))") }
                services.record?.replySent(sessionNumber, reply)
                let bytes = reply.wireBytes
                var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.write(wrapOutboundOut(buffer), promise: promise)
                lastWrite = promise.futureResult
            case .startTLS:
                context.flush()
                guard let tlsContext = services.tlsContext else {
                    preconditionFailure("STARTTLS accepted without a TLS context")
                }
                // RFC 3207 §4: the 220 is already on its way in clear; everything after is TLS.
                do {
                    try context.pipeline.syncOperations.addHandler(
                        NIOSSLServerHandler(context: tlsContext), position: .first)
                } catch {
                    services.log.write("\(label) cannot start TLS: \(error)")
                    context.close(promise: nil)
                }
            case .deliver(let message):
                deliver(message, context: context)
            case .log(let event):
                services.log.write("\(label) \(event)")
            case .pause(let milliseconds):
                // On the event loop, not a sleep: other sessions on this thread go on meanwhile.
                let rest = Array(actions[(index + 1)...])
                isPaused = true
                context.flush()
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                    self.isPaused = false
                    self.run(rest, context: context)
                    self.run(self.machine.pauseEnded(), context: context)
                    self.armIdleTimer(context: context)
                    self.resumeReading(context: context)
                }
                return
            case .close:
                guard !isClosing else { continue }
                isClosing = true
                context.flush()
                if let lastWrite {
                    lastWrite.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                } else {
                    context.close(promise: nil)
                }
            }
        }
        context.flush()
    }

    private func deliver(_ message: ReceivedMessage, context: ChannelHandlerContext) {
        isDelivering = true
        let store = services.store
        let (record, number) = (services.record, sessionNumber)
        services.runBlocking(context.eventLoop) {
            let (id, _) = try store.store(message, session: number)
            record?.messageStored(number, id: id)
            return id
        }
        .assumeIsolated()
        .whenComplete { result in
            self.isDelivering = false
            switch result {
            case .success(let id):
                self.run(self.machine.deliveryCompleted(.stored(id: id)), context: context)
            case .failure(let error as MessageStore.StoreError) where error.isNoRoom:
                self.run(self.machine.deliveryCompleted(.noRoom(reason: "\(error)")), context: context)
            case .failure(let error):
                self.run(self.machine.deliveryCompleted(.failed(reason: "\(error)")), context: context)
            }
            self.armIdleTimer(context: context)
            self.resumeReading(context: context)
        }
    }

    /// RFC 5321 §4.5.3.2.7: a server waits at least 5 minutes for the next command (`--timeout`);
    /// armed at the start, after each complete record and after the server's own waits.
    private func armIdleTimer(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: services.idleTimeout) {
            self.run(self.machine.timedOut(), context: context)
        }
    }
}
