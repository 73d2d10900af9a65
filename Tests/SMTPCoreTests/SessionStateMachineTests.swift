import Testing

@testable import SMTPCore

@Suite struct SessionStateMachineTests {
    private func command(_ line: String, in session: inout SessionStateMachine) -> [String] {
        let command = SMTPCommand(line: line)
        let warnings = session.warnings(for: command)
        session.commandSent(command)
        return warnings
    }

    /// RFC 5321 Appendix D.1, with the next steps ehlo shows after each reply.
    @Test func appendixDScenario() {
        var session = SessionStateMachine()
        session.connectionOpened()
        var outcome = session.replyReceived(SMTPReply(220, "foo.com Simple Mail Transfer Service Ready"))
        #expect(outcome.answered == .greeting)
        #expect(outcome.nextSteps == ["EHLO <domain>", "HELO <domain>", "QUIT"])
        #expect(session.phase == .greeted)

        #expect(command("EHLO bar.com", in: &session).isEmpty)
        outcome = session.replyReceived(SMTPReply(250, "foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"))
        #expect(session.phase == .helloed)
        #expect(session.capabilities?.has("DSN") == true)
        #expect(outcome.nextSteps == ["MAIL FROM:<…>", "RSET", "QUIT"])

        #expect(command("MAIL FROM:<Smith@bar.com>", in: &session).isEmpty)
        outcome = session.replyReceived(SMTPReply(250, "OK"))
        #expect(outcome.meaning == "the transaction has started with this sender")
        #expect(outcome.nextSteps == ["RCPT TO:<…>", "RSET", "NOOP", "QUIT"])
        #expect(session.sender == "Smith@bar.com")

        #expect(command("RCPT TO:<Jones@foo.com>", in: &session).isEmpty)
        outcome = session.replyReceived(SMTPReply(250, "OK"))
        #expect(outcome.nextSteps == ["RCPT TO:<…>", "DATA", "RSET", "NOOP", "QUIT"])

        #expect(command("RCPT TO:<Green@foo.com>", in: &session).isEmpty)
        outcome = session.replyReceived(SMTPReply(550, "No such user here"))
        #expect(outcome.meaning == "this recipient is refused; the transaction goes on with the others")
        #expect(session.phase == .recipientsGiven)

        #expect(command("RCPT TO:<Brown@foo.com>", in: &session).isEmpty)
        _ = session.replyReceived(SMTPReply(250, "OK"))
        #expect(session.acceptedRecipients == ["Jones@foo.com", "Brown@foo.com"])
        #expect(session.refusedRecipients == 1)
        #expect(session.promptTags == ["mail", "rcpt=2"])

        #expect(command("DATA", in: &session).isEmpty)
        outcome = session.replyReceived(SMTPReply(354, "Start mail input; end with <CRLF>.<CRLF>"))
        #expect(outcome.actions == [.enterDataMode])
        #expect(session.phase == .data)

        session.endOfDataSent()
        outcome = session.replyReceived(SMTPReply(250, "OK"))
        #expect(outcome.answered == .endOfData)
        #expect(outcome.meaning == "the message is accepted for delivery; the transaction is over")
        #expect(session.phase == .helloed)
        #expect(session.acceptedRecipients.isEmpty)

        #expect(command("QUIT", in: &session).isEmpty)
        outcome = session.replyReceived(SMTPReply(221, "foo.com Service closing transmission channel"))
        #expect(outcome.actions == [.closeConnection])
        #expect(session.phase == .closed)
        #expect(outcome.warnings.isEmpty)
    }

    @Test func mailBeforeEHLOIsWarnedAboutButTheStateFollowsTheServer() {
        var session = SessionStateMachine()
        session.connectionOpened()
        _ = session.replyReceived(SMTPReply(220, "mx"))
        let warnings = command("MAIL FROM:<a@b.test>", in: &session)
        #expect(warnings.count == 1)
        #expect(warnings[0].contains("out of sequence"))
        #expect(warnings[0].contains("RFC 5321 §4.1.4"))
        let outcome = session.replyReceived(SMTPReply(503, "5.5.1 Error: send HELO/EHLO first"))
        #expect(session.phase == .greeted)
        #expect(outcome.meaning.contains("out of sequence"))
    }

    @Test func dataWithoutAcceptedRecipientIsWarned() {
        var session = SessionStateMachine.helloed()
        _ = command("MAIL FROM:<a@b.test>", in: &session)
        _ = session.replyReceived(SMTPReply(250, "ok"))
        let warnings = command("DATA", in: &session)
        #expect(warnings.first?.contains("at least one recipient") == true)
    }

    @Test func rcptBeforeMailIsWarned() {
        var session = SessionStateMachine.helloed()
        #expect(command("RCPT TO:<a@b.test>", in: &session).first?.contains("RCPT needs a transaction") == true)
    }

    @Test func unadvertisedExtensionsAreWarned() {
        var session = SessionStateMachine.helloed(capabilities: ["SIZE 1000"])
        #expect(command("STARTTLS", in: &session).first?.contains("did not advertise STARTTLS") == true)
        _ = session.replyReceived(SMTPReply(502, "no"))
        #expect(command("AUTH PLAIN", in: &session).first?.contains("did not advertise AUTH") == true)
        _ = session.replyReceived(SMTPReply(502, "no"))
        let warnings = command("MAIL FROM:<a@b.test> SIZE=5000 BODY=8BITMIME", in: &session)
        #expect(warnings.contains { $0.contains("over the server's limit of 1000") })
        #expect(warnings.contains { $0.contains("needs 8BITMIME") })
    }

