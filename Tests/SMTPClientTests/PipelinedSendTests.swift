import Foundation
import NIOCore
import NIOPosix
import SMTPCore
import Testing

@testable import SMTPClient

/// `send(raw:timeout:)`: a pipelined group (RFC 2920) leaves in one write, so a server that reads
/// once gets every line of it.
@Suite final class PipelinedSendTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    deinit {
        try? group.syncShutdownGracefully()
    }

    private func lines(_ lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\r\n" }.joined().utf8)
    }

    private func connect(to server: LoopbackServer, inbox: EventInbox<ConnectionEvent>) async throws -> SMTPConnection {
        let connection = try await SMTPConnection.connect(
            to: ServerAddress(host: "127.0.0.1", port: server.port), connectTimeout: .seconds(5), implicitTLS: nil,
            group: group, report: { inbox.post($0) })
        #expect(inbox.next() == .reply(SMTPReply(220, "loop.test ESMTP")))
        return connection
    }

    @Test func aGroupArrivesInOneRead() async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(to: server, inbox: inbox)
        defer { connection.close() }
        let group = ["MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.test>", "RCPT TO:<c@mx.test>", "DATA"]
        try await connection.send(raw: lines(group), timeout: .seconds(5))
        let expected = group.map { $0 + "\r\n" }.joined()
        server.waitForReads(octets: expected.utf8.count)
        #expect(server.reads == [expected])
        for _ in group {
            #expect(inbox.next() == .reply(SMTPReply(250, "ok")))
        }
    }

    @Test func oneLineIsAGroupOfOne() async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(to: server, inbox: inbox)
        defer { connection.close() }
        try await connection.send(raw: lines(["NOOP"]), timeout: .seconds(5))
        try await connection.send(raw: [], timeout: .seconds(5))
        #expect(inbox.next() == .reply(SMTPReply(250, "ok")))
        #expect(server.reads == ["NOOP\r\n"])
    }

    /// Plain TCP, the hold seen from inside: the 220 that ends the group arms it after the two
    /// 250s, and what follows the 220 is counted, never reported (RFC 3207 §6). TLSLoopbackTests
    /// does the same with a real handshake.
    @Test func holdArmsOnSTARTTLSAtTheEndOfAGroup() async throws {
        let injected = "250 forged\r\n"
        let server = try LoopbackServer.start(
            on: group, answers: ["250 one\r\n", "250 two\r\n", "220 go\r\n" + injected])
        defer { server.close() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(to: server, inbox: inbox)
        defer { connection.close() }
        try await connection.expectSTARTTLSReply(repliesBefore: 2)
        try await connection.send(raw: lines(["NOOP", "NOOP", "STARTTLS"]), timeout: .seconds(5))
        #expect(inbox.next() == .reply(SMTPReply(250, "one")))
        #expect(inbox.next() == .reply(SMTPReply(250, "two")))
        #expect(inbox.next() == .reply(SMTPReply(220, "go")))
        #expect(inbox.next(within: 0.3) == nil)
        #expect(server.reads == ["NOOP\r\nNOOP\r\nSTARTTLS\r\n"])
        let mode = try connection.clientHandlerMode()
        #expect(mode == .holdingForTLS(discardedOctets: injected.utf8.count))
    }

    @Test func sendingOnAClosedConnectionIsClosed() async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(to: server, inbox: inbox)
        connection.close()
        await connection.waitUntilClosed()
        do {
            try await connection.send(raw: lines(["NOOP", "QUIT"]), timeout: .seconds(5))
            Issue.record("expected .closed")
        } catch {
            #expect(error.code == .closed)
        }
        do {
            try await connection.expectSTARTTLSReply(repliesBefore: 0)
            Issue.record("expected .closed")
        } catch {
            #expect(error.code == .closed)
        }
    }
}
