import SMTPCore
import Testing

@testable import SMTPServer

@Suite("The practice server's session, as protocol traces")
struct ServerSessionStateMachineTests {
    @Test func appendixDScenarioDeliversToTheAcceptedRecipients() {
        // RFC 5321 Appendix D.1, with the lab's mailboxes.
        var session = ServerSessionStateMachine.test()
        #expect(session.connectionAccepted().codes == [220])
        let ehlo = session.line("EHLO bar.com").replies
        #expect(ehlo.map(\.code) == [250])
        #expect(ehlo.first?.texts.contains("PIPELINING") == true)
        #expect(session.reply("MAIL FROM:<Smith@bar.com>")?.lines == ["250 2.1.0 Sender <Smith@bar.com> ok"])
        #expect(session.codes("RCPT TO:<student@practice.test>") == [250])
        #expect(session.reply("RCPT TO:<Green@practice.test>")?.lines.first?.hasPrefix("550 5.1.1") == true)
        #expect(session.codes("RCPT TO:<teacher@practice.test>") == [250])
        #expect(session.codes("DATA") == [354])
        #expect(session.line("Blah blah blah...").isEmpty)
        let end = session.line("...etc. etc. etc.") + session.line(".")
        let message = end.deliveredMessage
        #expect(message?.sender == "Smith@bar.com")
        #expect(message?.recipients == ["student@practice.test", "teacher@practice.test"])
        #expect(
            message.map { String(decoding: $0.content, as: UTF8.self) } == "Blah blah blah...\r\n..etc. etc. etc.\r\n")
        #expect(message?.protocolName == "ESMTP")
        #expect(session.deliveryCompleted(.stored(id: "Q1")).replies.map(\.lines) == [["250 2.0.0 Ok: queued as Q1"]])
        let quit = session.line("QUIT")
        #expect(quit.codes == [221])
        #expect(quit.closes)
    }

    @Test func commandsOutOfSequenceGet503() {
        var session = ServerSessionStateMachine.test()
        _ = session.connectionAccepted()
        #expect(session.codes("MAIL FROM:<a@b.test>") == [503])
        _ = session.line("EHLO client.test")
        #expect(session.codes("RCPT TO:<student@practice.test>") == [503])
        #expect(session.codes("DATA") == [503])
        #expect(session.codes("MAIL FROM:<a@b.test>") == [250])
        #expect(session.codes("MAIL FROM:<a@b.test>") == [503])
        #expect(session.codes("DATA") == [503])
        #expect(session.codes("RSET") == [250])
        #expect(session.codes("RCPT TO:<student@practice.test>") == [503])
    }

    @Test func dataAfterOnlyRefusedRecipientsGets554() {
        // RFC 2920 §3.1: a pipelined DATA after every RCPT failed.
        var session = ServerSessionStateMachine.test()
        session.open()
        let codes = session.bytesReceived(
            Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@practice.test>\r\nDATA\r\n".utf8)
        ).codes
        #expect(codes == [250, 550, 554])
    }

    @Test func syntaxAndParameterErrors() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.codes("FOO") == [500])
        #expect(session.codes("TURN") == [502])
        #expect(session.codes("EHLO") == [501])
        #expect(session.codes("MAIL FROM:a@b.test") == [501])
        #expect(session.codes("MAIL FROM:<a@b.test> FOO=BAR") == [555])
        #expect(session.codes("MAIL FROM:<a@b.test> SIZE=999999999") == [552])
        #expect(session.codes("AUTH FOO") == [538])
        #expect(session.codes("HELP FOO") == [504])
        #expect(session.codes("MAIL FROM:<> BODY=8BITMIME SIZE=100") == [250])
        #expect(session.codes("RCPT TO:<student@practice.test> NOTIFY=NEVER") == [555])
        #expect(session.codes("RCPT TO:<x@other.test>") == [550])
        #expect(session.codes("RCPT TO:<Postmaster>") == [250])
    }

    @Test(arguments: [
        ("busy", 450, "4.2.0"), ("broken", 451, "4.3.0"), ("full", 452, "4.2.2"), ("params", 455, "4.3.3"),
        ("unknown", 550, "5.1.1"), ("nosuchname", 550, "5.1.1"), ("moved", 551, "5.1.0"), ("badname", 553, "5.1.0"),
        ("forward", 251, "2.1.5"), ("student", 250, "2.1.5"), ("Teacher", 250, "2.1.5"), ("class", 250, "2.1.5"),
    ])
    func labMailboxAnswersRCPT(localPart: String, code: Int, enhancedCode: String) {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        let reply = session.reply("RCPT TO:<\(localPart)@practice.test>")
        #expect(reply?.code == code)
        #expect(reply?.enhancedCode?.description == enhancedCode)
    }

    @Test func movedNamesTheNewAddress() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(
            session.reply("RCPT TO:<moved@practice.test>")?.lines == [
                "551 5.1.0 User not local; please try <moved@elsewhere.test>"
            ])
    }

    @Test func greylistRefusesTheFirstAttemptOnly() {
        let greylist = TestGreylist()
        var first = ServerSessionStateMachine.test(greylist: greylist)
        first.open()
        _ = first.line("MAIL FROM:<a@b.test>")
        #expect(
            first.reply("RCPT TO:<greylist@practice.test>")?.lines == [
                "450 4.7.1 <greylist@practice.test>: Greylisted, try again now"
            ])
        var second = ServerSessionStateMachine.test(greylist: greylist)
        second.open()
        _ = second.line("MAIL FROM:<a@b.test>")
        #expect(second.codes("RCPT TO:<greylist@practice.test>") == [250])
    }

    /// RFC 6647 §2.1: a retry before the delay is refused again; one after it passes.
    @Test func greylistRefusesARetryBeforeTheDelayAndPassesOneAfter() {
        let greylist = TestGreylist(delay: 5)
        var session = ServerSessionStateMachine.test(greylist: greylist)
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(
            session.reply("RCPT TO:<greylist@practice.test>")?.lines == [
                "450 4.7.1 <greylist@practice.test>: Greylisted, try again in 5 seconds"
            ])
        greylist.wait(2)
        #expect(
            session.reply("RCPT TO:<greylist@practice.test>")?.lines == [
                "450 4.7.1 <greylist@practice.test>: Greylisted, retried too soon; try again in 3 seconds"
            ])
        greylist.wait(2.5)
        #expect(
            session.reply("RCPT TO:<greylist@practice.test>")?.texts.last?.hasSuffix("try again in 1 second") == true)
        greylist.wait(0.5)
        #expect(session.codes("RCPT TO:<greylist@practice.test>") == [250])
        // RSET keeps the greylist: the same triplet passes in the next transaction.
        _ = session.line("RSET")
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(session.codes("RCPT TO:<greylist@practice.test>") == [250])
        // Another sender is another triplet: refused afresh.
        _ = session.line("RSET")
        _ = session.line("MAIL FROM:<other@b.test>")
        #expect(session.codes("RCPT TO:<greylist@practice.test>") == [450])
    }

    @Test func rejectRefusesAfterTheFinalDot() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(session.codes("RCPT TO:<reject@practice.test>") == [250])
        _ = session.line("DATA")
        let end = session.bytesReceived(Array("Subject: x\r\n\r\nspam\r\n.\r\n".utf8))
        #expect(end.deliveredMessage == nil)
        #expect(end.replies.first?.lines == ["554 5.7.1 <reject@practice.test>: Message content rejected"])
        #expect(session.codes("MAIL FROM:<a@b.test>") == [250])
    }

    @Test func quotaRefusesOnlyMessagesOverIt() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<quota@practice.test>")
        _ = session.line("DATA")
        #expect(session.bytesReceived(Array("small\r\n.\r\n".utf8)).deliveredMessage != nil)
        _ = session.deliveryCompleted(.stored(id: "1"))
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<quota@practice.test>")
        _ = session.line("DATA")
        let big = String(repeating: "x", count: 100) + "\r\n"
        let end = session.bytesReceived(Array((String(repeating: big, count: 20) + ".\r\n").utf8))
        #expect(end.replies.map { "\($0.code) \($0.enhancedCode!)" } == ["552 5.2.2"])
    }

    @Test func messageOverTheSizeLimitIsCountedAndRefused() {
        var session = ServerSessionStateMachine.test { $0.maximumMessageSize = 100 }
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.line("DATA")
        let end = session.bytesReceived(Array((String(repeating: "0123456789\r\n", count: 20) + ".\r\n").utf8))
        #expect(end.replies.map(\.code) == [552])
        #expect(end.replies.first?.enhancedCode?.description == "5.3.4")
    }

    @Test func bareLineFeedNeverEndsTheMessage() {
        // CRLF . CRLF only: "\n.\n" must not end the data (SMTP smuggling).
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.line("DATA")
        #expect(session.bytesReceived(Array("one\n.\nMAIL FROM:<evil@x.test>\r\n".utf8)).isEmpty)
        let end = session.bytesReceived(Array(".\r\n".utf8))
        #expect(
            end.deliveredMessage.map { String(decoding: $0.content, as: UTF8.self) }
                == "one\n.\nMAIL FROM:<evil@x.test>\r\n")
    }

    @Test func commandLineLimitsAndBareLineFeeds() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.bytesReceived(Array("NOOP\n".utf8)).codes == [500])
        #expect(session.codes("NOOP " + String(repeating: "x", count: 600)) == [500])
        // An overlong line arriving in pieces is dropped as it comes, then answered once.
        #expect(session.bytesReceived(Array(String(repeating: "y", count: 5000).utf8)).isEmpty)
        #expect(session.bytesReceived(Array("yyy\r\nNOOP\r\n".utf8)).codes == [500, 250])
        #expect(session.bytesReceived([0x4E, 0x4F, 0x00, 0x50, 0x0D, 0x0A]).codes == [500])
    }

    @Test func overlongMessageLineGets500AtTheEnd() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.line("DATA")
        let end = session.bytesReceived(Array((String(repeating: "z", count: 3000) + "\r\n.\r\n").utf8))
        #expect(end.codes == [500])
    }

    @Test func pipelinedInputWaitsForTheDelivery() {
        var session = ServerSessionStateMachine.test()
        session.open()
        let batch = "MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\nhi\r\n.\r\nNOOP\r\nQUIT\r\n"
        let actions = session.bytesReceived(Array(batch.utf8))
        #expect(actions.codes == [250, 250, 354])
        #expect(actions.deliveredMessage != nil)
        let after = session.deliveryCompleted(.stored(id: "7"))
        #expect(after.codes == [250, 250, 221])
        #expect(after.closes)
    }

    @Test func byteByByteInputGivesTheSameReplies() {
        let script = "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n.x\r\n.\r\n"
        var whole = ServerSessionStateMachine.test()
        _ = whole.connectionAccepted()
        let wholeActions = whole.bytesReceived(Array(script.utf8))
        var split = ServerSessionStateMachine.test()
        _ = split.connectionAccepted()
        var splitActions: [ServerSessionStateMachine.Action] = []
        for byte in script.utf8 { splitActions += split.bytesReceived([byte]) }
        #expect(splitActions == wholeActions)
        #expect(wholeActions.deliveredMessage.map { String(decoding: $0.content, as: UTF8.self) } == "x\r\n")
    }

    @Test func failedStoreGets451() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.bytesReceived(
            Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\nx\r\n.\r\n".utf8))
        #expect(session.deliveryCompleted(.failed(reason: "disk full")).codes == [451])
    }

    @Test func clientLeavingMidDataStoresNothing() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.bytesReceived(
            Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\nhalf a mess".utf8))
        let actions = session.connectionClosed()
        #expect(actions == [.log(.dataAbandoned(octets: 11))])
        #expect(actions.deliveredMessage == nil)
    }

    /// Found by FuzzServerSession: a line past 1,000 octets is taken in pieces as it comes, so
    /// the octets a client left behind were counted one way whole and another way cut.
    @Test(arguments: [[1_500], [600, 600, 300], [1_001, 1, 498], [1, 1_499]])
    func theOctetsOfAnAbandonedLongLineAreCountedHoweverTheyCame(cuts: [Int]) {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.bytesReceived(Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n".utf8))
        let line = Array(repeating: UInt8(ascii: "x"), count: 1_499) + [0x0D]
        var offset = 0
        for cut in cuts {
            _ = session.bytesReceived(line[offset..<(offset + cut)])
            offset += cut
        }
        #expect(session.connectionClosed() == [.log(.dataAbandoned(octets: 1_500))])
    }

    /// The count is of the message: a stuffing period is not part of it (RFC 5321 §4.5.2), and
    /// a lone period, with or without its CR, may be the end of the data.
    @Test(arguments: [
        ("..abc", 4), ("x\r\n.", 3), ("x\r\n.\r", 3), (".x\r\n.y", 4), ("x\r\n..", 4), ("x\r", 2),
    ])
    func anAbandonedMessageIsCountedWithoutItsStuffingPeriods(tail: String, octets: Int) {
        for cut in 0...tail.utf8.count {
            var session = ServerSessionStateMachine.test()
            session.open()
            _ = session.bytesReceived(
                Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n".utf8))
            _ = session.bytesReceived(tail.utf8.prefix(cut))
            _ = session.bytesReceived(tail.utf8.dropFirst(cut))
            #expect(session.connectionClosed() == [.log(.dataAbandoned(octets: octets))], "cut at \(cut)")
        }
    }

    /// Replies past the budget of one read leave the rest of the input unread until the replies
    /// are written: a client that sent the whole message and QUIT, and left before that, has
    /// sent no more than the message.
    @Test func anAbandonedMessageLeftUnreadIsCountedUpToItsEnd() throws {
        let start = "MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n"
        let message = "line one\r\n..two\r\n.\r\nQUIT\r\n"
        func session(afterNOOPs count: Int) -> (ServerSessionStateMachine, [ServerSessionStateMachine.Action]) {
            var session = ServerSessionStateMachine.test()
            session.open()
            let actions = session.bytesReceived(
                Array((String(repeating: "NOOP\r\n", count: count) + start + message).utf8))
            return (session, actions)
        }
        // The fewest NOOPs that spend the budget: with one fewer, not even the 354 spent it, so
        // with these it is the 354 that does (a NOOP's reply is shorter).
        var range = 0..<100_000
        while range.count > 1 {
            let middle = range.lowerBound + range.count / 2
            let isSpent = session(afterNOOPs: middle - 1).0.isReplyBudgetSpent
            range = isSpent ? range.lowerBound..<middle : middle..<range.upperBound
        }
        var (session, actions) = session(afterNOOPs: range.lowerBound)
        try #require(actions.codes.last == 354)
        actions = session.connectionClosed()
        #expect(actions == [.log(.dataAbandoned(octets: "line one\r\n.two\r\n".utf8.count))])
    }
}

@Suite("VRFY, EXPN, HELP and the session's limits")
struct ServerSessionInformationTests {
    @Test func vrfyAndExpnFollowTheLab() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.reply("VRFY student")?.lines == ["250 2.1.5 Sam Student <student@practice.test>"])
        #expect(session.codes("VRFY class") == [252])
        #expect(session.codes("VRFY forward") == [251])
        #expect(session.codes("VRFY moved") == [551])
        #expect(session.codes("VRFY nobody") == [550])
        #expect(session.codes("VRFY b") == [553])  // busy, broken, badname: ambiguous
        let expansion = session.reply("EXPN class")
        #expect(
            expansion?.lines == [
                "250-2.1.5 Sam Student <student@practice.test>", "250 2.1.5 Terry Teacher <teacher@practice.test>",
            ])
        #expect(session.codes("EXPN student") == [550])
    }

    @Test func helpAnswers214And211() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.codes("HELP") == [214])
        #expect(session.reply("HELP rcpt")?.texts.first == CommandTable.spec(.rcpt).syntax)
        #expect(session.reply("HELP LAB")?.texts.contains { $0.contains("busy@practice.test") } == true)
        #expect(session.codes("HELP STATUS") == [211])
    }

    @Test func greetingFailLeavesOnlyQuit() {
        var session = ServerSessionStateMachine.test { $0.failsGreeting = true }
        #expect(session.connectionAccepted().codes == [554])
        #expect(session.codes("EHLO c.test") == [503])
        #expect(session.codes("QUIT") == [221])
    }

    @Test func shutdownAfterAnswersTheNextCommandWith421() {
        var session = ServerSessionStateMachine.test { $0.shutdownAfterCommands = 2 }
        _ = session.connectionAccepted()
        #expect(session.codes("EHLO c.test") == [250])
        #expect(session.codes("NOOP") == [250])
        let third = session.line("NOOP")
        #expect(third.codes == [421])
        #expect(third.closes)
    }

    @Test func tooManyErrorsClose() {
        var session = ServerSessionStateMachine.test()
        session.open()
        var actions: [ServerSessionStateMachine.Action] = []
        for _ in 0..<25 { actions += session.line("GARBAGE") }
        #expect(actions.codes.filter { $0 == 500 }.count == 20)
        #expect(actions.codes.last == 421)
        #expect(actions.closes)
    }

    @Test func timeoutAndShutdownAnswer421() {
        var idle = ServerSessionStateMachine.test()
        idle.open()
        #expect(
            idle.timedOut().replies.map { $0.lines } == [
                ["421 4.4.2 practice.test Timeout exceeded, closing connection"]
            ])
        var stopping = ServerSessionStateMachine.test()
        stopping.open()
        _ = stopping.bytesReceived(
            Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\nx\r\n.\r\n".utf8))
        #expect(stopping.shutdownRequested().isEmpty)  // the message being stored comes first
        let after = stopping.deliveryCompleted(.stored(id: "9"))
        #expect(after.codes == [250, 421])
        #expect(after.closes)
    }

    @Test func tooManyRecipientsGet452() {
        var session = ServerSessionStateMachine.test { $0.maximumRecipients = 2 }
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(session.codes("RCPT TO:<student@practice.test>") == [250])
        #expect(session.codes("RCPT TO:<teacher@practice.test>") == [250])
        #expect(session.reply("RCPT TO:<postmaster@practice.test>")?.enhancedCode?.description == "4.5.3")
    }

    @Test func internationalAddressesNeedSMTPUTF8() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.codes("MAIL FROM:<jöran@b.test>") == [553])
        #expect(session.codes("MAIL FROM:<jöran@b.test> SMTPUTF8") == [250])
    }
}