    @Test func malformedMailSyntaxIsWarned() {
        var session = SessionStateMachine.helloed()
        #expect(command("MAIL alice@example.test", in: &session).first?.contains("MAIL FROM:<reverse-path>") == true)
        _ = session.replyReceived(SMTPReply(501, "syntax"))
        #expect(command("MAIL FROM:alice@example.test", in: &session).first?.contains("angle brackets") == true)
    }

    @Test func startTLSForgetsTheSession() {
        var session = SessionStateMachine.helloed(capabilities: ["STARTTLS", "AUTH PLAIN"])
        #expect(command("STARTTLS", in: &session).isEmpty)
        let outcome = session.replyReceived(SMTPReply(220, "2.0.0 Ready to start TLS"))
        #expect(outcome.actions == [.startTLSHandshake])
        #expect(outcome.nextSteps == ["the TLS handshake"])
        session.tlsEstablished()
        #expect(session.phase == .greeted)
        #expect(session.capabilities == nil)
        #expect(session.isTLS)
        #expect(session.nextSteps == ["EHLO <domain>", "HELO <domain>", "QUIT"])
    }

    @Test func unsolicited421ClosesTheSession() {
        var session = SessionStateMachine.helloed()
        let outcome = session.replyReceived(SMTPReply(421, "4.4.2 mx.test Error: timeout exceeded"))
        #expect(outcome.answered == nil)
        #expect(outcome.actions == [.closeConnection])
        #expect(session.phase == .closed)
        #expect(outcome.nextSteps == ["/connect HOST[:PORT]"])
    }

    @Test func refusingGreetingLeavesOnlyQuit() {
        var session = SessionStateMachine()
        session.connectionOpened()
        let outcome = session.replyReceived(SMTPReply(554, "5.7.1 go away"))
        #expect(session.phase == .refused)
        #expect(outcome.nextSteps == ["QUIT"])
        #expect(outcome.meaning == "the server refuses this session; it waits only for QUIT")
    }

    @Test func replyCodeNotListedForTheCommandIsFlagged() {
        var session = SessionStateMachine.helloed()
        _ = command("NOOP", in: &session)
        let outcome = session.replyReceived(SMTPReply(354, "weird"))
        #expect(outcome.warnings.first?.contains("not a reply the RFC lists for NOOP") == true)
    }

    @Test func enhancedCodeOfAnotherClassIsFlagged() {
        var session = SessionStateMachine.helloed()
        _ = command("NOOP", in: &session)
        let outcome = session.replyReceived(SMTPReply(250, "5.0.0 confused"))
        #expect(outcome.warnings.contains { $0.contains("contradicts reply code 250") })
    }

    @Test func authChallengeMakesTheNextLineASecret() {
        var session = SessionStateMachine.helloed(capabilities: ["AUTH PLAIN LOGIN"])
        _ = command("AUTH LOGIN", in: &session)
        let outcome = session.replyReceived(SMTPReply(334, "VXNlcm5hbWU6"))
        #expect(outcome.actions == [.expectSecretResponse])
        #expect(session.isAwaitingChallengeAnswer)
        session.authResponseSent()
        #expect(!session.isAwaitingChallengeAnswer)
        _ = session.replyReceived(SMTPReply(334, "UGFzc3dvcmQ6"))
        #expect(session.isAwaitingChallengeAnswer)
        session.authResponseSent()
        _ = session.replyReceived(SMTPReply(235, "2.7.0 Authentication successful"))
        #expect(session.isAuthenticated)
        #expect(session.promptTags == ["ehlo", "auth"])
    }

    @Test func heloSessionHasNoExtensionsAndWarnsAboutParameters() {
        var session = SessionStateMachine()
        session.connectionOpened()
        _ = session.replyReceived(SMTPReply(220, "mx"))
        _ = command("HELO client.test", in: &session)
        _ = session.replyReceived(SMTPReply(250, "mx"))
        #expect(session.capabilities?.capabilities.isEmpty == true)
        #expect(command("MAIL FROM:<a@b.test> SIZE=10", in: &session).contains { $0.contains("HELO") })
    }

    @Test func unknownVerbIsWarnedButAllowed() {
        var session = SessionStateMachine.helloed()
        #expect(command("XYZZY", in: &session).first?.contains("not a command ehlo knows") == true)
    }
}

extension SessionStateMachine {
    /// A session after a successful EHLO whose reply listed `capabilities`.
    static func helloed(capabilities: [String] = []) -> SessionStateMachine {
        var session = SessionStateMachine()
        session.connectionOpened()
        _ = session.replyReceived(SMTPReply(220, "mx.test ESMTP"))
        session.commandSent(SMTPCommand(line: "EHLO client.test"))
        let lines = ["mx.test"] + capabilities
        _ = session.replyReceived(
            SMTPReply(
                code: 250,
                lines: lines.enumerated().map { index, text in
                    ReplyLine("250\(index == lines.count - 1 ? " " : "-")\(text)")
                }))
        return session
    }
}
