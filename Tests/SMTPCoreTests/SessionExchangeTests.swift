import Testing

@testable import SMTPCore

/// Sessions where one command does not get exactly one reply, or an extension bends the rules:
/// pipelining (RFC 2920), LMTP (RFC 2033), PRDR, CHUNKING (RFC 3030). Each reads as a trace.
@Suite struct SessionExchangeTests {
    // MARK: Pipelining

    /// A flood of pipelined commands (a student's 3,000 NOOPs in one write) names the first few
    /// still awaited and counts the rest, instead of all of them on every reply.
    @Test func aLongPipelinedGroupNamesTheFirstAwaitedAndCountsTheRest() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        for _ in 0..<20 { _ = session.send("NOOP", pipelined: true) }
        session.exchangesWritten(at: 1)
        var outcome = session.replyReceived(SMTPReply(250, "2.0.0 Ok"))
        #expect(outcome.stillAwaited.count == SessionStateMachine.awaitedNamesShown + 1)
        #expect(outcome.stillAwaited.last == "and 11 more")
        #expect(ReplyAnnotator.contextLine(outcome).hasSuffix(", and 11 more"))
        for _ in 0..<(19 - SessionStateMachine.awaitedNamesShown) {
            outcome = session.replyReceived(SMTPReply(250, "2.0.0 Ok"))
        }
        #expect(outcome.stillAwaited.count == SessionStateMachine.awaitedNamesShown)
        #expect(!outcome.stillAwaited.contains { $0.hasPrefix("and ") })
    }

    /// RFC 2920 §3.1: MAIL, RCPT and RCPT go anywhere in a group; DATA ends it. One RCPT is refused.
    @Test func pipelinedGroupPairsEveryReplyWithItsCommand() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        #expect(session.warnAndSend("MAIL FROM:<alice@client.test>", pipelined: true).isEmpty)
        #expect(session.send("RCPT TO:<bob@mx.test>", pipelined: true) == [])
        // Judged against where the session will be, so no false "out of sequence".
        #expect(session.warnings(for: SMTPCommand(line: "RCPT TO:<carol@mx.test>")).isEmpty)
        #expect(session.send("RCPT TO:<carol@mx.test>", pipelined: true) == [])
        #expect(session.warnings(for: SMTPCommand(line: "DATA")).isEmpty)
        #expect(session.send("DATA", pipelined: true) == [.awaitReplies])
        #expect(session.pending.count == 4)
        #expect(session.inputMode == .awaitingReply(.command(SMTPCommand(line: "DATA"))))
        #expect(
            session.awaitedDescription.first
                == "MAIL FROM:<alice@client.test>: held for the pipelined group, not sent yet")
        session.exchangesWritten(at: 1)

        var outcome = session.replyReceived(SMTPReply(250, "2.1.0 Ok"))
        #expect(outcome.answered == .command(SMTPCommand(line: "MAIL FROM:<alice@client.test>")))
        #expect(outcome.isPipelined)
        #expect(outcome.stillAwaited == ["RCPT TO:<bob@mx.test>", "RCPT TO:<carol@mx.test>", "DATA"])
        #expect(
            ReplyAnnotator.contextLine(outcome)
                == "after MAIL FROM:<alice@client.test>: the transaction has started with this sender; awaited: RCPT TO:<bob@mx.test>, RCPT TO:<carol@mx.test>, DATA"
        )
        outcome = session.replyReceived(SMTPReply(250, "2.1.5 Ok"))
        #expect(outcome.meaning == "this recipient is accepted")
        outcome = session.replyReceived(SMTPReply(550, "5.1.1 <carol@mx.test>: Recipient address rejected"))
        #expect(outcome.answered == .command(SMTPCommand(line: "RCPT TO:<carol@mx.test>")))
        #expect(
            outcome.meaning
                == "this recipient is refused: no such mailbox here, or a policy says no (the enhanced code and the text say which); the transaction goes on with the others"
        )
        outcome = session.replyReceived(SMTPReply(354, "End data with <CR><LF>.<CR><LF>"))
        #expect(outcome.actions == [.enterDataMode])
        #expect(outcome.stillAwaited.isEmpty)
        #expect(session.acceptedRecipients == ["bob@mx.test"])
        #expect(session.refusedRecipients == ["carol@mx.test"])
        // RFC 2920 §3.1: the message content may open the next group.
        #expect(session.endOfDataSent(at: 0, isPipelined: true) == [])
        #expect(session.send("QUIT", pipelined: true) == [.awaitReplies])
        _ = session.replyReceived(SMTPReply(250, "2.0.0 Ok: queued"))
        #expect(session.replyReceived(SMTPReply(221, "2.0.0 Bye")).actions == [.closeConnection])
    }

    @Test(arguments: [
        ("EHLO client.test", true), ("DATA", true), ("NOOP", true), ("QUIT", true), ("VRFY bob", true),
        ("EXPN list", true), ("STARTTLS", true), ("AUTH LOGIN", true), ("HELO client.test", true),
        ("ETRN example.test", true), ("BDAT 10 LAST", true),
        ("RSET", false), ("MAIL FROM:<a@b.test>", false), ("RCPT TO:<c@d.test>", false), ("BDAT 10", false),
        ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", false),
    ])
    func commandsThatEndAGroupFollowRFC2920(line: String, endsGroup: Bool) {
        #expect(CommandTable.endsGroup(SMTPCommand(line: line)) == endsGroup)
    }

    @Test func pipeliningUnadvertisedIsNamed() {
        #expect(SessionStateMachine.helloed(capabilities: ["PIPELINING"]).pipeliningWarning == nil)
        #expect(SessionStateMachine.helloed().pipeliningWarning?.contains("RFC 2920 §3") == true)
    }

    @Test func aCommandTypedAheadOfAReplyIsJudgedAgainstThePrediction() {
        var session = SessionStateMachine.helloed()
        session.send("MAIL FROM:<a@b.test>")
        // The user pressed Ctrl-C and typed on: RCPT is in sequence once MAIL is answered.
        #expect(session.warnings(for: SMTPCommand(line: "RCPT TO:<c@mx.test>")).isEmpty)
        #expect(session.predictedPhase == .mailTransaction)
        #expect(session.legalCommands.contains { $0.verb == .rcpt })
        #expect(session.awaitedDescription == ["MAIL FROM:<a@b.test>: its reply"])
        #expect(session.promptTags == ["ehlo", "awaiting=1"])
    }

    @Test func aCommandBeforeTheGreetingIsWarned() {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        #expect(session.warnings(for: SMTPCommand(line: "EHLO client.test")).first?.contains("RFC 5321 §3.1") == true)
        #expect(session.warnings(for: SMTPCommand(line: "QUIT")).isEmpty)
    }

    // MARK: LMTP

    /// RFC 2033 §4.2: after the dot, one reply per accepted RCPT, in RCPT order.
    @Test func lmtpGivesOneReplyPerAcceptedRecipient() {
        var session = SessionStateMachine(sessionProtocol: .lmtp)
        session.connectionOpened(at: 0)
        var outcome = session.replyReceived(SMTPReply(220, "mx.test LMTP ready"))
        #expect(outcome.nextSteps == ["LHLO <domain>", "QUIT"])
        #expect(session.warnAndSend("LHLO client.test").isEmpty)
        _ = session.replyReceived(SMTPReply(ehloLines: ["mx.test", "PIPELINING", "ENHANCEDSTATUSCODES"]))
        #expect(session.helloKind == .lhlo)
        session.openTransaction(recipients: ["bob@mx.test", "carol@mx.test"])
        session.send("RCPT TO:<nobody@mx.test>")
        _ = session.replyReceived(SMTPReply(550, "5.1.1 no such user"))
        session.send("RCPT TO:<dave@mx.test>")
        _ = session.replyReceived(SMTPReply(250, "2.1.5 ok"))
        session.send("DATA")
        _ = session.replyReceived(SMTPReply(354, "go ahead"))
        _ = session.endOfDataSent(at: 0)
        #expect(session.awaitedDescription == ["end of data: 3 of 3 per-recipient replies (LMTP)"])

        outcome = session.replyReceived(SMTPReply(250, "2.0.0 <bob@mx.test> delivered"))
        #expect(outcome.recipient == .init(address: "bob@mx.test", position: 1, count: 3))
        #expect(outcome.meaning == "for <bob@mx.test> (1 of 3): the message is delivered to this recipient")
        #expect(outcome.stillAwaited == ["2 more replies to end of data"])
        outcome = session.replyReceived(SMTPReply(452, "4.2.2 <carol@mx.test> mailbox full"))
        #expect(outcome.recipient?.address == "carol@mx.test")
        #expect(outcome.meaning.hasPrefix("for <carol@mx.test> (2 of 3): not delivered to this recipient, for now"))
        #expect(outcome.warnings.isEmpty)
        // A command typed while the third reply is late is queued behind it, not given its reply.
        session.send("NOOP")
        outcome = session.replyReceived(SMTPReply(250, "2.0.0 <dave@mx.test> delivered"))
        #expect(outcome.recipient?.address == "dave@mx.test")
        #expect(outcome.stillAwaited == ["NOOP"])
        outcome = session.replyReceived(SMTPReply(250, "2.0.0 Ok"))
        #expect(outcome.answered == .command(SMTPCommand(line: "NOOP")))
        #expect(outcome.meaning == "the server is alive; nothing changed")
    }

    @Test func lhloAcceptedMakesTheSessionLMTP() {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        let outcome = session.replyReceived(SMTPReply(220, "mx.test LMTP Dovecot ready"))
        #expect(outcome.notes.contains { $0.contains("greet with LHLO") })
        #expect(session.warnAndSend("LHLO client.test").first?.contains("LHLO is LMTP's") == true)
        _ = session.replyReceived(SMTPReply(ehloLines: ["mx.test", "PIPELINING"]))
        #expect(session.sessionProtocol == .lmtp)
        #expect(session.promptTags == ["lhlo", "lmtp"])
        #expect(session.warnings(for: SMTPCommand(line: "EHLO client.test")).first?.contains("LMTP session") == true)
    }

    /// RFC 2033 §4.3: BDAT LAST gets one reply per accepted recipient too.
    @Test func lmtpBDATLastGetsOneReplyPerRecipient() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING"], sessionProtocol: .lmtp)
        session.openTransaction(recipients: ["bob@mx.test", "carol@mx.test"])
        #expect(session.send("BDAT 5 LAST") == [.readChunk(octets: 5)])
        #expect(session.chunkOctetsSent(5) == [.awaitReplies])
        _ = session.replyReceived(SMTPReply(250, "2.0.0 bob ok"))
        #expect(session.pending.count == 1)
        let outcome = session.replyReceived(SMTPReply(550, "5.2.1 carol refuses"))
        #expect(outcome.recipient?.position == 2)
        #expect(session.pending.isEmpty)
        #expect(session.phase == .helloed)
    }

    /// RFC 2033 §4.3: with no accepted recipient, BDAT LAST gets no reply at all.
    @Test func lmtpBDATLastWithoutRecipientsGetsNoReply() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING", "PIPELINING"], sessionProtocol: .lmtp)
        session.send("MAIL FROM:<a@b.test>")
        _ = session.replyReceived(SMTPReply(250, "ok"))
        session.send("RCPT TO:<nobody@mx.test>", pipelined: true)
        session.send("BDAT 3 LAST", pipelined: true)
        #expect(session.chunkOctetsSent(3) == [.awaitReplies])
        #expect(session.pending.count == 2)
        let outcome = session.replyReceived(SMTPReply(550, "5.1.1 no such user"))
        #expect(outcome.actions.contains { if case .noReplyDue = $0 { true } else { false } })
        #expect(session.pending.isEmpty)
        #expect(session.phase == .helloed)
    }

    /// A syntax or sequence error answers BDAT LAST once, not once per recipient.
    @Test func lmtpBDATLastRefusedAsACommandTakesOneReply() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING"], sessionProtocol: .lmtp)
        session.openTransaction(recipients: ["bob@mx.test", "carol@mx.test"])
        session.send("BDAT 2 LAST")
        _ = session.chunkOctetsSent(2)
        let outcome = session.replyReceived(SMTPReply(503, "5.5.1 Error: bad sequence"))
        #expect(outcome.recipient == nil)
        #expect(session.pending.isEmpty)
        #expect(session.phase == .resetRequired)
    }

    /// What the STARTTLS hold must let through first: replies, not exchanges (RFC 3207 §6).
    @Test func repliesOwedCountsEachRecipientsReply() {
        var lmtp = SessionStateMachine.helloed(sessionProtocol: .lmtp)
        lmtp.openTransaction(recipients: ["a@mx.test", "b@mx.test", "c@mx.test"])
        lmtp.send("DATA")
        _ = lmtp.replyReceived(SMTPReply(354, "go"))
        _ = lmtp.endOfDataSent(at: 0)
        #expect(lmtp.repliesOwed == 3)
        _ = lmtp.replyReceived(SMTPReply(250, "ok"))
        #expect(lmtp.repliesOwed == 2)
        var prdr = SessionStateMachine.helloed(capabilities: ["PRDR"])
        prdr.openTransaction(recipients: ["a@mx.test", "b@mx.test"], parameters: "PRDR")
        prdr.send("DATA")
        _ = prdr.replyReceived(SMTPReply(354, "go"))
        _ = prdr.endOfDataSent(at: 0)
        #expect(prdr.repliesOwed == nil)  // 353 and three more, or one: not known before it comes
        _ = prdr.replyReceived(SMTPReply(353, "PRDR content analysis beginning"))
        #expect(prdr.repliesOwed == 3)
    }

    @Test func a421InAGroupNamesWhatWillNeverBeAnswered() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        session.send("MAIL FROM:<a@b.test>", pipelined: true)
        session.send("RCPT TO:<c@mx.test>", pipelined: true)
        session.send("DATA", pipelined: true)
        session.exchangesWritten(at: 1)
        let outcome = session.replyReceived(SMTPReply(421, "4.3.2 shutting down"))
        #expect(outcome.warnings.contains { $0.contains("no reply will come to RCPT TO:<c@mx.test>, DATA") })
        #expect(session.phase == .closed)
        #expect(!session.isEndedByQuit)
    }

    /// RFC 5321 §4.1.1.10: 221 to QUIT is the end the client asked for; a 221 the server sends
    /// to anything else (Postfix's "221 2.7.0 Error: I can break rules, too. Goodbye." to a
    /// command it will not take) and a 421 are ends it chose.
    @Test func onlyTwoTwentyOneToQuitIsTheEndTheClientAskedFor() {
        var quit = SessionStateMachine.helloed(capabilities: [])
        quit.send("QUIT")
        _ = quit.replyReceived(SMTPReply(221, "2.0.0 Bye"))
        #expect(quit.isEndedByQuit)
        #expect(quit.inputMode == .offline)

        var broken = SessionStateMachine.helloed(capabilities: [])
        broken.send("NOOP")
        _ = broken.replyReceived(SMTPReply(221, "2.7.0 Error: I can break rules, too. Goodbye."))
        #expect(!broken.isEndedByQuit)

        var refused = SessionStateMachine.helloed(capabilities: [])
        refused.send("QUIT")
        _ = refused.replyReceived(SMTPReply(421, "4.3.2 Service shutting down"))
        #expect(!refused.isEndedByQuit)
    }

    // MARK: PRDR

    /// draft-hall-prdr-00 §4.5, with Exim's texts: 353, one per recipient, then the message's.
    @Test func prdrGivesThreeFiveThreeThenEachRecipientThenTheMessage() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING", "PRDR"])
        #expect(session.warnAndSend("MAIL FROM:<> PRDR").isEmpty)
        _ = session.replyReceived(SMTPReply(250, "OK, PRDR Requested"))
        for recipient in ["userx@test.ex", "usery@test.ex", "userz@test.ex"] {
            session.send("RCPT TO:<\(recipient)>")
            _ = session.replyReceived(SMTPReply(250, "Accepted"))
        }
        session.send("DATA")
        _ = session.replyReceived(SMTPReply(354, "Enter message, ending with \".\" on a line by itself"))
        _ = session.endOfDataSent(at: 0)
        #expect(
            session.awaitedDescription == ["end of data: 353, then 3 per-recipient replies and the message's (PRDR)"])

        var outcome = session.replyReceived(SMTPReply(353, "PRDR content analysis beginning"))
        #expect(outcome.meaning.hasPrefix("PRDR: the server checks the message"))
        #expect(outcome.warnings.isEmpty)
        #expect(outcome.stillAwaited == ["4 more replies to end of data"])
        outcome = session.replyReceived(SMTPReply(250, "PRDR R=<userx@test.ex> acceptance"))
        // §4.5.2: only whether the message would be acceptable; the final reply decides.
        #expect(
            outcome.meaning
                == "for <userx@test.ex> (1 of 3): this recipient would accept the message; the message's final reply decides"
        )
        outcome = session.replyReceived(SMTPReply(450, "PRDR R=<usery@test.ex> temporary refusal"))
        #expect(outcome.recipient?.address == "usery@test.ex")
        outcome = session.replyReceived(SMTPReply(550, "PRDR R=<userz@test.ex> refusal"))
        #expect(outcome.meaning.hasPrefix("for <userz@test.ex> (3 of 3): this recipient refuses the message"))
        outcome = session.replyReceived(
            SMTPReply(250, "id=10HmaY-000000005vi-0000 message accepted for some recipients"))
        #expect(outcome.recipient == nil)
        #expect(outcome.meaning.hasPrefix("the message is accepted for the recipients whose replies were 2xx"))
        #expect(session.pending.isEmpty)
        #expect(session.phase == .helloed)
    }

    /// draft-hall-prdr-00 §4.4: the server may answer the whole message at once instead.
    @Test func prdrServerMayAnswerOnceForEveryone() {
        var session = SessionStateMachine.helloed(capabilities: ["PRDR"])
        session.openTransaction(recipients: ["a@mx.test", "b@mx.test"], parameters: "PRDR")
        session.send("DATA")
        _ = session.replyReceived(SMTPReply(354, "go"))
        _ = session.endOfDataSent(at: 0)
        let outcome = session.replyReceived(SMTPReply(550, "5.6.0 message unacceptable due to local policy"))
        #expect(outcome.notes.contains { $0.contains("draft-hall-prdr-00 §4.4") })
        #expect(outcome.meaning == "the message was refused; the transaction is over")
        #expect(session.pending.isEmpty)
    }

    // MARK: CHUNKING

    /// RFC 3030 §2: chunks, then the last; DATA and RCPT do not belong between them.
    @Test func bdatSequenceWithAndWithoutLast() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING", "PIPELINING"])
        session.openTransaction(recipients: ["bob@mx.test"])
        #expect(session.send("BDAT 10") == [.readChunk(octets: 10)])
        #expect(session.inputMode == .chunk(remaining: 10, size: 10))
        #expect(session.chunkOctetsSent(4) == [])
        #expect(session.inputMode == .chunk(remaining: 6, size: 10))
        #expect(session.chunkOctetsSent(6) == [.awaitReplies])
        var outcome = session.replyReceived(SMTPReply(250, "2.0.0 Ok: 10 bytes"))
        #expect(session.phase == .chunking)
        #expect(outcome.nextSteps == ["BDAT <octets> [LAST]", "RSET", "QUIT"])
        #expect(session.promptTags == ["mail", "rcpt=1", "chunks=1"])
        #expect(session.warnings(for: SMTPCommand(line: "DATA")).first?.contains("DATA cannot follow BDAT") == true)
        #expect(session.warnings(for: SMTPCommand(line: "RCPT TO:<c@mx.test>")).first?.contains("RFC 3030 §2") == true)
        session.send("BDAT 0 LAST")
        outcome = session.replyReceived(SMTPReply(250, "2.0.0 Ok: 10 bytes queued as 41678F7A471"))
        #expect(outcome.meaning == "the last chunk and the message are accepted; the transaction is over")
        #expect(session.phase == .helloed)
    }

    @Test func aRefusedChunkRequiresRSET() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING"])
        session.openTransaction(recipients: ["bob@mx.test"])
        session.send("BDAT 3")
        _ = session.chunkOctetsSent(3)
        let outcome = session.replyReceived(SMTPReply(552, "5.3.4 Message too big"))
        #expect(outcome.meaning == "the chunk was refused; the transaction has failed, RSET is due (RFC 3030 §2)")
        #expect(session.phase == .resetRequired)
        #expect(outcome.nextSteps == ["RSET", "QUIT"])
        #expect(
            session.warnings(for: SMTPCommand(line: "BDAT 3 LAST")).first?.contains("RFC 3030 §2 wants RSET") == true)
        session.send("RSET")
        _ = session.replyReceived(SMTPReply(250, "2.0.0 Ok"))
        #expect(session.phase == .helloed)
    }

    @Test func dataAfterBDATIsExplainedByRFC3030() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING"])
        session.openTransaction(recipients: ["bob@mx.test"])
        session.send("BDAT 3")
        _ = session.chunkOctetsSent(3)
        _ = session.replyReceived(SMTPReply(250, "2.0.0 Ok: 3 bytes"))
        session.send("DATA")
        let outcome = session.replyReceived(SMTPReply(503, "5.5.1 Error: DATA after BDAT"))
        #expect(outcome.meaning == "DATA cannot follow BDAT in one transaction (RFC 3030 §2); RSET is due")
        #expect(session.phase == .resetRequired)
    }

    /// A server without CHUNKING answers BDAT at once with 500: the octets must not follow as commands.
    @Test func bdatRefusedBeforeItsOctetsLeavesChunkMode() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: ["bob@mx.test"])
        #expect(session.send("BDAT 100") == [.awaitEarlyRefusal, .readChunk(octets: 100)])
        let outcome = session.replyReceived(SMTPReply(500, "5.5.1 Error: unknown command"))
        #expect(outcome.actions == [.abandonChunk(octets: 100)])
        #expect(outcome.warnings.contains { $0.contains("answered BDAT before its 100 remaining octets") })
        #expect(session.inputMode == .commands)
        #expect(session.phase == .recipientsGiven)  // nothing changed: the server took BDAT for nothing
        #expect(outcome.nextSteps.contains("DATA"))
    }

    @Test func aScriptsChunkRefusedEarlyIsSkippedByItsOctets() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: ["bob@mx.test"])
        session.send("BDAT 12", script: true)
        let outcome = session.replyReceived(SMTPReply(500, "5.5.1 unknown command"))
        #expect(outcome.actions.first.map { if case .skipInput = $0 { true } else { false } } == true)
        #expect(session.inputMode == .skipping)
        #expect(session.lineSkipped("RSET") == .skipped)  // 6 octets of 12
        guard case .ended(let note) = session.lineSkipped("hey!") else {
            Issue.record("the chunk did not end")
            return
        }
        #expect(note.contains("skipped 2 lines of the BDAT chunk"))
        #expect(session.inputMode == .commands)
    }

    @Test func binaryMIMEAllowsOnlyBDAT() {
        var session = SessionStateMachine.helloed(capabilities: ["CHUNKING", "BINARYMIME"])
        session.openTransaction(recipients: ["bob@mx.test"], parameters: "BODY=BINARYMIME")
        #expect(session.warnings(for: SMTPCommand(line: "DATA")).contains { $0.contains("RFC 3030 §3") })
        #expect(!session.nextSteps.contains("DATA"))
        #expect(!session.legalCommands.contains { $0.verb == .data })
        session.send("DATA")
        let outcome = session.replyReceived(SMTPReply(503, "5.5.1 Error: BINARYMIME needs BDAT"))
        #expect(outcome.meaning == "DATA is not allowed after MAIL declared BODY=BINARYMIME (RFC 3030 §3); RSET is due")
        #expect(session.phase == .resetRequired)
    }

    // MARK: A refused DATA in a script

    @Test func aScriptsMessageAfterARefusedDATAIsSkippedUpToTheDot() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: ["bob@mx.test"])
        session.send("DATA", script: true)
        let outcome = session.replyReceived(SMTPReply(554, "5.5.1 Error: no valid recipients"))
        #expect(
            outcome.actions.contains(
                .skipInput("the message lines that follow are skipped up to the lone ., never sent as commands")))
        #expect(outcome.nextSteps == ["the script's lines after the skipped ones"])
        for line in ["Subject: x", "", "RSET", "MAIL FROM:<evil@x.test>"] {
            #expect(session.inputMode == .skipping)
            #expect(session.lineSkipped(line) == .skipped)
        }
        #expect(
            session.lineSkipped(".")
                == .ended(
                    note:
                        "skipped 4 message lines and the final . of this script: DATA was answered 554, not 354, so they were not sent"
                ))
        #expect(session.inputMode == .commands)
        // A permanent refusal: DATA again would get the same answer.
        #expect(session.nextSteps == ["RSET", "QUIT"])
    }

    @Test func aScriptsExpectRightAfterThe354ChecksItInsteadOfJoiningTheMessage() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: ["bob@mx.test"])
        session.send("DATA", script: true)
        _ = session.replyReceived(SMTPReply(354, "go ahead"))
        let first = session.isReplyCheck("/expect 354")
        let second = session.isReplyCheck("/expect 354")
        #expect(first)
        #expect(!second)  // only the first line
        var typed = SessionStateMachine.helloed()
        typed.openTransaction(recipients: ["bob@mx.test"])
        typed.send("DATA")
        _ = typed.replyReceived(SMTPReply(354, "go ahead"))
        let typedCheck = typed.isReplyCheck("/expect 354")
        #expect(!typedCheck)  // a person's message lines are all message
    }

    @Test func aScriptThatExpectsTheRefusalSkipsNothing() {
        var session = SessionStateMachine.helloed()
        session.send("MAIL FROM:<a@b.test>")
        _ = session.replyReceived(SMTPReply(250, "ok"))
        session.send("DATA", script: true)
        _ = session.replyReceived(SMTPReply(503, "5.5.1 Error: need RCPT command"))
        guard case .notSkipped(let note) = session.lineSkipped("/expect 503") else {
            Issue.record("the /expect was skipped")
            return
        }
        #expect(note.contains("no message follows"))
        #expect(session.inputMode == .commands)
        #expect(session.inputEnded() == nil)
    }

    /// RFC 2920 §3.1: 354 with no accepted recipient: send a lone dot.
    @Test func threeFiveFourWithNoRecipientSendsOnlyTheDot() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        session.send("MAIL FROM:<a@b.test>", pipelined: true, script: true)
        session.send("RCPT TO:<nobody@mx.test>", pipelined: true, script: true)
        session.send("DATA", pipelined: true, script: true)
        _ = session.replyReceived(SMTPReply(250, "ok"))
        _ = session.replyReceived(SMTPReply(550, "no"))
        let outcome = session.replyReceived(SMTPReply(354, "go ahead anyway"))
        #expect(outcome.actions.count == 2)
        #expect(session.lineSkipped("Subject: hi") == .skipped)
        #expect(
            session.lineSkipped(".")
                == .endedSendingLine(
                    note: "skipped 1 message line: 354 came with no recipient accepted; sending the final . alone"))
        #expect(session.inputMode == .message)
    }

    // MARK: Replies whose meaning depends on where they come

    @Test func fiveThirtyToAuthMeansSTARTTLSFirst() {
        var session = SessionStateMachine.helloed(capabilities: ["STARTTLS", "AUTH PLAIN"])
        session.send("AUTH PLAIN")
        let outcome = session.replyReceived(SMTPReply(530, "5.7.0 Must issue a STARTTLS command first"))
        #expect(outcome.meaning.hasPrefix("the server wants TLS first"))
        #expect(outcome.meaning.contains("RFC 3207 §4"))
    }

    @Test func fiveThirtyAfterTLSMeansAuthenticationRequired() {
        var session = SessionStateMachine.helloed(capabilities: ["AUTH PLAIN"])
        session.tlsEstablished()
        session.send("EHLO client.test")
        _ = session.replyReceived(SMTPReply(ehloLines: ["mx.test", "AUTH PLAIN"]))
        session.send("MAIL FROM:<a@b.test>")
        let outcome = session.replyReceived(SMTPReply(530, "5.7.57 Client not authenticated to send mail"))
        #expect(outcome.meaning.hasPrefix("the server wants authentication first (RFC 4954 §6)"))
    }

    @Test func fiveThirtyWithoutWordsIsReadFromTheConnection() {
        var session = SessionStateMachine.helloed(capabilities: ["STARTTLS"])
        session.send("MAIL FROM:<a@b.test>")
        var outcome = session.replyReceived(SMTPReply(530, "5.7.0 go away"))
        #expect(outcome.meaning.hasPrefix("the server wants TLS first"))
        var plain = SessionStateMachine.helloed(capabilities: ["AUTH LOGIN"])
        plain.send("MAIL FROM:<a@b.test>")
        outcome = plain.replyReceived(SMTPReply(530, "5.7.0 Authentication Required. Learn more at"))
        #expect(outcome.meaning.hasPrefix("the server wants authentication first"))
    }

    @Test func authOnlyAfterTLSIsSaidAfterEHLO() {
        var session = SessionStateMachine.helloed()
        session.send("EHLO client.test")
        let outcome = session.replyReceived(
            SMTPReply(ehloLines: ["smtp.gmail.com at your service", "STARTTLS", "PIPELINING"]))
        #expect(outcome.notes.contains { $0.contains("only after STARTTLS") })
    }

    @Test(arguments: [
        (ReplySource.greeting, 521, "never accepts mail (RFC 7504 §3)"),
        (.command(SMTPCommand(line: "RCPT TO:<a@nullmx.test>")), 556, "null MX, RFC 7504 §4"),
        (.command(SMTPCommand(line: "RCPT TO:<a@elsewhere.test>")), 454, "Relay access denied"),
        (.command(SMTPCommand(line: "RCPT TO:<a@elsewhere.test>")), 554, "block list"),
        (.command(SMTPCommand(line: "DATA")), 451, "a local error on the server"),
        (.command(SMTPCommand(line: "MAIL FROM:<a@b.test>")), 500, "any command may get 500, RFC 5321 §4.3.2"),
        (.command(SMTPCommand(line: "RSET")), 501, "any command may get 501, RFC 5321 §4.3.2"),
        (.command(SMTPCommand(line: "EHLO client.test")), 500, "fall back to HELO (RFC 5321 §3.2)"),
        (.command(SMTPCommand(line: "ETRN example.test")), 251, "no messages waiting"),
        (.command(SMTPCommand(line: "ETRN example.test")), 253, "given number of pending messages"),
        (
            .command(SMTPCommand(line: "AUTH PLAIN AGEAYg==")), 432,
            "authenticate once with PLAIN over TLS (RFC 4954 §6)"
        ),
        (.command(SMTPCommand(line: "RCPT TO:<a@b.test>")), 552, "treat it as 452"),
    ])
    func repliesOtherRFCsDefineAreKnownAndExplained(source: ReplySource, code: Int, meaning: String) {
        var session = SessionStateMachine.helloed(capabilities: ["ETRN", "AUTH PLAIN"])
        if source == .greeting {
            session = SessionStateMachine()
            session.connectionOpened(at: 0)
        } else if source.verb == .rcpt || source.verb == .data {
            session.openTransaction(recipients: source.verb == .data ? ["bob@mx.test"] : [])
        }
        if case .command(let command) = source { _ = session.commandSent(command, at: 0) }
        let outcome = session.replyReceived(SMTPReply(code, "text"))
        #expect(outcome.meaning.contains(meaning), "\(outcome.meaning)")
        #expect(!outcome.warnings.contains { $0.contains("not a reply the RFC lists") }, "\(outcome.warnings)")
    }

    @Test func fiveFiveFourAfterTheHandshakeIsALackOfSecurity() {
        var session = SessionStateMachine.helloed(capabilities: ["STARTTLS"])
        session.send("STARTTLS")
        _ = session.replyReceived(SMTPReply(220, "Ready"))
        session.tlsEstablished()
        session.send("EHLO client.test")
        let outcome = session.replyReceived(SMTPReply(554, "5.7.0 Command refused due to lack of security"))
        #expect(outcome.meaning.contains("RFC 3207 §4.1"))
    }

    @Test func tooManyRecipientsIsTreatedAsTemporary() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: ["a@mx.test"])
        session.send("RCPT TO:<b@mx.test>")
        let outcome = session.replyReceived(SMTPReply(552, "5.5.3 Too many recipients"))
        #expect(outcome.notes.contains { $0.contains("RFC 5321 §4.5.3.1.10") })
        #expect(session.phase == .recipientsGiven)
    }

    @Test func secondDigitThreeIsUnspecifiedInRFC5321() {
        #expect(ReplyCodeTable.category(ofSecondDigit: 3).hasPrefix("unspecified"))
        #expect(ReplyCodeTable.category(ofSecondDigit: 3).contains("RFC 4954"))
        #expect(ReplyCodeTable.category(ofSecondDigit: 4) == "unspecified")
    }
}