@Suite("CHUNKING and LMTP")
struct ServerSessionChunkingTests {
    @Test func bdatChunksMakeOneMessage() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        #expect(session.bytesReceived(Array("BDAT 5\r\nhel".utf8)).isEmpty)
        #expect(session.bytesReceived(Array("lo".utf8)).replies.map(\.lines) == [["250 2.0.0 5 octets received"]])
        let last = session.bytesReceived(Array("BDAT 8 LAST\r\n\r\n.world".utf8))
        #expect(last.deliveredMessage.map { String(decoding: $0.content, as: UTF8.self) } == "hello\r\n.world")
        #expect(session.deliveryCompleted(.stored(id: "c")).codes == [250])
        #expect(session.codes("BDAT 0 LAST") == [503])
    }

    /// A TAB between the size and LAST separates them, as in Postfix; a size of 2^63 is refused,
    /// not overflowed, and so is one of 16 digits.
    @Test func aBDATLineIsCutAtBlanksAndItsSizeIsBounded() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        #expect(session.codes("BDAT 9223372036854775808 LAST") == [501])
        #expect(session.codes("BDAT 1000000000000000") == [501])
        let chunk = session.bytesReceived(Array("BDAT 3\tLAST\r\nabc".utf8))
        #expect(chunk.deliveredMessage.map { String(decoding: $0.content, as: UTF8.self) } == "abc")
    }

    @Test func refusedChunkIsStillReadWhole() {
        var session = ServerSessionStateMachine.test()
        session.open()
        // No transaction: the 4 octets "NOOP" are chunk data, not a command.
        #expect(session.bytesReceived(Array("BDAT 4\r\nNOOP".utf8)).codes == [503])
        #expect(session.codes("NOOP") == [250])
    }

    @Test func dataAfterBDATIsOutOfSequence() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.bytesReceived(Array("BDAT 1\r\nx".utf8))
        #expect(session.codes("DATA") == [503])
    }

    @Test func lmtpRepliesOncePerAcceptedRecipient() {
        var session = ServerSessionStateMachine.test { $0.isLMTP = true }
        #expect(session.connectionAccepted().replies.first?.texts.first?.contains("LMTP") == true)
        #expect(session.codes("EHLO c.test") == [500])
        #expect(session.codes("LHLO c.test") == [250])
        _ = session.line("MAIL FROM:<a@b.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.line("RCPT TO:<reject@practice.test>")
        _ = session.line("RCPT TO:<nobody@practice.test>")
        _ = session.line("RCPT TO:<teacher@practice.test>")
        _ = session.line("DATA")
        let end = session.bytesReceived(Array("hi\r\n.\r\n".utf8))
        #expect(end.deliveredMessage?.recipients == ["student@practice.test", "teacher@practice.test"])
        #expect(end.deliveredMessage?.protocolName == "LMTP")
        let replies = session.deliveryCompleted(.stored(id: "L1")).replies
        #expect(replies.map(\.code) == [250, 554, 250])
    }
}

