import Testing

@testable import SMTPCore

/// What a misbehaving server's replies do to the session: each case a trace, found by the
/// hostile-server table of the end-to-end tests.
@Suite struct HostileServerTests {
    /// RFC 1870 §4: `size-param ::= [1*20DIGIT]`. Real servers send `250-SIZE 10240000` (Postfix),
    /// `250-SIZE 52428800` (Exim), `250-SIZE 157286400` (Microsoft 365), `250-SIZE 35882577` (Gmail).
    @Test(arguments: [
        (
            "SIZE 99999999999999999999999",
            "SIZE 99999999999999999999999 has 23 digits, more than the 20 RFC 1870 §4 allows; ehlo assumes no limit"
        ),
        ("SIZE -1", "SIZE -1 is not a count of octets (RFC 1870 §4: SIZE [1*20DIGIT]); ehlo assumes no limit"),
        ("SIZE abc", "SIZE abc is not a count of octets (RFC 1870 §4: SIZE [1*20DIGIT]); ehlo assumes no limit"),
        ("SIZE 10 20", "SIZE 10 20 is not a count of octets (RFC 1870 §4: SIZE [1*20DIGIT]); ehlo assumes no limit"),
        (
            "SIZE \u{1B}[2J",
            "SIZE \\e[2J is not a count of octets (RFC 1870 §4: SIZE [1*20DIGIT]); ehlo assumes no limit"
        ),
    ])
    func sizeThatIsNotACountOfOctetsIsWarnedAndMeansNoLimit(keyword: String, warning: String) {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.test ESMTP"))
        session.send("EHLO client.test")
        let outcome = session.replyReceived(SMTPReply(ehloLines: ["mx.test", keyword, "PIPELINING"]))
        #expect(outcome.warnings == [warning])
        #expect(session.phase == .helloed)
        #expect(session.capabilities?.maximumMessageSize == nil)
        // No limit is assumed, so a message of any size is sent without a warning about SIZE.
        #expect(session.warnAndSend("MAIL FROM:<a@client.test> SIZE=1000000").isEmpty)
    }

    @Test(arguments: [
        ("SIZE 10240000", 10_240_000), ("SIZE 0", nil), ("SIZE", nil), ("SIZE 99999999999999999999", Int.max),
    ])
    func sizeAsTheRFCWritesItIsTakenWithoutAWarning(keyword: String, limit: Int?) {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.test ESMTP"))
        session.send("EHLO client.test")
        let outcome = session.replyReceived(SMTPReply(ehloLines: ["mx.test", keyword]))
        #expect(outcome.warnings.isEmpty)
        #expect(session.capabilities?.maximumMessageSize == limit)
    }

    @Test func sizeInTheReplyToLHLOIsCheckedToo() {
        var session = SessionStateMachine(sessionProtocol: .lmtp)
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.test LMTP"))
        session.send("LHLO client.test")
        let outcome = session.replyReceived(SMTPReply(ehloLines: ["mx.test", "SIZE abc"]))
        #expect(outcome.warnings.count == 1)
        #expect(outcome.warnings.first?.hasPrefix("SIZE abc is not a count of octets") == true)
    }

    /// `250-` then the close (RFC 5321 §4.2.1: only `250 ` ends the reply): the lines are shown,
    /// but they do not open the session as a whole EHLO reply would; EHLO is left unanswered.
    @Test func unfinishedReplyAnswersNothing() {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.test ESMTP"))
        session.send("EHLO client.test")
        var parser = ReplyParser()
        #expect(parser.parse(line: Array("250-mx.test".utf8)) == .needMoreLines)
        guard let unfinished = parser.connectionEnded() else {
            Issue.record("the parser lost the unfinished reply")
            return
        }
        #expect(unfinished.problems == [.unfinishedReply])
        let outcome = session.replyReceived(unfinished)
        #expect(outcome.answered == nil)
        #expect(outcome.actions.isEmpty)
        #expect(session.phase == .greeted)
        #expect(session.capabilities == nil)
        #expect(session.connectionClosed() == [.command(SMTPCommand(line: "EHLO client.test"))])
    }

    /// RFC 4954 §4: a challenge is base64. Postfix sends `334 VXNlcm5hbWU6` to AUTH LOGIN, Exim
    /// `334 ` (empty) to AUTH PLAIN; neither is warned about, text that cannot be decoded is.
    @Test(arguments: [("!!not*base64!!", true), ("@@@", true), ("VXNlcm5hbWU6", false), ("", false)])
    func challengeThatIsNotBase64IsWarned(challenge: String, isWarned: Bool) {
        var session = SessionStateMachine.helloed(capabilities: ["AUTH LOGIN CRAM-MD5"])
        session.send("AUTH LOGIN")
        let outcome = session.replyReceived(SMTPReply(334, challenge))
        #expect(session.inputMode == .challengeAnswer)
        #expect(
            outcome.warnings.contains {
                $0.hasPrefix("this 334's challenge is not base64")
            } == isWarned)
    }
}
