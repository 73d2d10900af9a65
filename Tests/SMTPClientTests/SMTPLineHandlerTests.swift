import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import SMTPCore
import Testing

@testable import SMTPClient

/// The line handler and the reply handler on an EmbeddedChannel, fed whole and byte by byte.
@Suite struct SMTPLineHandlerTests {
    final class Recorder: @unchecked Sendable {
        var events: [ConnectionEvent] = []
    }

    private func makeChannel() throws -> (EmbeddedChannel, Recorder) {
        let (channel, recorder, _) = try makeChannelWithHandler()
        return (channel, recorder)
    }

    private func makeChannelWithHandler() throws -> (EmbeddedChannel, Recorder, SMTPClientHandler) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        let handler = SMTPClientHandler(report: { recorder.events.append($0) })
        try channel.pipeline.syncOperations.addHandler(SMTPLineHandler(maximumLineLength: 1024))
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        return (channel, recorder, handler)
    }

    static let stream = "220 mx.test ESMTP\r\n250-mx.test\r\n250-SIZE 100\r\n250 HELP\r\n354 go\n"
    static let expected: [ConnectionEvent] = [
        .reply(SMTPReply(220, "mx.test ESMTP")),
        .reply(SMTPReply(250, "mx.test", "SIZE 100", "HELP")),
        .reply(SMTPReply(code: 354, lines: [ReplyLine("354 go")], problems: [.bareLineFeed])),
    ]

    @Test func wholeStreamBecomesReplies() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: Self.stream))
        #expect(recorder.events == Self.expected)
        _ = try channel.finish()
    }

    @Test func streamFedByteByByteBecomesTheSameReplies() throws {
        let (channel, recorder) = try makeChannel()
        for byte in Self.stream.utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(recorder.events == Self.expected)
        _ = try channel.finish()
    }

    @Test func floodWithoutLineEndIsCutAndTheConsoleSurvives() throws {
        let (channel, recorder) = try makeChannel()
        let chunk = ByteBuffer(repeating: UInt8(ascii: "A"), count: 64 * 1024)
        for _ in 0..<32 {  // 2 MiB and no LF
            try channel.writeInbound(chunk)
        }
        #expect(recorder.events.isEmpty)
        try channel.writeInbound(ByteBuffer(string: "\r\n250 after\r\n"))
        guard case .malformedLine(let line, let problems) = recorder.events.first else {
            Issue.record("expected the cut line, got \(recorder.events)")
            return
        }
        #expect(line.bytes.count == 1024)
        #expect(
            problems == [.truncated(droppedOctets: 32 * 64 * 1024 - 1024), .lineTooLong(octets: 1026), .missingCode])
        #expect(recorder.events.last == .reply(SMTPReply(250, "after")))
        _ = try channel.finish()
    }

    @Test func malformedLinesAndMixedCodesAreReportedNotFatal() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "hello there\r\n250-a\r\n251 b\n"))
        #expect(recorder.events.first == .malformedLine(ReplyLine("hello there"), [.missingCode]))
        guard case .reply(let reply) = recorder.events.last else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.problems == [.mixedCodes(first: 250, other: 251), .bareLineFeed])
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    /// A `250-` line with its CRLF, then the close: the line was whole, the reply was not.
    @Test func closeAfterAContinuationLineDeliversAnUnfinishedReply() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "250-mx.test\r\n250-\r\n"))
        channel.pipeline.fireChannelInactive()
        guard case .reply(let unfinished) = recorder.events.first else {
            Issue.record("expected the unfinished reply, got \(recorder.events)")
            return
        }
        #expect(unfinished.texts == ["mx.test", ""])
        #expect(unfinished.problems == [.unfinishedReply])
        #expect(recorder.events.last == .closed(nil))
        #expect(recorder.events.count == 2)
    }

    @Test func closeDeliversTheUnfinishedLineThenTheClose() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "421-shutting down\r\n421 by"))
        channel.pipeline.fireChannelInactive()
        guard case .reply(let partial) = recorder.events.first else {
            Issue.record("expected the partial reply")
            return
        }
        #expect(partial.code == 421)
        #expect(partial.texts == ["shutting down", "by"])
        #expect(partial.problems.contains(.noLineEnding))
        #expect(recorder.events.last == .closed(nil))
        #expect(recorder.events.count == 2)
    }

    @Test func errorsCloseTheChannelWithAReason() throws {
        let (channel, recorder, handler) = try makeChannelWithHandler()
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read"))
        #expect(!channel.isActive)
        #expect(handler.closeError?.code == .connectionReset)
        #expect(recorder.events.last == .closed(handler.closeError))
    }

    /// Many servers close TCP after 221 without TLS's close_notify: an orderly end, no error.
    @Test func uncleanTLSShutdownIsAnOrderlyClose() throws {
        let (channel, recorder, handler) = try makeChannelWithHandler()
        channel.pipeline.fireErrorCaught(NIOSSLError.uncleanShutdown)
        #expect(!channel.isActive)
        #expect(handler.closeError == nil)
        #expect(recorder.events.last == .closed(nil))
    }

    // MARK: STARTTLS

    /// RFC 3207 §6 / CVE-2011-0411: a reply glued to the 220 must never be taken as the server's.
    @Test func plaintextAfterThe220ToSTARTTLSIsDiscardedAndCounted() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "220 mx.test ESMTP\r\n"))
        try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).expectSTARTTLSReply()
        let injected = "250-forged\r\n250 AUTH PLAIN\r\n"
        try channel.writeInbound(ByteBuffer(string: "220 2.0.0 go ahead\r\n" + injected + "250 partial"))
        #expect(
            recorder.events == [.reply(SMTPReply(220, "mx.test ESMTP")), .reply(SMTPReply(220, "2.0.0 go ahead"))])

        try SMTPConnection.installTLS(
            on: channel.pipeline.syncOperations, address: ServerAddress(host: "mx.test", port: 25),
            settings: TLSSettings())
        // The handshake starts at once: a TLS handshake record (ClientHello) goes out.
        let hello = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(hello.getBytes(at: hello.readerIndex, length: 1) == [0x16])
        // Anything now is TLS, not a reply: garbage makes the handshake fail, it is never a reply.
        _ = try? channel.writeInbound(ByteBuffer(string: "250 more plaintext\r\n"))
        #expect(
            !recorder.events.contains {
                if case .reply(let reply) = $0 { return reply.code == 250 } else { return false }
            })
        // The injection is reported before the handshake's outcome, which here is a failure.
        #expect(
            recorder.events.dropFirst(2).first == .plaintextDiscarded(octets: (injected + "250 partial").utf8.count))
        guard case .tlsFailed = recorder.events.dropFirst(3).first else {
            Issue.record("expected the handshake to fail on plaintext, got \(recorder.events)")
            return
        }
        #expect(try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).mode == .normal)
        // How much was thrown away travels with the TLS report (TLSLoopbackTests checks the count).
        _ = try? channel.finish()
    }

    /// With a reply still owed to an earlier command, the hold arms on STARTTLS's own reply.
    @Test func holdArmsOnTheReplyToSTARTTLSNotAnEarlierOne() throws {
        let (channel, recorder) = try makeChannel()
        try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).expectSTARTTLSReply(repliesBefore: 1)
        try channel.writeInbound(ByteBuffer(string: "250 2.0.0 Ok\r\n220 2.0.0 go ahead\r\n250 forged\r\n"))
        #expect(recorder.events == [.reply(SMTPReply(250, "2.0.0 Ok")), .reply(SMTPReply(220, "2.0.0 go ahead"))])
        #expect(
            try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).mode
                == .holdingForTLS(discardedOctets: "250 forged\r\n".utf8.count))
        _ = try? channel.finish()
    }

    /// The inbox's descriptor is readable: the console, waiting in `poll`, would wake.
    private func isWaking(_ inbox: EventInbox<ConnectionEvent>) -> Bool {
        var descriptor = pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    /// The replies of one read (a pipelined group's, RFC 2920) are all in the inbox when the
    /// console is woken, once; a reply that ends a connection is not held back either.
    @Test func aReadsRepliesWakeTheConsoleOnceWhenAllAreIn() throws {
        let inbox = EventInbox<ConnectionEvent>()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(SMTPLineHandler(maximumLineLength: 1024))
        try channel.pipeline.syncOperations.addHandler(
            SMTPClientHandler(report: { inbox.post($0) }, wakeUps: inbox))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        channel.pipeline.syncOperations.fireChannelRead(NIOAny(ByteBuffer(string: "250 2.0.0 Ok\r\n250 2.1.0 Ok\r\n")))
        #expect(!isWaking(inbox))
        channel.pipeline.syncOperations.fireChannelRead(
            NIOAny(ByteBuffer(string: "250 2.1.5 Ok\r\n354 End data with .\r\n")))
        #expect(!isWaking(inbox))
        channel.pipeline.syncOperations.fireChannelReadComplete()
        #expect(isWaking(inbox))
        #expect(
            inbox.takeAll() == [
                .reply(SMTPReply(250, "2.0.0 Ok")), .reply(SMTPReply(250, "2.1.0 Ok")),
                .reply(SMTPReply(250, "2.1.5 Ok")), .reply(SMTPReply(354, "End data with .")),
            ])
        channel.pipeline.syncOperations.fireChannelRead(NIOAny(ByteBuffer(string: "421 4.3.2 Shutting down\r\n")))
        _ = try channel.finish()
        #expect(isWaking(inbox))
        #expect(inbox.takeAll() == [.reply(SMTPReply(421, "4.3.2 Shutting down")), .closed(nil)])
    }

    @Test func refusedSTARTTLSKeepsReadingPlaintext() throws {
        let (channel, recorder) = try makeChannel()
        try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).expectSTARTTLSReply()
        try channel.writeInbound(ByteBuffer(string: "454 4.7.0 TLS not available\r\n250 still plain\r\n"))
        #expect(
            recorder.events == [
                .reply(SMTPReply(454, "4.7.0 TLS not available")), .reply(SMTPReply(250, "still plain")),
            ])
        _ = try channel.finish()
    }
}
