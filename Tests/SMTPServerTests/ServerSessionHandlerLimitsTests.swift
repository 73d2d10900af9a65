import NIOCore
import NIOEmbedded
import Testing

@testable import SMTPServer

@Suite("The NIO handler against hostile clients")
struct ServerSessionHandlerLimitsTests {
    private func channel(
        idleTimeout: TimeAmount = .seconds(300), _ configure: (inout SessionConfiguration) -> Void = { _ in }
    ) throws -> EmbeddedChannel {
        let log = CollectedLog()
        var configuration = SessionConfiguration()
        configuration.offersTLS = false
        configure(&configuration)
        let services = SessionServices(
            configuration: configuration, tlsContext: nil,
            store: try MessageStore(destination: .discard, domain: configuration.domain, log: log.log),
            log: log.log, greylist: { LockedGreylist(delay: 0) }, record: nil, idleTimeout: idleTimeout,
            runBlocking: { eventLoop, body in eventLoop.makeCompletedFuture(withResultOf: body) })
        let channel = EmbeddedChannel(
            handler: ServerSessionHandler(
                services: services, sessionNumber: 1, peer: "192.0.2.7:4000", clientAddress: .ip("192.0.2.7"),
                nonce: "x"))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 25)).wait()
        #expect(try channel.receivedText().hasPrefix("220 "))
        return channel
    }

    /// Slowloris: bytes that never make a line do not restart the timeout; a complete line does.
    @Test func tricklingBytesDoNotKeepTheSessionOpen() throws {
        let channel = try channel(idleTimeout: .seconds(10))
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        try channel.sendText("NOOP\r\n")
        #expect(try channel.receivedText().hasPrefix("250 "))
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(3))
            try channel.sendText("N")
        }
        #expect(try channel.receivedText().isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try channel.receivedText().hasPrefix("421 4.4.2"))
        #expect(!channel.isActive)
    }

    /// The pause after a failed AUTH is a timer on the event loop; the pipelined NOOP waits for it.
    @Test func failedAuthReplyWaitsOnTheEventLoop() throws {
        let channel = try channel {
            $0.allowsPlainAuth = true
            $0.authFailureDelay = 1000
        }
        let wrong = SASLExchange.base64("\0student\0wrong")
        try channel.sendText("EHLO c.test\r\n")
        _ = try channel.receivedText()
        try channel.sendText("AUTH PLAIN \(wrong)\r\nNOOP\r\n")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        #expect(try channel.receivedText().isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        let replies = try channel.receivedText().split(separator: "\r\n").map { String($0.prefix(3)) }
        #expect(replies == ["535", "250"])
        try channel.sendText("AUTH PLAIN \(wrong)\r\n")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
        #expect(try channel.receivedText().isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try channel.receivedText().hasPrefix("535 5.7.8"))
    }

    /// A client that pipelines without reading gets at most a reply budget queued while the channel
    /// is not writable; the rest follows once it is.
    @Test func repliesWaitForTheClientToRead() throws {
        let channel = try channel()
        try channel.sendText("EHLO c.test\r\n")
        _ = try channel.receivedText()
        channel.isWritable = false
        try channel.sendText(String(repeating: "HELP LAB\r\n", count: 1000))
        let first = try channel.receivedText()
        #expect(first.utf8.count >= ServerSessionStateMachine.replyBudget)
        #expect(first.utf8.count < 2 * ServerSessionStateMachine.replyBudget)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        let rest = try channel.receivedText()
        let helpReplies = (first + rest).components(separatedBy: "\r\n").filter { $0.hasPrefix("214 ") }
        #expect(helpReplies.count == 1000)
    }
}
