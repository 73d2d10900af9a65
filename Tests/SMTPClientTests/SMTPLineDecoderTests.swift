import NIOCore
import NIOEmbedded
import NIOTestUtils
import SMTPCore
import XCTest

@testable import SMTPClient

/// The decoder fed whole, byte by byte and in shuffled chunks (NIOTestUtils' verifier).
final class SMTPLineDecoderTests: XCTestCase {
    func testVerifierWholeByteByByteAndShuffled() throws {
        let input = "220 mx.test ESMTP\r\n250-mx.test\r\n250-PIPELINING\r\n250 SIZE 100\r\n354 go\n"
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                (
                    input,
                    [
                        SMTPLine("220 mx.test ESMTP"), SMTPLine("250-mx.test"), SMTPLine("250-PIPELINING"),
                        SMTPLine("250 SIZE 100"), SMTPLine("354 go", problems: [.bareLineFeed]),
                    ]
                )
            ],
            decoderFactory: { SMTPLineDecoder() })
    }

    func testLeftoverBytesAtCloseAreDeliveredAsAFlaggedLine() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPLineDecoder()))
        try channel.writeInbound(ByteBuffer(string: "250 ok\r\n221 by"))
        XCTAssertEqual(try channel.readInbound(as: SMTPLine.self), SMTPLine("250 ok"))
        XCTAssertNil(try channel.readInbound(as: SMTPLine.self))
        channel.pipeline.fireChannelInactive()
        XCTAssertEqual(try channel.readInbound(as: SMTPLine.self), SMTPLine("221 by", problems: [.noLineEnding]))
    }

    func testAFloodWithoutLineEndIsCutAndMemoryStaysBounded() throws {
        var decoder = SMTPLineDecoder(maximumLineLength: 1024)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder))
        let chunk = ByteBuffer(repeating: UInt8(ascii: "A"), count: 64 * 1024)
        for _ in 0..<32 {  // 2 MiB and no LF
            try channel.writeInbound(chunk)
        }
        XCTAssertNil(try channel.readInbound(as: SMTPLine.self))
        try channel.writeInbound(ByteBuffer(string: "\r\n250 after\r\n"))
        let cut = try XCTUnwrap(try channel.readInbound(as: SMTPLine.self))
        XCTAssertEqual(cut.bytes.count, 1024)
        XCTAssertEqual(cut.problems, [.truncated(droppedOctets: 32 * 64 * 1024 - 1024)])
        XCTAssertEqual(try channel.readInbound(as: SMTPLine.self), SMTPLine("250 after"))
        decoder = SMTPLineDecoder()
        XCTAssertEqual(decoder.bufferedByteCount, 0)
        _ = try channel.finish()
    }
}

final class SMTPClientHandlerTests: XCTestCase {
    final class Recorder: @unchecked Sendable {
        var events: [ConnectionEvent] = []
    }

    private func makeChannel() throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
        try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(report: { recorder.events.append($0) }))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).wait()
        return (channel, recorder)
    }

    func testMultilineReplyArrivesAsOneEventWhateverTheReads() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "250-mx.test\r\n250-SI"))
        XCTAssertTrue(recorder.events.isEmpty)
        try channel.writeInbound(ByteBuffer(string: "ZE 100\r\n250 HELP\r\n"))
        XCTAssertEqual(recorder.events, [.reply(SMTPReply(250, "mx.test", "SIZE 100", "HELP"))])
        _ = try channel.finish()
    }

    func testMalformedLinesAndProblemsAreReportedNotFatal() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "hello there\r\n250-a\r\n251 b\n"))
        XCTAssertEqual(recorder.events.count, 2)
        XCTAssertEqual(recorder.events[0], .malformedLine(ReplyLine("hello there"), [.missingCode]))
        guard case .reply(let reply) = recorder.events[1] else { return XCTFail("expected a reply") }
        XCTAssertEqual(reply.problems, [.mixedCodes(first: 250, other: 251), .bareLineFeed])
        XCTAssertTrue(channel.isActive)
        _ = try channel.finish()
    }

    func testCloseIsReportedOnceWithAnyUnfinishedReply() throws {
        let (channel, recorder) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "421-shutting down\r\n"))
        channel.pipeline.fireChannelInactive()
        XCTAssertEqual(recorder.events.count, 2)
        guard case .reply(let partial) = recorder.events[0] else { return XCTFail("expected the partial reply") }
        XCTAssertEqual(partial.code, 421)
        XCTAssertTrue(partial.problems.contains(.noLineEnding))
        XCTAssertEqual(recorder.events[1], .closed(reason: nil))
    }

    func testErrorsCloseTheChannelWithAReason() throws {
        let (channel, recorder) = try makeChannel()
        XCTAssertTrue(channel.isActive)
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read"))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.events.last, .closed(reason: "connection reset by the server"))
    }
}
