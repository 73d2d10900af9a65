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
///
/// ### Why wait for writability?
/// A client that never reads would otherwise make the server buffer all it is sent: a large
/// JSON answer is written `bodyChunkOctets` at a time, the next only once the channel can take
/// it, and the event stream writes nothing while it cannot. A reader that stays unable to take
/// anything for `slowReaderLimit` is disconnected, so what one client holds is bounded.
final class ClassViewHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let eventInterval = TimeAmount.milliseconds(100)
    static let keepAliveInterval = TimeAmount.seconds(15)
    static let bodyChunkOctets = 64 * 1024

    private let routes: ClassViewRoutes
    private let hosts: ClassViewHosts?
    private let slowReaderLimit: TimeAmount
    private var request: HTTPRequestHead?
    private var subscription: ClassRecord.Subscription?
    private var pendingChanges: [ClassRecord.Change] = []
    private var flushTask: Scheduled<Void>?
    private var keepAlive: RepeatedTask?
    private var missedChanges = false
    /// A response body not yet written, waiting for the channel to be writable.
    private var pendingBody: (octets: [UInt8], offset: Int, keepAlive: Bool)?
    /// Closes the connection if the reader has not taken anything by then.
    private var slowReaderDeadline: Scheduled<Void>?

    /// - Parameter hosts: the Host header values accepted (nil: any, for tests of the routes).
    init(routes: ClassViewRoutes, hosts: ClassViewHosts?, slowReaderLimit: TimeAmount = .seconds(30)) {
        self.routes = routes
        self.hosts = hosts
        self.slowReaderLimit = slowReaderLimit
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
            if let hosts, !hosts.accepts(host: head.headers.first(name: "Host"), isHTTP10: head.version.minor == 0) {
                respond(Self.misdirected(head, hosts: hosts), to: head, nonce: "", context: context)
                return
            }
            let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            switch routes.answer(method: head.method.rawValue, path: head.uri, scriptNonce: nonce) {
            case .events:
                startEvents(head: head, context: context)
            case .response(let response):
                respond(response, to: head, nonce: nonce, context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopEvents()
        pendingBody = nil
        slowReaderDeadline?.cancel()
        slowReaderDeadline = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            slowReaderDeadline?.cancel()
            slowReaderDeadline = nil
            if pendingBody != nil { writeBody(context: context) }
            if missedChanges, subscription != nil {
                missedChanges = false
                write(event: "resync", data: "{}", context: context)
                context.flush()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// RFC 9110 §15.5.20: 421, the request was directed at a server that is not able to answer
    /// for that name.
    /// RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400.
    static func misdirected(_ head: HTTPRequestHead, hosts: ClassViewHosts) -> ClassViewRoutes.Response {
        let given = head.headers.first(name: "Host").map { "Host: \(VisibleText.escape(String($0.prefix(200))))" }
        guard let given else {
            return ClassViewRoutes.Response(
                400, "text/plain; charset=utf-8",
                "400 Bad Request: an HTTP/1.1 request needs a Host header (RFC 9112 §3.2).\n")
        }
        let text =
            "421 Misdirected Request: the ehlo class view answers only to its own names "
            + "(localhost:\(hosts.port), the address it listens on"
            + (hosts.isPublic ? ", and the names given to --dashboard or of this machine" : "")
            + "); this request came with \(given). A page of another site that"
            + " resolves its name to this machine (DNS rebinding) cannot read the class view.\n"
        return ClassViewRoutes.Response(421, "text/plain; charset=utf-8", text)
    }

    private func respond(
        _ response: ClassViewRoutes.Response, to head: HTTPRequestHead, nonce: String, context: ChannelHandlerContext
    ) {
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
        // A misdirected request is answered and the connection ends: it was not for us.
        let keepAlive = head.isKeepAlive && response.status != 421 && response.status != 400
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        pendingBody = (head.method == .HEAD ? [] : response.body, 0, keepAlive)
        writeBody(context: context)
    }

    /// Writes what the channel takes of the pending body, then its end; the rest waits for
    /// `channelWritabilityChanged`.
    private func writeBody(context: ChannelHandlerContext) {
        guard var body = pendingBody else { return }
        while body.offset < body.octets.count {
            guard context.channel.isWritable else {
                pendingBody = body
                context.flush()
                awaitSlowReader(context: context)
                return
            }
            let end = min(body.offset + Self.bodyChunkOctets, body.octets.count)
            var buffer = context.channel.allocator.buffer(capacity: end - body.offset)
            buffer.writeBytes(body.octets[body.offset..<end])
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            body.offset = end
        }
        pendingBody = nil
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !body.keepAlive {
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// The reader takes nothing: if that lasts `slowReaderLimit`, it is disconnected.
    private func awaitSlowReader(context: ChannelHandlerContext) {
        guard slowReaderDeadline == nil else { return }
        slowReaderDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: slowReaderLimit) {
            self.slowReaderDeadline = nil
            guard !context.channel.isWritable else { return }
            context.close(promise: nil)
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
            handler.value.keepStreamAlive(context: sendableContext.value)
        }
    }

    private func keepStreamAlive(context: ChannelHandlerContext) {
        guard context.channel.isWritable else {
            awaitSlowReader(context: context)
            return
        }
        writeText(": keep-alive\n\n", context: context)
        context.flush()
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
            // Dropped, not buffered: the page reloads what it missed on `resync`.
            missedChanges = !changes.isEmpty || missedChanges
            awaitSlowReader(context: context)
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
