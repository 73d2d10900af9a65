import Foundation
import SMTPCore
import Testing

@testable import ClassView
@testable import SMTPServer

/// The class view's addresses and the JSON they answer, without a socket.
@Suite struct ClassViewRoutesTests {
    static func record() -> ClassRecord {
        let record = ClassRecord(now: { 1_795_000_000 })
        record.sessionOpened(1, client: "127.0.0.1:5000", server: "127.0.0.1:2525")
        record.replySent(1, ServerReply(220, nil, "practice.test ESMTP ehlo practice server ready"))
        record.bytesReceived(1, Array("EHLO laptop\r\nAUTH PLAIN AHN0dWRlbnQAcHJhY3RpY2U=\r\n".utf8))
        record.replySent(1, ServerReply(250, nil, ["practice.test", "AUTH PLAIN"]))
        record.replySent(1, ServerReply(235, EnhancedStatusCode(statusClass: 2, subject: 7, detail: 0), "ok"))
        // As the server's store does: the message goes on the record's shelf, the record tells.
        record.shelf.add(
            StoredMessage(
                id: "Q1.1", sender: "a@b.test", recipients: ["student@practice.test"],
                octets: Array("Return-Path: <a@b.test>\nSubject: x\n\nhi\n".utf8), session: 1, time: 1_795_000_000))
        record.messageStored(1, id: "Q1.1")
        return record
    }

