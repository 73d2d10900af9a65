import Foundation
import Testing

@testable import SMTPCore

/// The handout renderer and the annotated sessions under it: what `ehlo render` writes and the
/// class view shows.
@Suite struct HandoutTests {
    /// A server's view of a session: bytes in, replies out, a clock that ticks.
    struct ServerView {
        var annotator = SessionAnnotator(
            HandoutSession(id: 1, client: "192.0.2.7:4000", server: "192.0.2.1:25", startedAt: 1_795_000_000))
        var clock = 1_795_000_000.0

        mutating func client(_ text: String) {
            clock += 0.01
            annotator.bytesReceived(Array(text.utf8), at: clock)
        }

        mutating func server(_ lines: String...) {
            clock += 0.01
            annotator.replySent(lines: lines, at: clock)
        }

        var session: HandoutSession { annotator.session }
    }

    static func appendixD() -> HandoutSession {
        var view = ServerView()
        view.server("220 practice.test ESMTP ehlo practice server ready")
        view.client("EHLO laptop.test\r\n")
        view.server("250-practice.test", "250-PIPELINING", "250 CHUNKING")
        view.client("MAIL FROM:<smith@bar.test>\r\nRCPT TO:<jones@practice.test>\r\nRCPT TO:<nobody@practice.test>\r\n")
        view.server("250 2.1.0 ok")
        view.server("250 2.1.5 ok")
        view.server("550 5.1.1 <nobody@practice.test>: no such user")
        view.client("DATA\r\n")
        view.server("354 go ahead")
        view.client("Subject: hi\r\n\r\n..leading dot\r\n.\r\n")
        view.server("250 2.0.0 queued as 1")
        view.client("QUIT\r\n")
        view.server("221 2.0.0 bye")
        view.annotator.connectionClosed(at: view.clock)
        return view.session
    }

    @Test func theServersViewIsAnnotatedAsTheConsoleAnnotatesIt() {
        let session = Self.appendixD()
        #expect(session.replyCodes == [220, 250, 250, 250, 550, 354, 250, 221])
        #expect(session.heloName == "laptop.test")
        #expect(session.practiceDomain == "practice.test")
        #expect(!session.isOpen)
        let refused = session.steps.first { $0.code == 550 }
        #expect(refused?.lines == ["550 5.1.1 <nobody@practice.test>: no such user"])
        #expect(refused?.notes.map(\.text).contains(ReplyAnnotator.codeLine(550)) == true)
        // Three commands in one read: the replies name which RCPT they answer (RFC 2920).
        #expect(refused?.answers == "RCPT TO:<nobody@practice.test>")
        let message = session.steps.first { $0.lines.first == "Subject: hi" }
        #expect(message?.lane == .client)
        #expect(message?.lines == ["Subject: hi", "", "..leading dot"])
        #expect(session.steps.last?.lane == .event)
    }

