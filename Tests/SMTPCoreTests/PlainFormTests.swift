import Testing

@testable import SMTPCore

/// The plain form of DESIGN.md, line for line.
@Suite struct PlainFormTests {
    @Test func greetingAsInTheDesign() {
        var session = SessionStateMachine()
        session.connectionOpened()
        let outcome = session.replyReceived(SMTPReply(220, "mx.example.test ESMTP"))
        #expect(
            ReplyAnnotator.lines(for: outcome, level: .full).map(\.plain) == [
                "S: 220 mx.example.test ESMTP",
                "#  220 Service ready (RFC 5321 §4.2.3)",
                "#  next: EHLO <domain> | HELO <domain> | QUIT",
            ])
    }

    @Test func refusedMailAsInTheDesign() {
        var session = SessionStateMachine.helloed()
        session.send("MAIL FROM:<alice@example.test>")
        let outcome = session.replyReceived(SMTPReply(550, "5.7.1 Relaying denied"))
        #expect(
            ReplyAnnotator.lines(for: outcome, level: .full).map(\.plain) == [
                "S: 550 5.7.1 Relaying denied",
                "#  550 Requested action not taken: mailbox unavailable or rejected by policy (RFC 5321 §4.2.3)",
                "#  5.7.1 Delivery not authorized, message refused (RFC 3463 §3.8)",
                "#  cause: relaying denied (RFC 5321 §3.6, §7.1): This server takes mail only for its own domains, "
                    + "or from users who have logged in; passing mail on to another domain (relaying) is refused. "
                    + "Log in first (AUTH) on your provider's submission server, or send to the recipient domain's "
                    + "own mail server (its MX).",
                "#  after MAIL: the transaction did not start; next: MAIL FROM:<…> | RSET | QUIT",
            ])
    }

    @Test func briefAndOffLevels() {
        var session = SessionStateMachine.helloed()
        session.send("NOOP")
        let outcome = session.replyReceived(SMTPReply(250, "2.0.0 Ok"))
        #expect(
            ReplyAnnotator.lines(for: outcome, level: .brief).map(\.plain) == [
                "S: 250 2.0.0 Ok",
                "#  after NOOP: the server is alive; nothing changed; next: MAIL FROM:<…> | RSET | QUIT",
            ])
        #expect(ReplyAnnotator.lines(for: outcome, level: .off).map(\.plain) == ["S: 250 2.0.0 Ok"])
    }

    @Test func hostileServerTextIsEscapedAndProblemsAreWarnings() {
        var session = SessionStateMachine()
        session.connectionOpened()
        var reply = SMTPReply(220, "evil\u{1B}]0;pwned\u{07}")
        reply.problems = [.bareLineFeed]
        let lines = ReplyAnnotator.lines(for: session.replyReceived(reply), level: .off)
        #expect(
            lines.map(\.plain) == [
                "S: 220 evil\\e]0;pwned\\x07",
                "!  line ended with a bare LF instead of CRLF (RFC 5321 §2.3.8)",
            ])
    }

    @Test func unknownCodeIsExplainedFromItsDigits() {
        #expect(
            ReplyAnnotator.codeLine(259)
                == "259 Unknown code: positive completion: the action succeeded, mail system (RFC 5321 §4.2.1)")
        #expect(
            ReplyAnnotator.enhancedLine(EnhancedStatusCode("5.9.9")!)
                == "5.9.9 not registered: Permanent failure, unknown subject (RFC 3463 §2)")
    }
}

@Suite struct ExplainerTests {
    @Test func explainsABasicCodeWithItsContexts() throws {
        let lines = try Explainer.explain("550")
        #expect(
            lines[0] == "550 Requested action not taken: mailbox unavailable or rejected by policy (RFC 5321 §4.2.3)")
        #expect(
            lines.contains(
                "    after RCPT: this recipient is refused: no such mailbox here, or a policy says no (the enhanced code and the text say which); the transaction goes on with the others"
            ))
        #expect(lines.contains("    after MAIL: the transaction did not start"))
    }

    /// 530 to AUTH can only be RFC 3207's (STARTTLS first): explain and the session agree.
    @Test func explains530ToAuthAsTheSessionDoes() throws {
        let lines = try Explainer.explain("530")
        #expect(lines.contains { $0.contains("after AUTH: the server wants TLS first") })
        #expect(
            lines.contains {
                $0.contains("to any other command: the server wants STARTTLS (RFC 3207 §4) or authentication")
            })
    }

    @Test func explainsAnEnhancedCode() throws {
        let lines = try Explainer.explain("5.1.1")
        #expect(lines[0].hasPrefix("5.1.1 "))
        #expect(lines.contains { $0.contains("class 5: Permanent failure") })
        #expect(lines.contains { $0.contains("subject 1: Addressing") })
    }

    @Test func explainsAWholeLineAndFlagsContradictions() throws {
        let lines = try Explainer.explain("250 5.1.1 confused server")
        #expect(lines[0] == "250 5.1.1 confused server")
        #expect(lines.contains { $0.contains("contradicts reply code 250") })
    }

    @Test(arguments: ["hello", "", "55", "5.1"])
    func rejectsWhatIsNotACode(input: String) {
        #expect(throws: Explainer.Failure.self) { try Explainer.explain(input) }
    }
}

