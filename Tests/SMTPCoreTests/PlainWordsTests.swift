import Testing

@testable import SMTPCore

/// The knowledge rows in plain words: every code a beginner can meet says what happened and what
/// to do, a success reads as one, and nothing on screen is a Swift identifier.
@Suite struct PlainWordsTests {
    /// RFC 3463 §3.1–§3.8, transcribed independently of the table: (subject, highest detail).
    static let rfc3463 = [(0, 0), (1, 8), (2, 4), (3, 5), (4, 7), (5, 5), (6, 5), (7, 7)]
    static let rfc3463Codes = rfc3463.flatMap { subject, last in (0...last).map { (subject, $0) } }

    @Test(arguments: ReplyCodeTable.rfc5321Codes + [235, 334, 454, 530, 535, 538, 521, 556])
    func everyReplyCodeHasAPlainSentence(code: Int) throws {
        let row = try #require(ReplyCodeTable.row(code))
        #expect(row.plain.hasSuffix("."), "\(code): \(row.plain)")
        #expect(row.plain.split(separator: " ").count >= 4)
        // A failure, or a reply that waits for more, says what to do; a success needs nothing done.
        if code / 100 != 2 {
            #expect(row.advice?.hasSuffix(".") == true, "\(code) says nothing about what to do")
        }
    }