    /// The server's view feeds every built-in lesson: the Appendix D session stuffed a dot and
    /// delivered, so the dot-stuffing lesson is complete; a plain message ticks no dot goal.
    @Test func lessonGoalsAreReachedFromTheServersView() throws {
        let session = Self.appendixD()
        let dots = try #require(session.lessons.first { $0.title == "Dot-stuffing" })
        #expect(dots.goals.map(\.isReached) == [true, true, true])
        #expect(session.lessons.map(\.number) == session.lessons.map(\.number).sorted())
        var plain = ServerView()
        plain.server("220 practice.test ESMTP ehlo practice server ready")
        plain.client("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n")
        plain.server("250 practice.test")
        plain.server("250 ok")
        plain.server("250 ok")
        plain.server("354 go")
        plain.client("hello\r\n.\r\n")
        plain.server("250 2.0.0 queued")
        let plainDots = try #require(plain.session.lessons.first { $0.title == "Dot-stuffing" })
        #expect(plainDots.goals.map(\.id) == ["data", "dot", "delivered"])
        #expect(plainDots.goals.map(\.isReached) == [true, false, false])
        let page = HandoutRenderer.sessionSection(plain.session)
        #expect(page.contains("<li class=\"goal met\" data-goal=\"data\">"))
        #expect(page.contains("<li class=\"goal\" data-goal=\"dot\">"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(JSONText.encode(plain.session.jsonObject).utf8))
                as? [String: Any])
        let lessons = try #require(json["lessons"] as? [[String: Any]])
        #expect(lessons.contains { $0["title"] as? String == "Dot-stuffing" && $0["reached"] as? Int == 1 })
    }

    @Test func authSecretsAreRedactedAndAUserNameIsNot() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250-mx.test", "250 AUTH PLAIN LOGIN")
        view.client("AUTH PLAIN AHN0dWRlbnQAcHJhY3RpY2U=\r\n")
        view.server("535 5.7.8 no")
        view.client("AUTH LOGIN\r\n")
        view.server("334 VXNlcm5hbWU6")
        view.client("c3R1ZGVudA==\r\n")
        view.server("334 UGFzc3dvcmQ6")
        view.client("cHJhY3RpY2U=\r\n")
        view.server("235 2.7.0 ok")
        let clientLines = view.session.steps.filter { $0.lane == .client }.flatMap(\.lines)
        #expect(clientLines == ["EHLO c.test", "AUTH PLAIN <redacted>", "AUTH LOGIN", "c3R1ZGVudA==", "<redacted>"])
        let json = JSONText.encode(view.session.jsonObject)
        #expect(!json.contains("AHN0dWRlbnQAcHJhY3RpY2U=") && !json.contains("cHJhY3RpY2U="))
        let page = HandoutRenderer.page(title: "t", sessions: [view.session])
        #expect(!page.contains("cHJhY3RpY2U=") && page.contains("AUTH PLAIN &lt;redacted&gt;"))
    }

    /// A server words its 334s as it likes: the SASL state, not the prompt, says which answer is
    /// AUTH LOGIN's user name (the first, when AUTH LOGIN came without one).
    @Test func whatIsSecretFollowsTheSASLStateNotThePromptText() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250-mx.test", "250 AUTH PLAIN LOGIN CRAM-MD5")
        // Both prompts claim to ask for the user name; the second answer is the password.
        view.client("AUTH LOGIN\r\n")
        view.server("334 VXNlcm5hbWU6")
        view.client("dXNlcg==\r\n")
        view.server("334 VXNlcm5hbWU6")
        view.client("c2VjcmV0MQ==\r\n")
        view.server("535 5.7.8 no")
        // AUTH LOGIN with its user name: the one answer left is the password, whatever the prompt.
        view.client("AUTH LOGIN dXNlcg==\r\n")
        view.server("334 VXNlciBOYW1lAA==")
        view.client("c2VjcmV0Mg==\r\n")
        view.server("535 5.7.8 no")
        // PLAIN with no prompt text at all, and a prompt in another language (Exchange-style
        // wording differs by locale): each answer is a secret.
        view.client("AUTH PLAIN\r\n")
        view.server("334 ")
        view.client("AHVzZXIAc2VjcmV0Mw==\r\n")
        view.server("535 5.7.8 no")
        view.client("AUTH CRAM-MD5\r\n")
        view.server("334 VXNlcm5hbWU6PDEyMzQ1QG14LnRlc3Q+")
        view.client("dXNlciBzZWNyZXQ0\r\n")
        view.server("235 2.7.0 ok")
        let clientLines = view.session.steps.filter { $0.lane == .client }.flatMap(\.lines)
        #expect(
            clientLines == [
                "EHLO c.test", "AUTH LOGIN", "dXNlcg==", "<redacted>", "AUTH LOGIN dXNlcg==", "<redacted>",
                "AUTH PLAIN",
                "<redacted>", "AUTH CRAM-MD5", "<redacted>",
            ])
        let page = HandoutRenderer.page(title: "t", sessions: [view.session])
        for secret in ["c2VjcmV0MQ==", "c2VjcmV0Mg==", "AHVzZXIAc2VjcmV0Mw==", "dXNlciBzZWNyZXQ0"] {
            #expect(!page.contains(secret) && !JSONText.encode(view.session.jsonObject).contains(secret))
        }
    }

    /// A first LOGIN prompt that says it wants the password keeps its answer redacted too.
    @Test func aPasswordPromptIsNeverTakenForTheUserName() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250-mx.test", "250 AUTH LOGIN")
        view.client("AUTH LOGIN\r\n")
        view.server("334 UGFzc3dvcmQ6")
        view.client("c2VjcmV0\r\n")
        view.server("235 2.7.0 ok")
        #expect(
            view.session.steps.filter { $0.lane == .client }.flatMap(\.lines) == [
                "EHLO c.test", "AUTH LOGIN", "<redacted>",
            ])
    }

    @Test func answersSentAheadOfTheirChallengeAreRedacted() {
        // A student pastes AUTH and its answers in one go (nc, telnet): the server reads them
        // before it has sent its 334, so they reach the view as lines after an unanswered AUTH.
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250-mx.test", "250 AUTH PLAIN LOGIN")
        view.client("AUTH PLAIN\r\nAHN0dWRlbnQAcHJhY3RpY2U=\r\n")
        view.server("334 ")
        view.server("235 2.7.0 ok")
        view.client("AUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n")
        let clientLines = view.session.steps.filter { $0.lane == .client }.flatMap(\.lines)
        #expect(clientLines.prefix(3) == ["EHLO c.test", "AUTH PLAIN", "<redacted>"])
        let json = JSONText.encode(view.session.jsonObject)
        let page = HandoutRenderer.page(title: "t", sessions: [view.session])
        for secret in ["AHN0dWRlbnQAcHJhY3RpY2U=", "cGFzcw=="] {
            #expect(!clientLines.contains(secret) && !json.contains(secret) && !page.contains(secret))
        }
    }

    @Test func aQuoteWithACombiningMarkIsStillEscaped() {
        // `"` + U+0338 is one Character; escaping by Character would let it end an attribute.
        #expect(HandoutRenderer.escape("X\"\u{0338}STYLE=A") == "X&quot;\u{0338}STYLE=A")
        #expect(HandoutRenderer.escape("<\u{0338}'&") == "&lt;\u{0338}&#39;&amp;")
    }

    @Test func longMessagesShowTheirStartAndCountTheRest() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("HELO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n")
        view.server("250 mx.test")
        view.server("250 ok")
        view.server("250 ok")
        view.server("354 go")
        view.client((1...40).map { "line \($0)\r\n" }.joined())
        view.client(".\r\n")
        view.server("250 ok")
        let shown = view.session.steps.flatMap(\.lines).filter { $0.hasPrefix("line ") }
        #expect(shown.count == SessionAnnotator.messageLinesShown)
        #expect(view.session.steps.contains { $0.lane == .event && $0.lines == ["10 more message lines not shown"] })
    }

    /// A client that sends thousands of NOOPs: the session keeps its first and last steps and
    /// says how many are left out between them, so memory stays bounded.
    @Test func aSessionKeepsItsFirstAndLastStepsAndCountsTheRest() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250 mx.test")
        let noops = 3000
        for number in 1...noops {
            view.client("NOOP \(number)\r\n")
            view.server("250 2.0.0 ok \(number)")
        }
        let session = view.session
        let first = SessionAnnotator.firstStepsKept
        let last = SessionAnnotator.lastStepsKept
        let total = 3 + 2 * noops
        #expect(session.steps.count == first + 1 + last)
        #expect(session.hiddenSteps == total - first - last)
        #expect(session.steps[first].lane == .event)
        #expect(
            session.steps[first].lines == [
                "… \(total - first - last) steps not shown (the first \(first) and the last \(last) are)"
            ])
        #expect(session.steps[0].lines == ["220 mx.test ESMTP"])
        #expect(session.steps.last?.lines == ["250 2.0.0 ok \(noops)"])
        #expect(session.steps[session.steps.count - 2].lines == ["NOOP \(noops)"])
        #expect(JSONText.encode(session.jsonObject).contains("\"stepsNotShown\":\(total - first - last)"))
        let page = HandoutRenderer.page(title: "t", sessions: [session])
        #expect(page.contains("\(total - first - last) steps not shown"))
        let markdown = HandoutRenderer.markdown(title: "t", sessions: [session])
        #expect(markdown.contains("\(total - first - last) steps not shown"))
        // Whatever was sent, what is held is bounded: never more than the first and twice the last.
        #expect(view.session.steps.count <= first + 1 + last)
    }

    @Test func aStepKeepsABoundedAmountOfText() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        // A 60,000-octet line of control bytes: escaped, four times as long.
        view.client("EHLO " + String(repeating: "\u{1}", count: 60_000) + "\r\n")
        let step = view.session.steps[1]
        let text = step.lines.joined(separator: "\n")
        #expect(text.utf8.count <= SessionAnnotator.stepOctetsKept + 40)
        #expect(text.hasPrefix("EHLO \\x01"))
        #expect(text.hasSuffix("more octets not shown"))
        // A message whose lines are long: its step fills, the rest is counted as lines not shown.
        view.server("250 mx.test")
        view.client("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n")
        view.server("250 ok")
        view.server("250 ok")
        view.server("354 go")
        let long = String(repeating: "x", count: 999)
        view.client(String(repeating: long + "\r\n", count: 10) + ".\r\n")
        view.server("250 ok")
        let message = view.session.steps.first { $0.lines.first == long }
        #expect(message.map { $0.lines.joined(separator: "\n").utf8.count <= SessionAnnotator.stepOctetsKept } == true)
        #expect(message?.lines.count == 4)
        #expect(view.session.steps.contains { $0.lane == .event && $0.lines == ["6 more message lines not shown"] })
    }

    @Test func aBDATChunkIsOneStepHoweverManyReadsItTakes() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250-mx.test", "250 CHUNKING")
        view.client("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 3000 LAST\r\n")
        for _ in 1...30 { view.client(String(repeating: "y", count: 100)) }
        view.server("250 ok")
        view.server("250 ok")
        view.server("250 2.0.0 message ok")
        let lines = view.session.steps.filter { $0.lane == .client }.flatMap(\.lines)
        #expect(lines.suffix(2) == ["BDAT 3000 LAST", "[3000 octets of BDAT data]"])
    }

    @Test func bdatOctetsAreCountedNotFramedAsLines() {
        var view = ServerView()
        view.server("220 mx.test ESMTP")
        view.client("EHLO c.test\r\n")
        view.server("250-mx.test", "250 CHUNKING")
        view.client("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nBDAT 12 LAST\r\nhi\r\nQUIT\r\nxx")
        view.server("250 ok")
        view.server("250 ok")
        view.server("250 2.0.0 message ok")
        let lines = view.session.steps.filter { $0.lane == .client }.flatMap(\.lines)
        #expect(
            lines == [
                "EHLO c.test", "MAIL FROM:<a@b.test>", "RCPT TO:<c@d.test>", "BDAT 12 LAST", "[12 octets of BDAT data]",
            ])
        #expect(view.session.steps.last?.answers == "BDAT 12 LAST")
    }

    @Test func serverTextIsEscapedNotRun() {
        var view = ServerView()
        view.server("220 <script>document.title='owned'</script> & \"quotes\" ESMTP")
        let page = HandoutRenderer.page(title: "<b>title</b>", sessions: [view.session])
        #expect(!page.contains("<script>document"))
        #expect(page.contains("&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(page.contains("<title>&lt;b&gt;title&lt;/b&gt;</title>"))
        // No script at all in a handout, and a policy that would refuse one.
        #expect(!page.contains("<script"))
        #expect(page.contains("script-src 'none'"))
        let markdown = HandoutRenderer.markdown(title: "t", sessions: [view.session])
        #expect(markdown.contains("```text\nS: 220 <script>"))
    }

    @Test func thePageHasTwoLanesEveryReplyAndTheLabTable() {
        let page = HandoutRenderer.page(title: "Appendix D", sessions: [Self.appendixD()])
        #expect(page.contains("data-lane=\"client\">Client<small>192.0.2.7:4000</small>"))
        #expect(page.contains("data-lane=\"server\">Server<small>192.0.2.1:25</small>"))
        for code in [220, 250, 550, 354, 221] { #expect(page.contains("data-code=\"\(code)\"")) }
        #expect(page.components(separatedBy: "class=\"step from-server").count - 1 == 8)
        #expect(page.contains("<section class=\"lab\" id=\"lab\">"))
        #expect(page.contains("<code>greylist@practice.test</code>"))
        #expect(page.contains("@media print"))
        let plain = HandoutRenderer.page(title: "t", sessions: [])
        #expect(!plain.contains("id=\"lab\"") && plain.contains("No session in this transcript."))
    }

    @Test func markdownHasEveryStepNotesEscapedAndTheLabTable() {
        let markdown = HandoutRenderer.markdown(title: "Appendix D", sessions: [Self.appendixD()])
        #expect(markdown.hasPrefix("# Appendix D\n"))
        #expect(markdown.contains("```text\nC: MAIL FROM:<smith@bar.test>\n```"))
        #expect(markdown.contains("```text\nS: 550 5.1.1 <nobody@practice.test>: no such user\n```"))
        #expect(markdown.contains("- " + HandoutRenderer.markdownEscape(ReplyAnnotator.codeLine(550))))
        #expect(markdown.contains("| `greylist@practice.test` |"))
        #expect(HandoutRenderer.markdownEscape("<b>*x*</b> | y") == "&lt;b\\>\\*x\\*&lt;/b\\> \\| y")
    }

    @Test func aTranscriptBecomesOneSessionPerConnectionWithTLSShown() throws {
        let text = """
            *  ehlo 0.1 transcript of 127.0.0.1:2525, started 2026-11-18T11:06:40.000Z, secrets redacted
            S: 220 practice.test ESMTP ehlo practice server ready
            C: EHLO c.test
            S: 250-practice.test
            S: 250 STARTTLS
            C: STARTTLS
            S: 220 2.0.0 Ready to start TLS
            C: EHLO c.test
            S: 250 practice.test
            C: AUTH PLAIN <redacted>
            S: 235 2.7.0 ok
            *  ehlo 0.1 transcript of [::1]:2525, started 2026-11-18T11:07:40.000Z, secrets redacted
            S: 220 practice.test ESMTP ehlo practice server ready
            C: QUIT
            S: 221 2.0.0 bye
            """
        let sessions = HandoutSession.sessions(from: try TranscriptReader.read(text))
        #expect(sessions.map(\.server) == ["127.0.0.1:2525", "[::1]:2525"])
        #expect(sessions.map(\.replyCodes) == [[220, 250, 220, 250, 235], [220, 221]])
        #expect(sessions[0].steps.contains { $0.lane == .event && $0.lines[0].hasPrefix("TLS established") })
        #expect(sessions.allSatisfy { !$0.isOpen })
    }

    @Test func jsonHasTheFieldsTheAPIDocuments() throws {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(JSONText.encode(Self.appendixD().jsonObject).utf8))
                as? [String: Any])
        #expect(object["id"] as? Int == 1)
        #expect(object["client"] as? String == "192.0.2.7:4000")
        #expect(object["open"] as? Bool == false)
        #expect(object["helo"] as? String == "laptop.test")
        #expect(object["replies"] as? [Int] == [220, 250, 250, 250, 550, 354, 250, 221])
        #expect((object["started"] as? String)?.hasSuffix("Z") == true)
        let steps = try #require(object["steps"] as? [[String: Any]])
        let refused = try #require(steps.first { $0["code"] as? Int == 550 })
        #expect(refused["lane"] as? String == "server")
        let notes = try #require(refused["notes"] as? [[String: String]])
        #expect(notes.contains { $0["kind"] == "annotation" && $0["text"] == ReplyAnnotator.codeLine(550) })
    }
}
