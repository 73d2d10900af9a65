import NIOCore
import NIOHTTP1
import SMTPCore
import SMTPServer

/// One HTTP connection of the class view: answers each request from `ClassViewRoutes`, or turns
/// into a server-sent event stream (`GET /api/events`).
///
/// ### Why coalesce events?
/// A session reports every read: a message of 10 MB is hundreds of them. The stream sends each
/// changed session or message once per `eventInterval`, which is all a page needs to fetch it
/// again; a reader too slow to take even that (the channel is not writable) misses events and
/// gets `resync` once it catches up.
final class ClassViewHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let eventInterval = TimeAmount.milliseconds(100)
    static let keepAliveInterval = TimeAmount.seconds(15)

    private let routes: ClassViewRoutes
    private var request: HTTPRequestHead?
    private var subscription: ClassRecord.Subscription?
    private var pendingChanges: [ClassRecord.Change] = []
    private var flushTask: Scheduled<Void>?
    private var keepAlive: RepeatedTask?
    private var missedChanges = false

    init(routes: ClassViewRoutes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request, subscription == nil else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopEvents()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, missedChanges, subscription != nil {
            missedChanges = false
            write(event: "resync", data: "{}", context: context)
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        switch routes.answer(method: head.method.rawValue, path: head.uri, scriptNonce: nonce) {
        case .events:
            startEvents(head: head, context: context)
        case .response(let response):
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: String(response.body.count))
            headers.add(name: "Cache-Control", value: "no-store")
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            if response.contentType.hasPrefix("text/html") {
                let policy =
                    "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-\(nonce)'; connect-src 'self'"
                headers.add(name: "Content-Security-Policy", value: policy)
            }
            if response.status == 405 { headers.add(name: "Allow", value: "GET, HEAD") }
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            let status = HTTPResponseStatus(statusCode: response.status)
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                promise: nil)
            if head.method != .HEAD {
                var buffer = context.channel.allocator.buffer(capacity: response.body.count)
                buffer.writeBytes(response.body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            if !keepAlive {
                done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    // MARK: Server-sent events

    private func startEvents(head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))),
            promise: nil)
        // The browser retries after 2 s when the stream breaks (the server restarted, say).
        writeText("retry: 2000\n: ehlo class view events\n\n", context: context)
        context.flush()
        let loop = context.eventLoop
        let sendableContext = NIOLoopBound(context, eventLoop: loop)
        let handler = NIOLoopBound(self, eventLoop: loop)
        subscription = routes.record.subscribe { change in
            loop.execute { handler.value.changed(change, context: sendableContext.value) }
        }
        // A comment now and then: a page that went away is noticed (the write fails) and unsubscribed.
        keepAlive = loop.scheduleRepeatedTask(initialDelay: Self.keepAliveInterval, delay: Self.keepAliveInterval) {
            _ in
            handler.value.writeText(": keep-alive\n\n", context: sendableContext.value)
            sendableContext.value.flush()
        }
    }

    private func changed(_ change: ClassRecord.Change, context: ChannelHandlerContext) {
        guard subscription != nil else { return }
        if !pendingChanges.contains(change) { pendingChanges.append(change) }
        guard flushTask == nil else { return }
        flushTask = context.eventLoop.assumeIsolated().scheduleTask(in: Self.eventInterval) {
            self.flushTask = nil
            self.sendPending(context: context)
        }
    }

    private func sendPending(context: ChannelHandlerContext) {
        let changes = pendingChanges
        pendingChanges = []
        guard context.channel.isWritable else {
            missedChanges = !changes.isEmpty || missedChanges
            return
        }
        for change in changes {
            switch change {
            case .session(let id): write(event: "session", data: "{\"id\":\(id)}", context: context)
            case .message(let id): write(event: "message", data: JSONText.encode(["id": id]), context: context)
            }
        }
        context.flush()
    }

    private func write(event: String, data: String, context: ChannelHandlerContext) {
        writeText("event: \(event)\ndata: \(data)\n\n", context: context)
    }

    private func writeText(_ text: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    private func stopEvents() {
        if let subscription { routes.record.unsubscribe(subscription) }
        subscription = nil
        flushTask?.cancel()
        flushTask = nil
        keepAlive?.cancel()
        keepAlive = nil
    }
}