    @Test(arguments: rfc3463Codes)
    func everyRFC3463CodeHasAPlainSentence(subject: Int, detail: Int) throws {
        let row = try #require(
            EnhancedStatusTable.row(for: EnhancedStatusCode(statusClass: 5, subject: subject, detail: detail)))
        #expect(row.plain.hasSuffix("."), "X.\(subject).\(detail): \(row.plain)")
        if !row.classes.isDisjoint(with: [4, 5]) {
            #expect(row.advice?.hasSuffix(".") == true, "X.\(subject).\(detail) says nothing about what to do")
        }
    }

    @Test func everyRegisteredCodeThatCanSucceedReadsAsASuccess() throws {
        for row in EnhancedStatusTable.rows where row.classes.contains(2) {
            let code = EnhancedStatusCode(statusClass: 2, subject: row.subject, detail: row.detail)
            let success = try #require(row.success, "2.\(row.subject).\(row.detail) has no success reading")
            for text in [ReplyAnnotator.enhancedLine(code), ReplyAnnotator.plainEnhancedLine(code), success.plain] {
                #expect(!text.contains("Undefined"), "\(text)")
                #expect(!text.lowercased().contains("failure"), "\(text)")
            }
        }
    }

    @Test func theSuccessesOfAnOrdinarySessionSayWhatHappened() {
        #expect(
            ReplyAnnotator.enhancedLine(EnhancedStatusCode(statusClass: 2, subject: 0, detail: 0))
                == "2.0.0 Success (RFC 3463 §3.1)")
        #expect(
            ReplyAnnotator.enhancedLine(EnhancedStatusCode(statusClass: 2, subject: 1, detail: 0))
                == "2.1.0 Sender accepted (RFC 3463 §3.2)")
        #expect(
            ReplyAnnotator.enhancedLine(EnhancedStatusCode(statusClass: 2, subject: 1, detail: 5))
                == "2.1.5 Recipient accepted (RFC 3463 §3.2)")
        // The same code as a failure keeps RFC 3463's title.
        #expect(
            ReplyAnnotator.enhancedLine(EnhancedStatusCode(statusClass: 5, subject: 1, detail: 0))
                == "5.1.0 Other address status (RFC 3463 §3.2)")
    }

    @Test func aBeginnerSeesPlainWordsWhereTheFullFormShowsTitles() {
        var session = SessionStateMachine.helloed()
        session.send("MAIL FROM:<a@b.test>")
        let outcome = session.replyReceived(SMTPReply(250, "2.1.0 Ok"))
        let beginner = ReplyAnnotator.lines(for: outcome, level: .beginner).map(\.plain)
        #expect(beginner.contains("#  250 means: Done: the server accepted the command."))
        #expect(beginner.contains { $0.hasPrefix("#  2.1.0 Sender accepted: The address is fine") })
        let full = ReplyAnnotator.lines(for: outcome, level: .full).map(\.plain)
        #expect(full.contains("#  250 Requested mail action okay, completed (RFC 5321 §4.2.3)"))
        #expect(full.contains("#  2.1.0 Sender accepted (RFC 3463 §3.2)"))
        #expect(!(beginner + full).contains { $0.contains("Undefined") || $0.contains("Other address status") })
    }

    @Test func aRecognisedCauseIsShownAtEveryLevelButOff() {
        var session = SessionStateMachine.helloed()
        session.send("MAIL FROM:<a@b.test>")
        _ = session.replyReceived(SMTPReply(250, "2.1.0 Ok"))
        session.send("RCPT TO:<c@d.test>")
        let reply = SMTPReply(
            450,
            "4.2.0 <c@d.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/d.test.html"
        )
        let outcome = session.replyReceived(reply)
        for level in [ExplainLevel.beginner, .full, .brief] {
            #expect(
                ReplyAnnotator.lines(for: outcome, level: level).contains { $0.text.hasPrefix("cause: greylisting") },
                "\(level)")
        }
        #expect(!ReplyAnnotator.lines(for: outcome, level: .off).contains { $0.text.hasPrefix("cause:") })
    }

    // MARK: The lab's codes match their text (RFC 5321 §4.2.2, §4.2.3; RFC 3463 §3)

    @Test func everyLabRefusalHasARegisteredCodeOfItsClass() throws {
        for row in LabMailboxTable.rows {
            guard case .refuse(let code, let enhanced, _) = row.behaviour else { continue }
            #expect(enhanced.statusClass == code / 100, "\(row.localPart)")
            let registered = try #require(EnhancedStatusTable.row(for: enhanced), "\(row.localPart)")
            #expect(registered.classes.contains(enhanced.statusClass), "\(row.localPart): \(enhanced)")
            #expect(row.summary.hasPrefix("\(code) \(enhanced) "), "\(row.localPart)'s summary names another code")
        }
    }

    @Test func busyIsNotAnnotatedAsADisabledMailbox() throws {
        let row = try #require(LabMailboxTable.row(localPart: "busy"))
        guard case .refuse(_, let enhanced, let text) = row.behaviour else {
            Issue.record("busy@ does not refuse")
            return
        }
        #expect(text.contains("busy"))
        #expect(!ReplyAnnotator.enhancedLine(enhanced).contains("disabled"))
    }

    @Test func movedNamesAnAddressSoItsCodeMustNotSayThereIsNone() {
        #expect(!ReplyAnnotator.enhancedLine(LabMailboxTable.movedCode).lowercased().contains("no forwarding"))
        #expect(LabMailboxTable.movedCode.statusClass == 5)
    }

    @Test func a551NamesTheAddressItGives() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: [])
        session.send("RCPT TO:<moved@practice.test>")
        let outcome = session.replyReceived(SMTPReply(551, "5.1.0 User not local; please try <moved@elsewhere.test>"))
        #expect(
            outcome.notes.contains {
                $0.hasPrefix("the server names the address to use instead: <moved@elsewhere.test>")
            })
    }

    @Test func refusalsOfARecipientReadDifferently() {
        let rcpt = CommandTable.spec(.rcpt).exchange
        let meanings = [550, 551, 552, 553].map { rcpt.meaning(of: $0) }
        #expect(Set(meanings).count == 4, "\(meanings)")
        #expect(rcpt.meaning(of: 552).contains("storage"))
        #expect(rcpt.meaning(of: 553).contains("address"))
    }

    // MARK: No Swift identifiers on screen

    @Test func phasesHaveUserFacingNamesEverywhere() {
        let identifiers = SessionPhase.allCases.map(\.rawValue).filter { $0.contains { $0.isUppercase } }
        #expect(!identifiers.isEmpty)
        var shown = SessionPhase.allCases.map(\.title)
        for verb in SMTPVerb.allCases {
            shown += HelpRenderer.render(topic: verb.rawValue.lowercased()) ?? []
        }
        shown += HelpRenderer.commandList + HelpRenderer.overview
        for line in shown {
            for identifier in identifiers {
                #expect(!line.contains(identifier), "\(line)")
            }
        }
        #expect(HelpRenderer.render(topic: "rcpt")?.contains { $0.hasPrefix("  legal: after MAIL") } == true)
    }

    // MARK: Did you mean

    @Test(arguments: [
        ("hlep", "/help"), ("stat", "/state"), ("comands", "/commands"), ("exlpain", "/explain"),
        ("mialbox", "/mailbox"), ("conect", "/connect"),
    ])
    func aMistypedConsoleCommandGetsASuggestion(typed: String, meant: String) {
        #expect(DidYouMean.consoleCommand(typed) == meant)
    }

    @Test func farFromEveryNameGetsNoSuggestion() {
        #expect(DidYouMean.consoleCommand("xyzzy") == nil)
        #expect(DidYouMean.consoleCommand("") == nil)
        #expect(DidYouMean.verb("HELLO") == nil || DidYouMean.verb("HELLO") == .helo)
    }

    @Test func mistypedVerbsAndQuitWordsAreNamed() {
        #expect(DidYouMean.verb("EHOL") == .ehlo)
        #expect(DidYouMean.verb("RCTP") == .rcpt)
        #expect(DidYouMean.verb("exit") == .quit)
        let session = SessionStateMachine.helloed()
        #expect(
            session.warnings(for: SMTPCommand(line: "EHOL client.test")).first?.contains("did you mean EHLO?") == true)
    }

    // MARK: Wrapping at the terminal's width

    @Test func annotationsBreakBetweenWordsWithIndentedContinuations() {
        let line = DisplayLine(
            .annotation,
            "550 means: No, for good: no such mailbox, no permission, or a policy said no. Read the text and the enhanced code for which; sending the same again will fail again."
        )
        let pieces = line.wrappedPlain(width: 80)
        #expect(pieces.count == 3)
        #expect(pieces.allSatisfy { $0.count <= 80 })
        #expect(pieces[0].hasPrefix("#  550 means:"))
        #expect(pieces.dropFirst().allSatisfy { $0.hasPrefix("#    ") && !$0.hasPrefix("#     ") })
        // Joined again, no word was cut or lost.
        let words = pieces.map { $0.dropFirst(pieces[0] == $0 ? 3 : 5) }.joined(separator: " ")
        #expect(words == line.text)
    }

    @Test func serverLinesContinueUnderTheirTextWithNoMarker() {
        let line = DisplayLine(
            .server,
            "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users")
        let pieces = line.wrappedPlain(width: 60)
        #expect(pieces[0].hasPrefix("S: 550-5.7.26"))
        #expect(pieces.dropFirst().allSatisfy { $0.hasPrefix("     ") && !$0.contains("S:") })
        #expect(pieces.allSatisfy { $0.count <= 60 })
    }

    @Test func shortLinesAndLongWordsAreKeptOrCut() {
        let short = DisplayLine(.event, "connected to 127.0.0.1")
        #expect(short.wrappedPlain(width: 80) == ["*  connected to 127.0.0.1"])
        let url = DisplayLine(.output, String(repeating: "x", count: 170))
        let pieces = url.wrappedPlain(width: 80)
        #expect(pieces.allSatisfy { $0.count <= 80 })
        #expect(pieces.joined().filter { $0 == "x" }.count == 170)
    }

    @Test func indentedOutputKeepsItsIndent() {
        let line = DisplayLine(
            .output,
            "  /connect HOST[:PORT]   Connect to a server, to a UNIX socket by its path, or to a profile of the config file"
        )
        let pieces = line.wrappedPlain(width: 50)
        #expect(pieces.dropFirst().allSatisfy { $0.hasPrefix("    ") })
    }

    // MARK: /mailbox

    static let stored = StoredMessage(
        id: "T1.1", sender: "you@example.test", recipients: ["student@practice.test"],
        octets: Array(
            ("Return-Path: <you@example.test>\nReceived: from client.example (127.0.0.1)\n\tby practice.test (ehlo practice server) with ESMTP id T1.1;\n\tWed, 02 Dec 2026 01:30:00 +0000\n"
                + "Subject: dots\n  and more\n\n.a line that started with a dot\n\u{1B}[31mred\n").utf8))

    @Test func theMailboxListsMessagesWithTheirSubject() {
        let lines = MailboxRenderer.list([Self.stored])
        #expect(
            lines[1]
                == "  1  from <you@example.test> to <student@practice.test>, \(Self.stored.octets.count) octets, Subject: dots and more"
        )
        #expect(MailboxRenderer.list([])[0].contains("no message yet"))
    }

    @Test func aMessageIsShownAsStoredAndEscaped() {
        let lines = MailboxRenderer.show(Self.stored, number: 1)
        #expect(lines.contains("  Received: from client.example (127.0.0.1)"))
        #expect(lines.contains("          by practice.test (ehlo practice server) with ESMTP id T1.1;"))
        #expect(lines.contains("  .a line that started with a dot"))
        #expect(lines.contains("  \\e[31mred"))
        #expect(!lines.joined().contains("\u{1B}"))
    }
}

extension PlainWordsTests {
    @Test func jsonLinesCarryThePlainWordsAndTheCauses() {
        var session = SessionStateMachine.helloed()
        session.openTransaction(recipients: [])
        session.send("RCPT TO:<a@b.test>")
        let outcome = session.replyReceived(SMTPReply(250, "2.1.5 Ok"))
        var formatter = TranscriptFormatter(format: .jsonl)
        let accepted = formatter.format(
            TranscriptEntry(time: 0, content: .reply(SMTPSessionReply(outcome: outcome, lines: [], latency: nil))))
        #expect(accepted.contains("\"enhancedMeaning\":\"Recipient accepted\""))
        #expect(accepted.contains("\"plain\":\"Done: the server accepted the command.\""))
        #expect(!accepted.contains("causes"))
        session.send("RCPT TO:<c@d.test>")
        let refused = session.replyReceived(SMTPReply(554, "5.7.1 <c@d.test>: Relay access denied"))
        let line = formatter.format(
            TranscriptEntry(time: 0, content: .reply(SMTPSessionReply(outcome: refused, lines: [], latency: nil))))
        #expect(line.contains("\"causes\":[\"relaying denied\"]"))
    }
}
