import Testing

@testable import SMTPCore

/// Lesson files: what they mean, and the error (with its line) for each way to get one wrong.
@Suite struct LessonFileTests {
    static let valid = """
        # A comment
        Title: Greylisting
        Reference: RFC 6647
        Text: A first try gets 450;
          a retry a little later works.
        Text: A second paragraph.

        Goal: refused
        Say: Get a 450
        Check: reply code=450 enhanced=4.7 after=RCPT argument=greylist text="try again"
        Hint: RCPT TO:<greylist@practice.test>
        Hint: Again.

        goal: retried
        SAY: Try again
        check: reply code=2xx after=rcpt before=DATA tls=no
        Requires: refused
        """

    @Test func aLessonFileReadsIntoItsGoals() throws {
        let lesson = try LessonFile.parse(Self.valid, file: "grey.lesson")
        #expect(lesson.title == "Greylisting")
        #expect(lesson.text == ["A first try gets 450; a retry a little later works.", "A second paragraph."])
        #expect(lesson.source == "grey.lesson")
        #expect(lesson.goals.map(\.id) == ["refused", "retried"])
        #expect(lesson.goals[0].hints == ["RCPT TO:<greylist@practice.test>", "Again."])
        #expect(
            lesson.goals[0].check
                == .reply(
                    ReplyMatch(
                        code: CodePattern("450")!, enhancedPrefix: "4.7", text: "try again",
                        answering: CommandMatch(target: .verb(.rcpt), argument: "greylist"))))
        #expect(
            lesson.goals[1].check
                == .reply(
                    ReplyMatch(
                        code: CodePattern("2xx")!,
                        answering: CommandMatch(target: .verb(.rcpt), before: .data, overTLS: false))))
        #expect(lesson.goals[1].requires == "refused")
    }

    @Test func everyKindReadsWithItsDefaults() throws {
        let lesson = try LessonProgressTests.lesson(
            "command verb=STARTTLS", "dot-line", "tls", "auth", "pipelined", "bdat-last", "message",
            "pipelined verbs=MAIL,RCPT", "message recipients=2 via=bdat", "tls via=implicit",
            "reply code=220 after=greeting", "reply code=235 after=auth-response", "reply code=250 after=end-of-data")
        #expect(
            lesson.goals.map(\.check) == [
                .command(CommandMatch(target: .verb(.starttls))), .dotLine, .tls(via: .any),
                .auth(mechanism: nil, typedByHand: false), .pipelined(verbs: [.mail, .rcpt, .data]),
                .bdatLast(minimumChunks: 1), .message(minimumRecipients: 1, via: .any),
                .pipelined(verbs: [.mail, .rcpt]), .message(minimumRecipients: 2, via: .bdat), .tls(via: .implicit),
                .reply(ReplyMatch(code: CodePattern("220")!, answering: CommandMatch(target: .greeting))),
                .reply(ReplyMatch(code: CodePattern("235")!, answering: CommandMatch(target: .authResponse))),
                .reply(ReplyMatch(code: CodePattern("250")!, answering: CommandMatch(target: .endOfData))),
            ])
    }

    @Test(
        arguments: [
            ("Title: T\n  Text: x\nGoal: g\nSay: s\nCheck: tls\n", 2, nil),
            ("  continued\nTitle: T\n", 1, "a continuation line with no field above it"),
            ("Title: T\nthis is not a field\n", 2, "expected \"Name: value\""),
            ("Title: T\nColour: red\n", 2, "unknown field Colour:"),
            ("Title: T\nSay: hello\n", 2, "Say: belongs to a goal; start one with Goal: ID first"),
            ("Title: T\nTitle: U\n", 2, "a second Title:"),
            ("Title: T\nText:\n", 2, "Text: has no value"),
            ("Title: T\nGoal: g\nCheck: tls\n", 2, "goal g has no Say: (what to do)"),
            ("Title: T\nGoal: g\nSay: s\n", 2, "goal g has no Check: (how it is checked)"),
            ("Title: T\nGoal: g\nSay: s\nCheck: tls\nGoal: g\n", 5, "a second goal named g"),
            ("Title: T\nGoal: two words\n", 2, "a goal's ID is one word"),
            (
                "Title: T\nGoal: g\nSay: s\nCheck: tls\nRequires: h\n", 5,
                "goal g requires h, which is not a goal of this lesson"
            ),
            ("Title: T\nGoal: g\nSay: s\nCheck: tls\nRequires: g\n", 5, "goal g requires itself"),
            ("Title: T\nGoal: g\nSay: s\nCheck: tsl\n", 4, "unknown goal kind \"tsl\"; the kinds are reply, command"),
            ("Title: T\nGoal: g\nSay: s\nCheck: tls via=smoke\n", 4, "via=smoke: one of starttls, implicit, any"),
            ("Title: T\nGoal: g\nSay: s\nCheck: dot-line x=1\n", 4, "dot-line takes no keys, not \"x\""),
            ("Title: T\nGoal: g\nSay: s\nCheck: reply after=RCPT\n", 4, "reply needs code= (450, 45x or 4xx)"),
            ("Title: T\nGoal: g\nSay: s\nCheck: reply code=650\n", 4, "code=650 is not a reply code"),
            ("Title: T\nGoal: g\nSay: s\nCheck: reply code=250 enhanced=2.x\n", 4, "enhanced=2.x is not an enhanced"),
            ("Title: T\nGoal: g\nSay: s\nCheck: reply code=250 text=\"open\n", 4, "a double quote is not closed"),
            ("Title: T\nGoal: g\nSay: s\nCheck: reply code=250 code=251\n", 4, "code is given twice"),
            ("Title: T\nGoal: g\nSay: s\nCheck: reply code=250 tls=maybe\n", 4, "tls=maybe: say yes or no"),
            ("Title: T\nGoal: g\nSay: s\nCheck: bdat-last chunks=0\n", 4, "chunks=0: a whole number from 1"),
            ("Title: T\nGoal: g\nSay: s\nCheck: command\n", 4, "command needs verb="),
            ("Title: T\nGoal: g\nSay: s\nCheck: pipelined verbs=MAIL,SEND\n", 4, "SEND is not an SMTP verb ehlo knows"),
            (
                "Title: T\nGoal: g\nSay: s\nCheck: tls\nColour: red\n", 5,
                "a goal takes Say:, Check:, Hint: and Requires:"
            ),
            ("Text: no title\nGoal: g\nSay: s\nCheck: tls\n", 1, "the lesson has no Title:"),
            ("Title: T\n", 1, "the lesson has no goals"),
            ("Title: T\nText: \u{1B}[2J cleared\n", 2, "a control character (U+001B) has no place in a lesson"),
        ] as [(String, Int, String?)])
    func aMalformedFileNamesItsLine(text: String, line: Int, message: String?) {
        guard let message else {
            // A Text: continued under Title: is part of the title, not an error.
            #expect((try? LessonFile.parse(text, file: "t.lesson"))?.title == "T Text: x")
            return
        }
        do {
            _ = try LessonFile.parse(text, file: "t.lesson")
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.file == "t.lesson")
            #expect(error.line == line, "\(error)")
            #expect(error.message.hasPrefix(message) || error.message.contains(message), "\(error)")
            #expect(error.description.hasPrefix("t.lesson:\(line): "))
        }
    }

    @Test func crlfLineEndsAreRead() throws {
        let lesson = try LessonFile.parse("Title: T\r\nGoal: g\r\nSay: s\r\nCheck: tls\r\n", file: "t.lesson")
        #expect(lesson.goals.map(\.check) == [.tls(via: .any)])
    }

    @Test func codePatterns() {
        #expect(CodePattern("4xx")!.matches(450))
        #expect(CodePattern("45X")!.matches(451))
        #expect(!CodePattern("45x")!.matches(460))
        #expect(!CodePattern("250")!.matches(251))
        #expect(CodePattern("25") == nil)
        #expect(CodePattern("x50") == nil)
        #expect(CodePattern("1xx") == nil)
    }
}
