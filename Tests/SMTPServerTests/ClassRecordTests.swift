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
        let stored = String(decoding: message.octets, as: UTF8.self)
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

    @Test func aStudentListsItsLatestSessionsAndCountsTheEarlierOnes() {
        let record = ClassRecord(now: { 0 })
        let sessions = ClassRecord.sessionsPerStudentKept + 7
        for number in 1...sessions {
            record.sessionOpened(number, client: "192.0.2.7:\(4000 + number)", server: "s")
        }
        record.sessionOpened(sessions + 1, client: "192.0.2.8:4000", server: "s")
        let student = record.students[0]
        #expect(student.sessions.count == ClassRecord.sessionsPerStudentKept)
        #expect(student.sessions.first == 8 && student.sessions.last == sessions)
        #expect(student.earlierSessions == 7)
        #expect(record.students[1].sessions == [sessions + 1] && record.students[1].earlierSessions == 0)
    }

    @Test func studentsPastTheLimitAreDroppedAndCounted() {
        let record = ClassRecord(now: { 0 })
        for number in 1...(ClassRecord.studentsKept + 2) {
            record.sessionOpened(number, client: "10.0.\(number / 256).\(number % 256):4000", server: "s")
        }
        #expect(record.students.count == ClassRecord.studentsKept)
        #expect(record.studentsDropped == 2)
        #expect(record.students.first?.address == "10.0.0.3")
    }

    /// One copy: the store puts each message on the shelf, the class view and `/mailbox` read it.
    @Test func theStoreAndTheClassViewShareOneShelf() throws {
        let record = ClassRecord(now: { 0 })
        var configuration = PracticeServerConfiguration()
        configuration.record = record
        configuration.destination = .memory(keeping: 2)
        let shelf = try #require(MessageShelf.kept(for: configuration))
        #expect(shelf === record.shelf)
        let store = try MessageStore(
            destination: .memory(keeping: 2), domain: "practice.test", log: .silent, shelf: shelf)
        for number in 1...3 {
            let message = ReceivedMessage(
                sender: "a@b.test", recipients: ["c@practice.test"],
                content: Array("Subject: \(number)\r\n\r\nhi\r\n".utf8),
                heloName: "laptop", clientAddress: .ip("192.0.2.7"), protocolName: "ESMTP", authenticatedUser: nil)
            try store.store(message, session: number)
        }
        // The class view keeps its 500; /mailbox shows the newest 2, as `.memory(keeping: 2)` says.
        #expect(record.messages.map(\.session) == [1, 2, 3])
        #expect(store.storedMessages.map(\.session) == [2, 3])
        #expect(store.storedMessages == Array(record.messages.suffix(2)))
        #expect(record.message(record.messages[0].id)?.header("Subject") == "1")
    }

    @Test func aShelfIsBoundedByCountAndOctetsButKeepsTheNewest() {
        let shelf = MessageShelf(keeping: 3, octets: 100)
        for number in 1...5 {
            shelf.add(
                StoredMessage(id: "\(number)", sender: "", recipients: [], octets: Array(repeating: 0x61, count: 30)))
        }
        #expect(shelf.messages.map(\.id) == ["3", "4", "5"])
        shelf.add(StoredMessage(id: "big", sender: "", recipients: [], octets: Array(repeating: 0x61, count: 500)))
        #expect(shelf.messages.map(\.id) == ["big"])
        #expect(shelf.message("big") != nil && shelf.message("3") == nil)
    }
}
