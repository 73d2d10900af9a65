import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import SMTPCore
import Testing

@testable import SMTPServer

/// What the class view records of a session: the server's view, annotated by SMTPCore, secrets
/// redacted, and the message as stored.
@Suite struct ClassRecordTests {
    func session(_ record: ClassRecord, _ input: [String]) throws {
        let channel = EmbeddedChannel(
            handler: ServerSessionHandler(
                services: try makeServices(log: CollectedLog(), allowPlainAuth: true, record: record),
                sessionNumber: 7, peer: "192.0.2.7:4000", clientAddress: .ip("192.0.2.7"), nonce: "x"))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 25)).wait()
        for text in input {
            try channel.sendText(text)
            _ = try channel.receivedText()
        }
        _ = try? channel.finish()
    }

    @Test func recordsAnnotatedStepsWithAUTHRedactedAndTheStoredMessage() throws {
        let record = ClassRecord(now: { 1_795_000_000 })
        let collected = NIOLockedValueBox([ClassRecord.Change]())
        _ = record.subscribe { change in collected.withLockedValue { $0.append(change) } }
        try session(
            record,
            [
                "EHLO laptop.test\r\n", "AUTH PLAIN AHN0dWRlbnQAcHJhY3RpY2U=\r\n",
                "MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n",
                "Subject: hi\r\n\r\n..dot\r\n.\r\n", "QUIT\r\n",
            ])
        let changes = collected.withLockedValue { $0 }
        let recorded = try #require(record.session(7))
        #expect(recorded.client == "192.0.2.7:4000")
        #expect(recorded.heloName == "laptop.test")
        #expect(recorded.practiceDomain == "practice.test")
        #expect(recorded.replyCodes == [220, 250, 235, 250, 250, 354, 250, 221])
        #expect(!recorded.isOpen)
        let clientLines = recorded.steps.filter { $0.lane == .client }.flatMap(\.lines)
        #expect(clientLines.contains("AUTH PLAIN <redacted>"))
        #expect(clientLines.contains("..dot"))
        let everything = JSONText.encode(recorded.jsonObject)
        #expect(!everything.contains("AHN0dWRlbnQAcHJhY3RpY2U="))
        // The same words as the console's annotation of a 235.
        let authReply = try #require(recorded.steps.first { $0.code == 235 })
        #expect(authReply.notes.map(\.text).contains(ReplyAnnotator.codeLine(235)))
        #expect(authReply.answers == "AUTH")
        let message = try #require(record.messages.first)
        #expect(message.session == 7)
        let stored = String(decoding: message.text, as: UTF8.self)
        #expect(stored.hasPrefix("Return-Path: <a@b.test>\n"))
        #expect(stored.contains("Received: from laptop.test"))
        #expect(stored.hasSuffix("Subject: hi\n\n.dot\n"))
        #expect(changes.contains(.message(message.id)) && changes.contains(.session(7)))
    }

    @Test func keepsAtMostTheLatestSessions() {
        let record = ClassRecord(now: { 0 })
        for number in 1...(ClassRecord.sessionsKept + 3) {
            record.sessionOpened(number, client: "c", server: "s")
        }
        #expect(record.sessions.count == ClassRecord.sessionsKept)
        #expect(record.sessions.first?.id == 4)
    }
}
