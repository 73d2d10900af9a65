import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing

@testable import SMTPServer

/// Collects what the server logs (and, with `.standardOutput`, the messages it stores).
final class CollectedLog: Sendable {
    private let lines = NIOLockedValueBox([String]())
    var text: String { lines.withLockedValue { $0.joined() } }
    var log: EventLog { EventLog { [lines] line in lines.withLockedValue { $0.append(line) } } }
}

func makeServices(
    log: CollectedLog, tlsContext: NIOSSLContext? = nil, allowPlainAuth: Bool = false, record: ClassRecord? = nil
) throws
    -> SessionServices
{
    var configuration = SessionConfiguration()
    configuration.offersTLS = tlsContext != nil
    configuration.allowsPlainAuth = allowPlainAuth
    let eventLog = log.log
    return SessionServices(
        configuration: configuration, tlsContext: tlsContext,
        store: try MessageStore(
            destination: .standardOutput, domain: configuration.domain, log: eventLog, shelf: record?.shelf),
        log: eventLog, greylist: { LockedGreylist(delay: 0) }, record: record, idleTimeout: .seconds(300),
        runBlocking: { eventLoop, body in eventLoop.makeCompletedFuture(withResultOf: body) })
}

extension EmbeddedChannel {
    func sendText(_ text: String) throws {
        try writeInbound(ByteBuffer(string: text))
    }

    /// Everything the server wrote since the last call, as text.
    func receivedText() throws -> String {
        var text = ""
        while var buffer = try readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }
}

@Suite("The NIO handler around the session")
struct ServerSessionHandlerTests {
    @Test func greetsServesPipelinedCommandsStoresAndCloses() throws {
        let log = CollectedLog()
        let channel = EmbeddedChannel(
            handler: ServerSessionHandler(
                services: try makeServices(log: log), sessionNumber: 1, peer: "192.0.2.7:4000",
                clientAddress: .ip("192.0.2.7"), nonce: "x"))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 25)).wait()
        #expect(try channel.receivedText().hasPrefix("220 practice.test ESMTP"))
        try channel.sendText("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n")
        let replies = try channel.receivedText().split(separator: "\r\n").map { String($0.prefix(3)) }
        #expect(replies.last == "354")
        try channel.sendText("Subject: hello\r\n\r\n..stuffed\r\n.\r\nQUIT\r\n")
        let end = try channel.receivedText()
        #expect(end.hasPrefix("250 2.0.0 Ok: queued as "))
        #expect(end.hasSuffix("221 2.0.0 practice.test closing connection\r\n"))
        #expect(!channel.isActive)
        #expect(log.text.contains("Subject: hello\n\n.stuffed\n"))
        #expect(log.text.contains("#1 192.0.2.7:4000 connected"))
        #expect(log.text.contains("Received: from c.test ([192.0.2.7])"))
    }

    @Test func idleSessionGets421() throws {
        let log = CollectedLog()
        var services = try makeServices(log: log)
        services = SessionServices(
            configuration: services.configuration, tlsContext: nil, store: services.store, log: services.log,
            greylist: services.greylist, record: nil, idleTimeout: .seconds(10), runBlocking: services.runBlocking)
        let channel = EmbeddedChannel(
            handler: ServerSessionHandler(
                services: services, sessionNumber: 2, peer: "[::1]:9", clientAddress: .ip("::1"), nonce: "x"))
        try channel.connect(to: SocketAddress(ipAddress: "::1", port: 25)).wait()
        _ = try channel.receivedText()
        channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        #expect(try channel.receivedText().hasPrefix("421 4.4.2"))
        #expect(!channel.isActive)
    }
}

@Suite("Clients of a UNIX-domain socket")
struct UnixSocketClientTests {
    @Test func theClientIsNamedByTheSocketItCameThrough() {
        var session = ServerSessionStateMachine.test(
            { $0.isLMTP = true }, clientAddress: .unixSocket(path: "/run/lmtp"))
        _ = session.connectionAccepted()
        #expect(
            session.line("LHLO c.test").replies.first?.lines.first == "250-practice.test greets c.test unix:/run/lmtp")
        #expect(session.reply("HELP STATUS")?.texts[1] == "client unix:/run/lmtp, greeted as c.test")
    }

    @Test func receivedHeaderHasTCPInfoOnlyForTCPClients() {
        // RFC 5321 §4.4: TCP-info is the address literal; a UNIX-domain socket has none to give.
        func received(from client: ClientAddress) -> String {
            let message = ReceivedMessage(
                sender: "a@b.test", recipients: ["student@practice.test", "teacher@practice.test"], content: [],
                heloName: "c.test", clientAddress: client, protocolName: "LMTP", authenticatedUser: nil)
            let headers = MessageStore.traceHeaders(
                message, id: "Q1", domain: "practice.test", date: Date(timeIntervalSince1970: 0))
            return String(decoding: headers, as: UTF8.self)
        }
        #expect(received(from: .ip("192.0.2.1")).contains("Received: from c.test ([192.0.2.1])\n\tby practice.test"))
        #expect(received(from: .ip("::1")).contains("Received: from c.test ([IPv6:::1])\n"))
        #expect(received(from: .unixSocket(path: "/run/lmtp")).contains("Received: from c.test\n\tby practice.test"))
    }
}

@Suite("STARTTLS, with a real TLS handshake in memory")
struct ServerTLSTests {
    @Test func startTLSThenEHLOOverTLSOffersAuth() throws {
        let (serverContext, _, _) = try PracticeCertificate.makeContext(
            domain: "practice.test", certificateFile: nil, keyFile: nil)
        let log = CollectedLog()
        let server = EmbeddedChannel(
            handler: ServerSessionHandler(
                services: try makeServices(log: log, tlsContext: serverContext), sessionNumber: 1, peer: "127.0.0.1:1",
                clientAddress: .ip("127.0.0.1"), nonce: "x"))
        try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        _ = try server.receivedText()
        try server.sendText("EHLO c.test\r\nSTARTTLS\r\nRSET\r\n")
        let plain = try server.receivedText()
        #expect(plain.contains("250-STARTTLS"))
        #expect(plain.hasSuffix("220 2.0.0 Ready to start TLS\r\n"))
        #expect(log.text.contains("discarded 6 octets"))

        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.certificateVerification = .none
        let client = EmbeddedChannel(
            handler: try NIOSSLClientHandler(
                context: NIOSSLContext(configuration: clientConfiguration), serverHostname: nil))
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()

        func shuttle() throws {
            for _ in 0..<10 {
                var moved = false
                while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                    try server.writeInbound(bytes)
                    moved = true
                }
                while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                    try client.writeInbound(bytes)
                    moved = true
                }
                if !moved { return }
            }
        }
        try shuttle()
        #expect(log.text.contains("TLS established"))
        try client.writeOutbound(ByteBuffer(string: "EHLO c.test\r\n"))
        try shuttle()
        var answer = ""
        while var buffer = try client.readInbound(as: ByteBuffer.self) {
            answer += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        #expect(answer.contains("250-AUTH PLAIN LOGIN CRAM-MD5"))
        #expect(!answer.contains("STARTTLS"))
    }
}