@Suite struct ReplyExpectationTests {
    @Test(arguments: [
        ("250", 250, nil as String?, true), ("250", 251, nil, false), ("2xx", 221, nil, true), ("2xx", 354, nil, false),
        ("25x", 251, nil, true), ("5.1.1", 550, "5.1.1", true), ("5.1.1", 550, "5.7.1", false),
        ("250,251", 251, nil, true), ("4xx|5xx", 550, nil, true),
    ])
    func matches(pattern: String, code: Int, enhanced: String?, expected: Bool) throws {
        let reply = SMTPReply(code, (enhanced.map { $0 + " " } ?? "") + "text")
        #expect(try ReplyExpectation(parsing: pattern).matches(reply) == expected)
    }

    @Test(arguments: ["", "25", "2x5", "abc", "650", "x50"])
    func rejects(pattern: String) {
        #expect(throws: ReplyExpectation.ParseError.self) { try ReplyExpectation(parsing: pattern) }
    }
}

@Suite struct RedactorTests {
    @Test func authInitialResponseIsRedacted() {
        #expect(Redactor.redact(command: "AUTH PLAIN AGFsaWNlAHNlY3JldA==") == "AUTH PLAIN <redacted>")
        // LOGIN's initial response is the user name, no secret (draft-murchison-sasl-login §2.1).
        #expect(Redactor.redact(command: "auth login YWxpY2U=") == "auth login YWxpY2U=")
        #expect(Redactor.redact(command: "AUTH LOGIN") == "AUTH LOGIN")
        #expect(Redactor.redact(command: "MAIL FROM:<a@b>") == "MAIL FROM:<a@b>")
        #expect(!Redactor.isSafeForHistory("AUTH PLAIN AGFsaWNlAHNlY3JldA=="))
        #expect(Redactor.redact(command: "AUTH\tPLAIN\tAGFsaWNlAHNlY3JldA==") == "AUTH PLAIN <redacted>")
        #expect(Redactor.redact(command: "  AUTH  CRAM-MD5  YWxpY2U=") == "AUTH CRAM-MD5 <redacted>")
    }

    /// A blank followed by a combining mark or a zero-width joiner is one Swift Character, but
    /// the server cuts at the blank's octet and takes what follows as the initial response: so
    /// must the redaction, or that response reaches the screen, the transcript and the history.
    @Test(arguments: ["\u{301}", "\u{200D}"])
    func anInitialResponseAfterABlankAndAMarkIsRedacted(_ mark: String) {
        #expect(Redactor.redact(command: "AUTH PLAIN " + mark + "AGFsaWNlAHNlY3JldA==") == "AUTH PLAIN <redacted>")
        #expect(Redactor.redact(command: "AUTH " + mark + "PLAIN secret") == "AUTH \(mark)PLAIN <redacted>")
        #expect(!Redactor.isSafeForHistory("AUTH PLAIN\t" + mark + "c2VjcmV0"))
    }
}

/// SMTPCommand cuts a line where a server does: at the SP and TAB octets, and at the `<` and `>`
/// of a path (RFC 5321 §4.1.2), whatever Unicode follows them.
@Suite struct SMTPCommandTests {
    @Test func aLineIsCutIntoVerbArgumentPathAndParameters() {
        let command = SMTPCommand(line: "  mail\tFROM:<a@b.test> SIZE=1000 BODY=8BITMIME")
        #expect(command.verb == .mail)
        #expect(command.verbText == "mail")
        #expect(command.argument == "FROM:<a@b.test> SIZE=1000 BODY=8BITMIME")
        #expect(command.path == "a@b.test")
        #expect(command.parameters == [ESMTPParameter("SIZE=1000"), ESMTPParameter("BODY=8BITMIME")])
    }

    @Test(arguments: ["\u{301}", "\u{200D}", "\u{FE0F}"])
    func aMarkAfterABlankOrABracketCutsNothingTogether(_ mark: String) {
        let command = SMTPCommand(line: "MAIL " + mark + "FROM:<" + mark + "a@b.test>" + mark + " SIZE=5")
        #expect(command.verb == .mail)
        #expect(command.argument == mark + "FROM:<" + mark + "a@b.test>" + mark + " SIZE=5")
        #expect(command.path == mark + "a@b.test")
        #expect(command.parameters.map(\.keyword) == [mark, "SIZE"])
        let auth = SMTPCommand(line: "AUTH PLAIN " + mark + "x")
        #expect(auth.authMechanism == "PLAIN")
        #expect(auth.hasAuthInitialResponse)
        #expect(SMTPCommand(line: "BDAT 5 " + mark + "LAST").bdatChunk == nil)
    }

    /// RFC 3030 §2: `BDAT <size> [LAST]`, its words cut at blanks as Postfix's smtpd cuts them.
    @Test(arguments: [
        ("BDAT 5", 5, false), ("BDAT 8 LAST", 8, true), ("bdat 0 last", 0, true), ("BDAT 5\tLAST", 5, true),
        ("BDAT  12   LAST ", 12, true), ("BDAT 999999999999999999", 999_999_999_999_999_999, false),
    ])
    func aBDATArgumentIsASizeAndPerhapsLAST(line: String, size: Int, isLast: Bool) {
        let chunk = SMTPCommand(line: line).bdatChunk
        #expect(chunk?.size == size && chunk?.isLast == isLast)
    }

    @Test(arguments: [
        "BDAT", "BDAT LAST", "BDAT 5 LAST X", "BDAT -1", "BDAT +5", "BDAT 5 FIRST", "BDAT ５", "BDAT 9223372036854775808",
    ])
    func anythingElseIsNotAChunk(line: String) {
        #expect(SMTPCommand(line: line).bdatChunk == nil)
    }
}
