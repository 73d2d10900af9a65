import Testing

@testable import SMTPCore

/// Lock-step sessions: RFC 5321 Appendix D and the rules of sequence.
@Suite struct SessionStateMachineTests {
    /// RFC 5321 Appendix D.1, with the next steps ehlo shows after each reply.
    @Test func appendixDScenario() {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        var outcome = session.replyReceived(SMTPReply(220, "foo.com Simple Mail Transfer Service Ready"))
        #expect(outcome.answered == .greeting)
        #expect(outcome.nextSteps == ["EHLO <domain>", "HELO <domain>", "QUIT"])
        #expect(session.phase == .greeted)

        #expect(session.warnAndSend("EHLO bar.com").isEmpty)
        #expect(session.inputMode == .commands)
        outcome = session.replyReceived(
            SMTPReply(ehloLines: ["foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"]))
        #expect(session.phase == .helloed)
        #expect(session.capabilities?.has("DSN") == true)
        #expect(outcome.nextSteps == ["MAIL FROM:<…>", "RSET", "QUIT"])

        #expect(session.warnAndSend("MAIL FROM:<Smith@bar.com>").isEmpty)
        outcome = session.replyReceived(SMTPReply(250, "OK"))
        #expect(outcome.meaning == "the transaction has started with this sender")
        #expect(outcome.nextSteps == ["RCPT TO:<…>", "RSET", "NOOP", "QUIT"])
        #expect(session.sender == "Smith@bar.com")

        #expect(session.warnAndSend("RCPT TO:<Jones@foo.com>").isEmpty)
        outcome = session.replyReceived(SMTPReply(250, "OK"))
        #expect(outcome.nextSteps == ["RCPT TO:<…>", "DATA", "RSET", "NOOP", "QUIT"])

        #expect(session.warnAndSend("RCPT TO:<Green@foo.com>").isEmpty)
        outcome = session.replyReceived(SMTPReply(550, "No such user here"))
        #expect(
            outcome.meaning
                == "this recipient is refused: no such mailbox here, or a policy says no (the enhanced code and the text say which); the transaction goes on with the others"
        )
        #expect(session.phase == .recipientsGiven)

        #expect(session.warnAndSend("RCPT TO:<Brown@foo.com>").isEmpty)
        _ = session.replyReceived(SMTPReply(250, "OK"))
        #expect(session.acceptedRecipients == ["Jones@foo.com", "Brown@foo.com"])
        #expect(session.refusedRecipients == ["Green@foo.com"])
        #expect(session.promptTags == ["mail", "rcpt=2"])

        #expect(session.warnAndSend("DATA").isEmpty)
        #expect(session.inputMode == .awaitingReply(.command(SMTPCommand(line: "DATA"))))
        outcome = session.replyReceived(SMTPReply(354, "Start mail input; end with <CRLF>.<CRLF>"))
        #expect(outcome.actions == [.enterDataMode])
        #expect(session.phase == .data)
        #expect(session.inputMode == .message)

        #expect(session.endOfDataSent(at: 0) == [.awaitReplies])
        #expect(session.inputMode == .commands)
        outcome = session.replyReceived(SMTPReply(250, "OK"))
        #expect(outcome.answered == .endOfData)
        #expect(outcome.meaning == "the message is accepted for delivery; the transaction is over")
        #expect(session.phase == .helloed)
        #expect(session.acceptedRecipients.isEmpty)