    func json(_ answer: ClassViewRoutes.Answer) throws -> Any {
        guard case .response(let response) = answer else { throw AnswerIsAStream() }
        #expect(response.contentType == "application/json; charset=utf-8")
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    struct AnswerIsAStream: Error {}

    func text(_ answer: ClassViewRoutes.Answer) -> (Int, String) {
        guard case .response(let response) = answer else { return (0, "") }
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func sessionsAreListedWithTheirAnnotatedStepsAndNoSecret() throws {
        let routes = ClassViewRoutes(record: Self.record())
        let sessions = try #require(try json(routes.answer(method: "GET", path: "/api/sessions")) as? [[String: Any]])
        #expect(sessions.count == 1)
        #expect(sessions[0]["client"] as? String == "127.0.0.1:5000")
        #expect(sessions[0]["replies"] as? [Int] == [220, 250, 235])
        #expect(sessions[0]["open"] as? Bool == true)
        let lines = (sessions[0]["steps"] as? [[String: Any]] ?? []).flatMap { $0["lines"] as? [String] ?? [] }
        #expect(lines.contains("AUTH PLAIN <redacted>"))
        let (_, raw) = text(routes.answer(method: "GET", path: "/api/sessions"))
        #expect(!raw.contains("AHN0dWRlbnQAcHJhY3RpY2U="))
        let one = try #require(try json(routes.answer(method: "GET", path: "/api/sessions/1")) as? [String: Any])
        #expect(one["id"] as? Int == 1)
        #expect(text(routes.answer(method: "GET", path: "/api/sessions/2")).0 == 404)
    }

    @Test func messagesAreGivenAsStored() throws {
        let routes = ClassViewRoutes(record: Self.record())
        let messages = try #require(try json(routes.answer(method: "GET", path: "/api/messages")) as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages[0]["text"] as? String == "Return-Path: <a@b.test>\nSubject: x\n\nhi\n")
        #expect(messages[0]["recipients"] as? [String] == ["student@practice.test"])
        #expect(messages[0]["session"] as? Int == 1)
        guard case .response(let raw) = routes.answer(method: "GET", path: "/api/messages/Q1.1/raw") else {
            Issue.record("raw is a response")
            return
        }
        #expect(raw.contentType == "message/rfc822")
        #expect(raw.body == Array("Return-Path: <a@b.test>\nSubject: x\n\nhi\n".utf8))
    }

    @Test func thePageShowsSessionsNewestFirstAndItsScriptCarriesTheNonce() {
        let routes = ClassViewRoutes(record: Self.record())
        let (status, page) = text(routes.answer(method: "GET", path: "/?x=1", scriptNonce: "n0nce"))
        #expect(status == 200)
        #expect(page.contains("id=\"session-1\""))
        #expect(page.contains("<script nonce=\"n0nce\">"))
        #expect(page.contains("script-src 'nonce-n0nce'"))
        #expect(page.contains("id=\"message-Q1.1\""))
        #expect(!page.contains("id=\"no-sessions\""))
        let (_, empty) = text(ClassViewRoutes(record: ClassRecord()).answer(method: "GET", path: "/"))
        #expect(empty.contains("id=\"no-sessions\""))
        #expect(empty.contains("No message stored yet."))
    }

    @Test func nothingButGETAndHEADAndUnknownPathsAre404() {
        let routes = ClassViewRoutes(record: Self.record())
        #expect(text(routes.answer(method: "POST", path: "/api/sessions")).0 == 405)
        #expect(text(routes.answer(method: "DELETE", path: "/api/messages/Q1.1")).0 == 405)
        #expect(text(routes.answer(method: "GET", path: "/etc/passwd")).0 == 404)
        #expect(text(routes.answer(method: "GET", path: "/api/messages/nope")).0 == 404)
        guard case .events = routes.answer(method: "GET", path: "/api/events") else {
            Issue.record("/api/events is the event stream")
            return
        }
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.9.9.9", true), ("::1", true), ("localhost", true), ("0.0.0.0", false),
        ("192.0.2.1", false), ("::", false), ("example.test", false),
    ])
    func loopbackIsRecognised(host: String, isLoopback: Bool) {
        #expect(ClassViewServer.isLoopback(host) == isLoopback)
    }
}

extension ClassViewRoutesTests {
    @Test func statusCountsSessionsMessagesAndListeners() throws {
        let record = Self.record()
        let subscription = record.subscribe { _ in }
        let routes = ClassViewRoutes(record: record)
        let status = try #require(try json(routes.answer(method: "GET", path: "/api/status")) as? [String: Any])
        #expect(status["sessions"] as? Int == 1)
        #expect(status["openSessions"] as? Int == 1)
        #expect(status["messages"] as? Int == 1)
        #expect(status["listeners"] as? Int == 1)
        record.unsubscribe(subscription)
        let after = try #require(try json(routes.answer(method: "GET", path: "/api/status")) as? [String: Any])
        #expect(after["listeners"] as? Int == 0)
    }
}

extension ClassViewRoutesTests {
    @Test func studentsAreClientAddressesWithTheGoalsOfAllTheirSessions() throws {
        let record = ClassRecord(now: { 0 })
        func greylistAttempt(_ number: Int, client: String, code: Int) {
            record.sessionOpened(number, client: client, server: "127.0.0.1:2525")
            record.replySent(number, ServerReply(220, nil, "practice.test ESMTP ehlo practice server ready"))
            record.bytesReceived(
                number, Array("HELO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<greylist@practice.test>\r\n".utf8))
            record.replySent(number, ServerReply(250, nil, "practice.test"))
            record.replySent(number, ServerReply(250, nil, "ok"))
            record.replySent(number, ServerReply(code, nil, code == 450 ? "Greylisted" : "ok"))
        }
        greylistAttempt(1, client: "192.0.2.7:4000", code: 450)
        greylistAttempt(2, client: "192.0.2.8:4000", code: 450)
        greylistAttempt(3, client: "192.0.2.7:4001", code: 250)
        let routes = ClassViewRoutes(record: record)
        let students = try #require(try json(routes.answer(method: "GET", path: "/api/students")) as? [[String: Any]])
        #expect(students.map { $0["address"] as? String } == ["192.0.2.7", "192.0.2.8"])
        #expect(students[0]["sessions"] as? [Int] == [1, 3])
        func greylisting(_ student: [String: Any]) -> [Bool]? {
            let lessons = student["lessons"] as? [[String: Any]] ?? []
            let lesson = lessons.first { ($0["title"] as? String)?.hasPrefix("Greylisting") == true }
            return (lesson?["goals"] as? [[String: Any]])?.map { $0["reached"] as? Bool ?? false }
        }
        // The 450 in one session and the 250 in the next: both goals, for the same student only.
        #expect(greylisting(students[0])?.prefix(2) == [true, true])
        #expect(greylisting(students[1])?.prefix(2) == [true, false])
        #expect(ClassRecord.host(of: "[::1]:25") == "::1")
        #expect(ClassRecord.host(of: "unix:/run/x") == "unix:/run/x")
        let (_, page) = text(routes.answer(method: "GET", path: "/fragment/students"))
        #expect(page.contains("data-student=\"192.0.2.7\""))
    }
}
