import Testing

@testable import SMTPCore

/// The lesson evaluator, fed traces of events as the console (or the server) sees them.
@Suite struct LessonProgressTests {
    /// A lesson of one goal per check, for traces that look at one kind.
    static func lesson(_ checks: String...) throws -> Lesson {
        var text = "Title: Test\n"
        for (index, check) in checks.enumerated() {
            text += "Goal: g\(index + 1)\nSay: goal \(index + 1)\nCheck: \(check)\n"
        }
        return try LessonFile.parse(text, file: "test.lesson")
    }

    static func reply(_ code: Int, _ text: String = "Ok", to line: String) -> LessonEvent {
        .replyReceived(SMTPReply(code, text), answering: .command(SMTPCommand(line: line)))
    }

    /// A command and its reply, lock-step.
    static func exchange(_ line: String, _ code: Int, _ text: String = "Ok") -> [LessonEvent] {
        [.sent(line), reply(code, text, to: line)]
    }

    /// Feeds the events; returns the goal indices they reached, in order.
    static func play(_ progress: inout LessonProgress, _ events: [LessonEvent]) -> [Int] {
        events.flatMap { progress.record($0) }
    }

    static let greeted: [LessonEvent] =
        [.connected, .replyReceived(SMTPReply(220, "practice.test ESMTP"), answering: .greeting)]
        + exchange("EHLO me.test", 250)