        #expect(session.warnAndSend("QUIT").isEmpty)
        outcome = session.replyReceived(SMTPReply(221, "foo.com Service closing transmission channel"))
        #expect(outcome.actions == [.closeConnection])
        #expect(session.phase == .closed)
        #expect(outcome.warnings.isEmpty)
    }

    @Test func mailBeforeEHLOIsWarnedAboutButTheStateFollowsTheServer() {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx"))
        let warnings = session.warnAndSend("MAIL FROM:<a@b.test>")
        #expect(warnings.count == 1)
        #expect(warnings[0].contains("out of sequence"))
        #expect(warnings[0].contains("RFC 5321 §4.1.4"))
        let outcome = session.replyReceived(SMTPReply(503, "5.5.1 Error: send HELO/EHLO first"))
        #expect(session.phase == .greeted)
        #expect(outcome.meaning.contains("out of sequence"))
    }

    @Test func dataWithoutAcceptedRecipientIsWarned() {
        var session = SessionStateMachine.helloed()
        session.send("MAIL FROM:<a@b.test>")
        _ = session.replyReceived(SMTPReply(250, "ok"))
        #expect(session.warnAndSend("DATA").first?.contains("at least one recipient") == true)
    }

    @Test func rcptBeforeMailIsWarned() {
        var session = SessionStateMachine.helloed()
        #expect(session.warnAndSend("RCPT TO:<a@b.test>").first?.contains("RCPT needs a transaction") == true)
    }

    @Test func unadvertisedExtensionsAreWarned() {
        var session = SessionStateMachine.helloed(capabilities: ["SIZE 1000"])
        #expect(session.warnAndSend("STARTTLS").first?.contains("did not advertise STARTTLS") == true)
        _ = session.replyReceived(SMTPReply(502, "no"))
        #expect(session.warnAndSend("AUTH PLAIN").first?.contains("did not advertise AUTH") == true)
        _ = session.replyReceived(SMTPReply(502, "no"))
        let warnings = session.warnAndSend("MAIL FROM:<a@b.test> SIZE=5000 BODY=8BITMIME")
        #expect(warnings.contains { $0.contains("over the server's limit of 1000") })
        #expect(warnings.contains { $0.contains("needs 8BITMIME") })
    }

    /// Every MAIL parameter is judged the same way: its extension must have been advertised.
    @Test(arguments: [
        ("RET=HDRS", "needs DSN"), ("ENVID=abc", "needs DSN"), ("SMTPUTF8", "needs SMTPUTF8"),
        ("PRDR", "needs PRDR"), ("BODY=8BITMIME", "needs 8BITMIME"), ("BODY=BINARYMIME", "needs BINARYMIME"),
        ("SIZE=10", "needs SIZE"), ("REQUIRETLS", "needs REQUIRETLS"),
    ])
    func unadvertisedParametersAreWarned(parameter: String, warning: String) {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        let warnings = session.warnAndSend("MAIL FROM:<a@b.test> \(parameter)")
        #expect(warnings.contains { $0.contains(warning) }, "\(warnings)")
    }

    @Test func utf8AddressWithoutSMTPUTF8IsWarned() {
        var session = SessionStateMachine.helloed(capabilities: ["SMTPUTF8"])
        #expect(session.warnAndSend("MAIL FROM:<jörg@b.test>").contains { $0.contains("RFC 6531 §3.4") })
        _ = session.replyReceived(SMTPReply(553, "5.6.7 no"))
        #expect(session.warnAndSend("MAIL FROM:<jörg@b.test> SMTPUTF8").isEmpty)
        _ = session.replyReceived(SMTPReply(250, "ok"))
        #expect(session.warnAndSend("RCPT TO:<zoë@mx.test>").isEmpty)
    }

    @Test func malformedMailSyntaxIsWarned() {
        var session = SessionStateMachine.helloed()
        #expect(session.warnAndSend("MAIL alice@example.test").first?.contains("MAIL FROM:<reverse-path>") == true)
        _ = session.replyReceived(SMTPReply(501, "syntax"))
        #expect(session.warnAndSend("MAIL FROM:alice@example.test").first?.contains("angle brackets") == true)
    }

    @Test func startTLSForgetsTheSession() {
        var session = SessionStateMachine.helloed(capabilities: ["STARTTLS", "AUTH PLAIN"])
        #expect(session.warnAndSend("STARTTLS").isEmpty)
        let outcome = session.replyReceived(SMTPReply(220, "2.0.0 Ready to start TLS"))
        #expect(outcome.actions == [.startTLSHandshake])
        #expect(outcome.nextSteps == ["the TLS handshake"])
        #expect(session.inputMode == .tlsHandshake)
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
        session.connectionOpened(at: 0)
        let outcome = session.replyReceived(SMTPReply(554, "5.7.1 go away"))
        #expect(session.phase == .refused)
        #expect(outcome.nextSteps == ["QUIT"])
        #expect(outcome.meaning == "the server refuses this session; it waits only for QUIT")
    }

    @Test func replyCodeNotListedForTheCommandIsFlagged() {
        var session = SessionStateMachine.helloed()
        session.send("NOOP")
        let outcome = session.replyReceived(SMTPReply(354, "weird"))
        #expect(outcome.warnings.contains { $0.contains("not a reply the RFC lists for NOOP") })
        #expect(outcome.warnings.contains { $0.contains("354 answers only DATA") })
        #expect(outcome.actions.isEmpty)
        #expect(session.inputMode == .commands)
    }

    @Test func enhancedCodeOfAnotherClassIsFlagged() {
        var session = SessionStateMachine.helloed()
        session.send("NOOP")
        let outcome = session.replyReceived(SMTPReply(250, "5.0.0 confused"))
        #expect(outcome.warnings.contains { $0.contains("contradicts reply code 250") })
    }

    @Test func authChallengeMakesTheNextLineASecret() {
        var session = SessionStateMachine.helloed(capabilities: ["AUTH PLAIN LOGIN"])
        session.send("AUTH LOGIN")
        #expect(session.inputMode == .awaitingReply(.command(SMTPCommand(line: "AUTH LOGIN"))))
        let outcome = session.replyReceived(SMTPReply(334, "VXNlcm5hbWU6"))
        #expect(outcome.actions == [.expectSecretResponse])
        #expect(session.inputMode == .challengeAnswer)
        #expect(session.authResponseSent(at: 0) == [.awaitReplies])
        #expect(session.inputMode == .awaitingReply(.authContinuation))
        _ = session.replyReceived(SMTPReply(334, "UGFzc3dvcmQ6"))
        #expect(session.inputMode == .challengeAnswer)
        _ = session.authResponseSent(at: 0)
        _ = session.replyReceived(SMTPReply(235, "2.7.0 Authentication successful"))
        #expect(session.isAuthenticated)
        #expect(session.inputMode == .commands)
        #expect(session.promptTags == ["ehlo", "auth"])
    }

    @Test func heloSessionHasNoExtensionsAndWarnsAboutParameters() {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx"))
        session.send("HELO client.test")
        _ = session.replyReceived(SMTPReply(250, "mx"))
        #expect(session.capabilities?.capabilities.isEmpty == true)
        #expect(session.warnAndSend("MAIL FROM:<a@b.test> SIZE=10").contains { $0.contains("HELO") })
    }

    @Test func unknownVerbIsWarnedButAllowed() {
        let session = SessionStateMachine.helloed()
        #expect(session.warnings(for: SMTPCommand(line: "XYZZY")).first?.contains("not a command ehlo knows") == true)
    }

    @Test func aDroppedConnectionNamesTheExchangesLeftUnanswered() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        session.send("MAIL FROM:<a@b.test>", pipelined: true)
        session.send("RCPT TO:<b@mx.test>", pipelined: true)
        #expect(session.connectionClosed().map(\.name) == ["MAIL", "RCPT"])
        #expect(session.phase == .closed)
        #expect(session.pending.isEmpty)
    }

    /// Found by FuzzReplies (Fuzz/corpus/FuzzReplies/finding-auth-mechanism-bidi-override): the
    /// warning for an unlisted AUTH mechanism quoted the server's mechanisms raw, so a bidi
    /// override (or an escape sequence) in the EHLO reply reached the terminal.
    @Test func unlistedMechanismWarningEscapesTheServersMechanisms() {
        var session = SessionStateMachine.helloed(capabilities: ["AUTH PLAIN \u{202E}\u{1B}[2J"])
        let warnings = session.warnAndSend("AUTH LOGIN")
        let warning = warnings.first { $0.contains("did not list LOGIN") }
        #expect(warning?.hasSuffix("(PLAIN \\xe2\\x80\\xae\\e[2J)") == true)
    }
}