extension ServerSessionChunkingTests {
    /// RFC 2033 §4.3: BDAT LAST after no successful RCPT gets no reply at all; its octets are read.
    @Test func lmtpBDATLastWithoutRecipientsIsNotAnswered() {
        var session = ServerSessionStateMachine.test { $0.isLMTP = true }
        session.open()
        _ = session.line("LHLO c.test")
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(session.codes("RCPT TO:<nobody@practice.test>") == [550])
        #expect(session.bytesReceived(Array("BDAT 4 LAST\r\nNOOP".utf8)).isEmpty)
        #expect(session.codes("NOOP") == [250])
        #expect(session.codes("RCPT TO:<student@practice.test>") == [503])
    }
}

@Suite("STARTTLS and AUTH")
struct ServerSessionSecurityTests {
    /// A client that says STARTTLS and then stalls: the idle timeout closes without a plaintext
    /// 421, and a handshake that completes afterwards changes nothing (and traps nothing).
    @Test func timeoutDuringTheHandshakeClosesQuietly() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.line("STARTTLS").last == .startTLS)
        let actions = session.timedOut()
        #expect(actions.codes.isEmpty)
        #expect(actions.last == .close)
        #expect(session.tlsEstablished().isEmpty)
        #expect(session.shutdownRequested().isEmpty)
    }

    @Test func shutdownDuringTheHandshakeClosesQuietly() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("STARTTLS")
        let actions = session.shutdownRequested()
        #expect(actions.codes.isEmpty)
        #expect(actions.last == .close)
        #expect(session.tlsEstablished().isEmpty)
    }

    @Test func startTLSDiscardsPipelinedPlaintextAndForgetsTheSession() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.line("EHLO c.test").replies.first?.texts.contains { $0.hasPrefix("AUTH") } == false)
        let actions = session.bytesReceived(Array("STARTTLS\r\nMAIL FROM:<injected@x.test>\r\n".utf8))
        #expect(actions.codes == [220])
        #expect(actions.contains(.log(.pipelinedPlaintextDiscarded(octets: 29))))
        #expect(actions.last == .startTLS)
        #expect(session.bytesReceived(Array("RSET\r\n".utf8)).isEmpty)
        _ = session.tlsEstablished()
        #expect(session.codes("MAIL FROM:<a@b.test>") == [503])
        let ehlo = session.line("EHLO c.test").replies.first?.texts ?? []
        #expect(ehlo.contains("AUTH PLAIN LOGIN CRAM-MD5"))
        #expect(!ehlo.contains("STARTTLS"))
        #expect(session.codes("STARTTLS") == [503])
    }

    @Test func authBeforeTLSIsRefusedUnlessAllowed() {
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.reply("AUTH PLAIN")?.lines.first?.hasPrefix("538 5.7.11") == true)
        var relaxed = ServerSessionStateMachine.test { $0.allowsPlainAuth = true }
        relaxed.open()
        let plain = SASLExchange.base64("\0student\0practice")
        #expect(relaxed.codes("AUTH PLAIN \(plain)") == [235])
        #expect(relaxed.codes("AUTH PLAIN \(plain)") == [503])
    }

    /// RFC 4954 §4: a response that is not base64 gets 501, even where Foundation would decode it.
    @Test func authResponseThatIsNotBase64Gets501() {
        var session = ServerSessionStateMachine.test { $0.allowsPlainAuth = true }
        session.open()
        #expect(session.reply("AUTH PLAIN")?.lines == ["334 "])
        // The PLAIN response of the test above without its padding: 22 characters.
        #expect(session.codes(String(SASLExchange.base64("\0student\0practice").prefix(22))) == [501])
    }

    @Test func authPlainLoginAndCramMD5() {
        func session() -> ServerSessionStateMachine {
            var session = ServerSessionStateMachine.test { $0.allowsPlainAuth = true }
            session.open()
            return session
        }
        var plain = session()
        #expect(plain.reply("AUTH PLAIN")?.lines == ["334 "])
        #expect(plain.codes(SASLExchange.base64("\0student\0wrong")) == [535])

        var login = session()
        #expect(login.reply("AUTH LOGIN")?.texts == [SASLExchange.base64("Username:")])
        #expect(login.codes(SASLExchange.base64("student")) == [334])
        #expect(login.codes(SASLExchange.base64("practice")) == [235])

        var cram = session()
        let challenge = "<n0nce.1@practice.test>"
        #expect(cram.reply("AUTH CRAM-MD5")?.texts == [SASLExchange.base64(challenge)])
        let digest = SASLExchange.cramDigest(challenge: challenge, password: "practice")
        #expect(cram.codes(SASLExchange.base64("student \(digest)")) == [235])

        var cancelled = session()
        _ = cancelled.line("AUTH LOGIN")
        #expect(cancelled.codes("*") == [501])
        #expect(cancelled.codes("AUTH SCRAM-SHA-1") == [504])
    }

    @Test func cramDigestMatchesRFC2195Example() {
        // RFC 2195 §2: user tim, secret tanstaaftanstaaf.
        let digest = SASLExchange.cramDigest(
            challenge: "<1896.697170952@postoffice.reston.mci.net>", password: "tanstaaftanstaaf")
        #expect(digest == "b913a602c7eda7a495b4e6e7334d3890")
    }
}