    @Test func appendixDTransactionReachesEveryGoalInOrder() throws {
        var progress = LessonProgress(lesson: BuiltInLessons.lesson(1)!)
        var reached: [Int] = []
        let trace: [LessonEvent] =
            Self.greeted
            + Self.exchange("MAIL FROM:<Smith@bar.com>", 250)
            + Self.exchange("RCPT TO:<student@practice.test>", 250)
            + Self.exchange("RCPT TO:<Green@practice.test>", 550, "5.1.1 <Green@practice.test>: Mailbox unknown")
            + Self.exchange("RCPT TO:<teacher@practice.test>", 250)
            + Self.exchange("DATA", 354)
            + [
                .bodyLine("Blah blah blah..."),
                .replyReceived(SMTPReply(250, "2.0.0 Ok: queued"), answering: .endOfData),
            ]
            + Self.exchange("QUIT", 221)
        for event in trace { reached += progress.record(event) }
        #expect(reached == [0, 1, 2, 3, 4, 5])
        #expect(progress.isComplete)
        #expect(
            LessonRenderer.summary(progress, number: 1) == [
                "Lesson 1: A whole mail transaction — complete: all 6 goals reached, no hints used.",
                "Next: /lesson 2, The four reply classes.",
            ])
    }

    @Test func aMessageToOneRecipientDoesNotCountForTwo() throws {
        var progress = LessonProgress(lesson: try Self.lesson("message recipients=2"))
        let trace: [LessonEvent] =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250)
            + Self.exchange("RCPT TO:<student@practice.test>", 250)
            + Self.exchange("RCPT TO:<green@practice.test>", 550)
            + Self.exchange("DATA", 354) + [.replyReceived(SMTPReply(250, "Ok"), answering: .endOfData)]
        #expect(Self.play(&progress, trace).isEmpty)
        // A second transaction starts counting afresh: its one recipient is not the first's.
        let second: [LessonEvent] =
            Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<teacher@practice.test>", 250)
            + Self.exchange("DATA", 354) + [.replyReceived(SMTPReply(250, "Ok"), answering: .endOfData)]
        #expect(Self.play(&progress, second).isEmpty)
    }

    @Test func aCommandGoalTicksWhenTheCommandGoesOut() throws {
        var progress = LessonProgress(
            lesson: try Self.lesson("command verb=RCPT before=MAIL", "command verb=MAIL argument=SIZE= tls=no"))
        // RCPT after an accepted MAIL is not "before MAIL"; MAIL without SIZE= is not the second goal.
        let wrong = Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
        #expect(Self.play(&progress, wrong).isEmpty)
        #expect(Self.play(&progress, Self.exchange("RSET", 250)).isEmpty)
        // Ticked as it goes out, whatever the reply.
        #expect(progress.record(.sent("RCPT TO:<s@p.test>")) == [0])
        #expect(progress.record(.sent("MAIL FROM:<a@b.test> SIZE=100")) == [1])
    }

    @Test func aMessageByBDATIsNotOneByDATA() throws {
        var progress = LessonProgress(lesson: try Self.lesson("message via=bdat", "message via=data"))
        let bdat =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
            + Self.exchange("BDAT 5 LAST", 250)
        #expect(Self.play(&progress, bdat) == [0])
        // A refused message counts for nothing.
        let refused =
            Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<reject@p.test>", 250)
            + Self.exchange("DATA", 354) + [.replyReceived(SMTPReply(554, "5.7.1 No"), answering: .endOfData)]
        #expect(Self.play(&progress, refused).isEmpty)
    }

    @Test func a503ToDataTicksOnlyTheDataGoal() throws {
        var progress = LessonProgress(lesson: try Self.lesson("reply code=503 after=DATA"))
        // MAIL twice: a 503, but to MAIL.
        let wrong =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("MAIL FROM:<a@b.test>", 503)
        #expect(Self.play(&progress, wrong).isEmpty)
        #expect(Self.play(&progress, Self.exchange("DATA", 503)) == [0])
    }

    @Test func rcptBeforeMailCountsOnlyWhileNoMailWasAccepted() throws {
        var progress = LessonProgress(lesson: try Self.lesson("reply code=503 after=RCPT before=MAIL"))
        // After an accepted MAIL, a 503 to RCPT (a server's own rule) is not "before MAIL".
        let wrong = Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<x@y.test>", 503)
        #expect(Self.play(&progress, wrong).isEmpty)
        // RSET ends the transaction: MAIL is owed again.
        let right = Self.exchange("RSET", 250) + Self.exchange("RCPT TO:<x@y.test>", 503)
        #expect(Self.play(&progress, right) == [0])
    }

    @Test func replyCodePatternsAndEnhancedCodesAndText() throws {
        var progress = LessonProgress(
            lesson: try Self.lesson(
                "reply code=4xx after=RCPT", "reply code=45x enhanced=4.7 after=RCPT", "reply code=250 text=PIPELINING")
        )
        let busy = Self.exchange("RCPT TO:<busy@practice.test>", 450, "4.2.1 Mailbox busy")
        #expect(Self.play(&progress, Self.greeted + busy) == [0])
        let grey = Self.exchange("RCPT TO:<greylist@practice.test>", 450, "4.7.1 Greylisted, try again")
        #expect(Self.play(&progress, grey) == [1])
        let ehlo: [LessonEvent] = [
            .sent("EHLO me.test"),
            .replyReceived(
                SMTPReply(250, "practice.test", "PIPELINING", "SIZE 1000"),
                answering: .command(SMTPCommand(line: "EHLO me.test"))),
        ]
        #expect(Self.play(&progress, ehlo) == [2])
    }

    @Test func aGoalThatRequiresAnotherWaitsForIt() throws {
        var progress = LessonProgress(lesson: BuiltInLessons.lesson(5)!)
        // The greylist remembered the sender: 250 at once. The retry goal needs the 450 first.
        let accepted =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250)
            + Self.exchange("RCPT TO:<greylist@practice.test>", 250)
        #expect(Self.play(&progress, accepted).isEmpty)
        let refusedThenAccepted =
            Self.exchange("RSET", 250) + Self.exchange("MAIL FROM:<c@b.test>", 250)
            + Self.exchange("RCPT TO:<greylist@practice.test>", 450, "4.7.1 Greylisted")
            + Self.exchange("RCPT TO:<greylist@practice.test>", 250)
        #expect(Self.play(&progress, refusedThenAccepted) == [0, 1])
    }

    @Test func aDotLineCountsOnlyStuffedOnTheWire() throws {
        var progress = LessonProgress(lesson: try Self.lesson("dot-line"))
        let start =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
            + Self.exchange("DATA", 354)
        #expect(Self.play(&progress, start).isEmpty)
        // A dot inside the line, and a replayed line sent unstuffed (the server drops its dot).
        #expect(progress.record(.bodyLine("a . in the middle")).isEmpty)
        #expect(progress.record(.messageLineSent(wire: Array(".hello".utf8))).isEmpty)
        #expect(progress.record(.bodyLine(".hello")) == [0])
    }

    @Test func startTLSForgetsEHLO() throws {
        var progress = LessonProgress(lesson: BuiltInLessons.lesson(6)!)
        let ehloLine = "EHLO me.test"
        let clear: [LessonEvent] = [
            .connected, .replyReceived(SMTPReply(220, "practice.test"), answering: .greeting), .sent(ehloLine),
            .replyReceived(
                SMTPReply(250, "practice.test", "STARTTLS", "PIPELINING"),
                answering: .command(SMTPCommand(line: ehloLine))),
        ]
        #expect(Self.play(&progress, clear) == [0])
        // In the clear, MAIL before a second EHLO is not the lesson's 503 (and gets 250 anyway).
        #expect(Self.play(&progress, Self.exchange("MAIL FROM:<a@b.test>", 503)).isEmpty)
        let upgrade = Self.exchange("STARTTLS", 220) + [LessonEvent.tlsEstablished]
        #expect(Self.play(&progress, upgrade) == [1])
        #expect(Self.play(&progress, Self.exchange("MAIL FROM:<a@b.test>", 503)) == [2])
        let again: [LessonEvent] = [
            .sent(ehloLine),
            .replyReceived(
                SMTPReply(250, "practice.test", "AUTH PLAIN LOGIN"), answering: .command(SMTPCommand(line: ehloLine))),
        ]
        #expect(Self.play(&progress, again) == [3])
    }

    @Test func implicitTLSIsNotSTARTTLS() throws {
        var progress = LessonProgress(lesson: try Self.lesson("tls via=starttls", "tls via=implicit"))
        #expect(Self.play(&progress, [.connected, .tlsEstablished]) == [1])
    }

    @Test func authPlainTypedByHandCountsOnlyA235ToATypedAuth() throws {
        var progress = LessonProgress(lesson: try Self.lesson("auth mechanism=PLAIN typed=yes", "reply code=535"))
        let start = Self.greeted
        #expect(Self.play(&progress, start).isEmpty)
        // A wrong password: 535, the auth goal stays open.
        #expect(
            Self.play(&progress, Self.exchange("AUTH PLAIN AHN0dWRlbnQAd3Jvbmc=", 535, "5.7.8 Bad")) == [1])
        // /auth plain wrote it: 235, but not typed by hand.
        let composed: [LessonEvent] = [
            .sent("AUTH PLAIN", composed: true),
            .replyReceived(SMTPReply(334, ""), answering: .command(SMTPCommand(line: "AUTH PLAIN"))),
            .authResponseSent, .replyReceived(SMTPReply(235, "2.7.0 Ok"), answering: .authContinuation),
        ]
        #expect(Self.play(&progress, composed).isEmpty)
        // AUTH LOGIN typed by hand: not PLAIN.
        let login: [LessonEvent] = [
            .sent("AUTH LOGIN"),
            .replyReceived(SMTPReply(334, "VXNlcm5hbWU6"), answering: .command(SMTPCommand(line: "AUTH LOGIN"))),
            .authResponseSent, .replyReceived(SMTPReply(334, "UGFzc3dvcmQ6"), answering: .authContinuation),
            .authResponseSent, .replyReceived(SMTPReply(235, "2.7.0 Ok"), answering: .authContinuation),
        ]
        #expect(Self.play(&progress, login).isEmpty)
        // Typed, with the answer after an empty 334 (RFC 4954 §4).
        let typed: [LessonEvent] = [
            .sent("AUTH PLAIN"),
            .replyReceived(SMTPReply(334, ""), answering: .command(SMTPCommand(line: "AUTH PLAIN"))),
            .authResponseSent, .replyReceived(SMTPReply(235, "2.7.0 Ok"), answering: .authContinuation),
        ]
        #expect(Self.play(&progress, typed) == [0])
    }

    @Test func aLockStepTransactionIsNotPipelined() throws {
        var progress = LessonProgress(lesson: try Self.lesson("pipelined"))
        let lockStep =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
            + Self.exchange("DATA", 354)
        #expect(Self.play(&progress, lockStep).isEmpty)
    }

    @Test func aPipelinedTransactionCountsWhenItsRepliesAreIn() throws {
        var progress = LessonProgress(lesson: try Self.lesson("pipelined"))
        let mail = "MAIL FROM:<a@b.test>"
        let rcpt = "RCPT TO:<s@p.test>"
        let group: [LessonEvent] =
            Self.greeted + [
                .sent(mail), .sent(rcpt, pipelined: true), .sent("DATA", pipelined: true),
                Self.reply(250, to: mail), Self.reply(250, to: rcpt),
            ]
        #expect(Self.play(&progress, group).isEmpty)
        #expect(progress.record(Self.reply(354, to: "DATA")) == [0])
    }

    @Test func aPipelinedTransactionSeenByTheServer() throws {
        // The server answers each buffered command before it reads the next: the events come
        // lock-step, and the commands say they were pipelined.
        var progress = LessonProgress(lesson: try Self.lesson("pipelined"))
        let mail = "MAIL FROM:<a@b.test>"
        let rcpt = "RCPT TO:<s@p.test>"
        let trace: [LessonEvent] =
            Self.greeted + [
                .sent(mail), Self.reply(250, to: mail), .sent(rcpt, pipelined: true), Self.reply(250, to: rcpt),
                .sent("DATA", pipelined: true),
            ]
        #expect(Self.play(&progress, trace).isEmpty)
        #expect(progress.record(Self.reply(354, to: "DATA")) == [0])
    }

    @Test func aPipelinedGroupWithARefusalDoesNotCount() throws {
        var progress = LessonProgress(lesson: try Self.lesson("pipelined"))
        let mail = "MAIL FROM:<a@b.test>"
        let rcpt = "RCPT TO:<unknown@p.test>"
        let group: [LessonEvent] =
            Self.greeted + [
                .sent(mail), .sent(rcpt, pipelined: true), .sent("DATA", pipelined: true),
                Self.reply(250, to: mail), Self.reply(550, to: rcpt), Self.reply(554, to: "DATA"),
            ]
        #expect(Self.play(&progress, group).isEmpty)
    }

    @Test func pipelinedMailAndRcptWithoutDataIsNotATransaction() throws {
        var progress = LessonProgress(lesson: try Self.lesson("pipelined"))
        let mail = "MAIL FROM:<a@b.test>"
        let rcpt = "RCPT TO:<s@p.test>"
        let group: [LessonEvent] =
            Self.greeted + [
                .sent(mail), .sent(rcpt, pipelined: true), Self.reply(250, to: mail), Self.reply(250, to: rcpt),
            ]
            + Self.exchange("DATA", 354)
        #expect(Self.play(&progress, group).isEmpty)
    }

    @Test func bdatLastNeedsItsChunksAndA250() throws {
        var progress = LessonProgress(lesson: try Self.lesson("bdat-last chunks=2", "message via=data"))
        let start = Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
        #expect(Self.play(&progress, start).isEmpty)
        // One chunk only, LAST at once: the message is in, but in one chunk; and not via DATA.
        #expect(Self.play(&progress, Self.exchange("BDAT 7 LAST", 250)).isEmpty)
        let two =
            Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
            + Self.exchange("BDAT 7", 250) + Self.exchange("BDAT 7 LAST", 250)
        #expect(Self.play(&progress, two) == [0])
    }

    @Test func aBdatWithoutLastEndsNoMessage() throws {
        var progress = LessonProgress(lesson: try Self.lesson("bdat-last", "message"))
        let chunks =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
            + Self.exchange("BDAT 7", 250) + Self.exchange("BDAT 5", 250)
        #expect(Self.play(&progress, chunks).isEmpty)
    }

    @Test func aNewConnectionForgetsTheTransaction() throws {
        var progress = LessonProgress(lesson: try Self.lesson("message"))
        let first = Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("RCPT TO:<s@p.test>", 250)
        #expect(Self.play(&progress, first + [.connectionClosed]).isEmpty)
        // A stray end-of-data reply in a new session does not finish the old transaction.
        let second =
            Self.greeted + Self.exchange("MAIL FROM:<a@b.test>", 250) + Self.exchange("DATA", 354)
            + [.replyReceived(SMTPReply(250, "Ok"), answering: .endOfData)]
        #expect(Self.play(&progress, second).isEmpty)
    }

    @Test func hintsComeOneMoreEachTimeForTheFirstOpenGoal() throws {
        var progress = LessonProgress(lesson: BuiltInLessons.lesson(1)!)
        #expect(progress.nextHint()?.hint == "Type EHLO and a name for your machine: EHLO bar.com")
        #expect(progress.nextHint()?.number == 2)
        // The last hint again once all are shown.
        #expect(progress.nextHint()?.number == 2)
        _ = Self.play(&progress, Self.greeted)
        #expect(progress.nextHint()?.goal == 1)
        #expect(progress.hintsUsed == 3)
    }

    @Test func theSummaryNamesWhatWasSkipped() throws {
        var progress = LessonProgress(lesson: BuiltInLessons.lesson(2)!)
        _ = Self.play(&progress, Self.greeted)
        let summary = LessonRenderer.summary(progress, number: 2)
        #expect(summary[0] == "Lesson 2: The four reply classes — ended: 1 of 4 goals reached, no hints used.")
        #expect(summary.dropFirst().allSatisfy { $0.hasPrefix("  skipped: goal ") })
        #expect(summary.count == 4)
    }
}
