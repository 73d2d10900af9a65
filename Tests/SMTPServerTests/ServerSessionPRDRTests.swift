import SMTPCore
import Testing

@testable import SMTPServer

@Suite("PRDR: per-recipient replies after the message (draft-hall-prdr-00)")
struct ServerSessionPRDRTests {
    @Test func prdrIsOfferedAndAcceptedInSMTPOnly() {
        var smtp = ServerSessionStateMachine.test()
        _ = smtp.connectionAccepted()
        #expect(smtp.line("EHLO client.test").replies.first?.texts.contains("PRDR") == true)
        #expect(smtp.reply("MAIL FROM:<a@b.test> PRDR")?.lines == ["250 2.1.0 Sender <a@b.test> ok, PRDR requested"])

        var helo = ServerSessionStateMachine.test()
        helo.open("HELO client.test")
        #expect(helo.codes("MAIL FROM:<a@b.test> PRDR") == [555])  // parameters need EHLO

        var lmtp = ServerSessionStateMachine.test { $0.isLMTP = true }
        _ = lmtp.connectionAccepted()
        #expect(lmtp.line("LHLO client.test").replies.first?.texts.contains("PRDR") == false)
        #expect(lmtp.codes("MAIL FROM:<a@b.test> PRDR") == [555])
    }

    @Test func endOfDataGets353ThenOneReplyPerAcceptedRecipientThenTheMessagesReply() {
        // draft-hall-prdr-00 §5.1's scenario, with the lab's mailboxes.
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.codes("MAIL FROM:<a@b.test> PRDR") == [250])
        #expect(session.codes("RCPT TO:<student@practice.test>") == [250])
        #expect(session.codes("RCPT TO:<nobody@practice.test>") == [550])  // refused at RCPT: no reply at the end
        #expect(session.codes("RCPT TO:<reject@practice.test>") == [250])
        #expect(session.codes("RCPT TO:<teacher@practice.test>") == [250])
        #expect(session.codes("DATA") == [354])
        let end = session.bytesReceived(Array("Subject: x\r\n\r\nhi\r\n.\r\n".utf8))
        #expect(
            end.replies.map(\.lines) == [
                ["353 PRDR content analysis beginning"],
                ["250 2.1.5 <student@practice.test> accepts the message"],
                ["554 5.7.1 <reject@practice.test>: Message content rejected"],
                ["250 2.1.5 <teacher@practice.test> accepts the message"],
            ])
        #expect(end.deliveredMessage?.recipients == ["student@practice.test", "teacher@practice.test"])
        #expect(end.deliveredMessage?.protocolName == "ESMTP")
        #expect(session.line("NOOP").isEmpty)  // the message's own reply is still owed
        let stored = session.deliveryCompleted(.stored(id: "P1"))
        #expect(
            stored.replies.map(\.lines) == [["250 2.0.0 Ok: queued as P1 for 2 of 3 recipients"], ["250 2.0.0 Ok"]])
        #expect(stored.contains(.log(.messageStored(id: "P1", sender: "a@b.test", recipients: 2, octets: 18))))
    }

    @Test func everyRecipientTakingTheMessageGetsThePlainFinalReply() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.bytesReceived(
            Array("MAIL FROM:<a@b.test> PRDR\r\nRCPT TO:<student@practice.test>\r\nDATA\r\nhi\r\n".utf8))
        #expect(session.line(".").codes == [353, 250])
        #expect(session.deliveryCompleted(.stored(id: "P2")).replies.map(\.lines) == [["250 2.0.0 Ok: queued as P2"]])
    }

    @Test func bdatLastEndsAPRDRMessageLikeTheFinalDot() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test> PRDR")
        _ = session.line("RCPT TO:<reject@practice.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        #expect(session.bytesReceived(Array("BDAT 4\r\nhi\r\n".utf8)).codes == [250])
        let last = session.bytesReceived(Array("BDAT 0 LAST\r\n".utf8))
        #expect(last.codes == [353, 554, 250])
        #expect(last.deliveredMessage?.recipients == ["student@practice.test"])
        #expect(last.deliveredMessage.map { String(decoding: $0.content, as: UTF8.self) } == "hi\r\n")
        #expect(
            session.deliveryCompleted(.stored(id: "B1")).replies.map(\.lines) == [
                ["250 2.0.0 Ok: queued as B1 for 1 of 2 recipients"]
            ])
    }

    @Test func everyRecipientRefusingAtTheEndGets550AndNothingIsStored() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@b.test> PRDR")
        _ = session.line("RCPT TO:<reject@practice.test>")
        _ = session.line("RCPT TO:<quota@practice.test>")
        _ = session.line("DATA")
        let big = String(repeating: String(repeating: "x", count: 98) + "\r\n", count: 20)
        let end = session.bytesReceived(Array((big + ".\r\n").utf8))
        #expect(
            end.replies.map(\.lines) == [
                ["353 PRDR content analysis beginning"],
                ["554 5.7.1 <reject@practice.test>: Message content rejected"],
                ["552 5.2.2 <quota@practice.test>: Mailbox full: its quota is 1024 octets"],
                ["550 5.0.0 Message rejected for all recipients; nothing was stored"],
            ])
        #expect(end.deliveredMessage == nil)
        #expect(end.contains { if case .log(.messageRefused) = $0 { return true } else { return false } })
        #expect(session.codes("MAIL FROM:<a@b.test>") == [250])  // the transaction is over
    }

    @Test func pipelinedCommandsAfterTheFinalDotWaitForTheMessagesReply() {
        // RFC 2920 §3.1 with PRDR: the 353 block is answered at once, NOOP and QUIT only after the final reply.
        var session = ServerSessionStateMachine.test()
        session.open()
        let batch =
            "MAIL FROM:<a@b.test> PRDR\r\nRCPT TO:<student@practice.test>\r\nRCPT TO:<reject@practice.test>\r\n"
            + "DATA\r\nhi\r\n.\r\nNOOP\r\nQUIT\r\n"
        let actions = session.bytesReceived(Array(batch.utf8))
        #expect(actions.codes == [250, 250, 250, 354, 353, 250, 554])
        #expect(actions.deliveredMessage?.recipients == ["student@practice.test"])
        #expect(!actions.closes)
        let after = session.deliveryCompleted(.stored(id: "7"))
        #expect(after.codes == [250, 250, 221])
        #expect(after.closes)
    }

    @Test func aRefusalOfTheWholeMessageIsOneTraditionalReply() {
        // draft-hall-prdr-00 §4.4: the server may answer a PRDR transaction with one reply.
        var session = ServerSessionStateMachine.test { $0.maximumMessageSize = 100 }
        session.open()
        _ = session.bytesReceived(
            Array("MAIL FROM:<a@b.test> PRDR\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n".utf8))
        let end = session.bytesReceived(Array((String(repeating: "0123456789\r\n", count: 20) + ".\r\n").utf8))
        #expect(end.codes == [552])
        #expect(end.deliveredMessage == nil)
    }

    @Test func aFailedStoreMakesTheMessagesReply451() {
        // §4.5.3: until a positive final reply the client keeps the message, whatever the recipients said.
        var session = ServerSessionStateMachine.test()
        session.open()
        let end = session.bytesReceived(
            Array("MAIL FROM:<a@b.test> PRDR\r\nRCPT TO:<student@practice.test>\r\nDATA\r\nx\r\n.\r\n".utf8))
        #expect(end.codes == [250, 250, 354, 353, 250])
        #expect(session.deliveryCompleted(.failed(reason: "disk full")).codes == [451])
    }

    @Test func withoutPRDRTheMessageStillGetsOneReply() {
        var session = ServerSessionStateMachine.test()
        session.open()
        let end = session.bytesReceived(
            Array(
                "MAIL FROM:<a@b.test>\r\nRCPT TO:<student@practice.test>\r\nRCPT TO:<reject@practice.test>\r\n"
                    .utf8) + Array("DATA\r\nx\r\n.\r\n".utf8))
        #expect(end.codes == [250, 250, 250, 354, 554])
        #expect(end.deliveredMessage == nil)
    }

    @Test func lmtpDataAfterOnlyRefusedRecipientsGets503() {
        // RFC 2033 §4.2: with no successful RCPT, "the DATA command MUST fail with a 503 reply code".
        var session = ServerSessionStateMachine.test { $0.isLMTP = true }
        session.open("LHLO client.test")
        let codes = session.bytesReceived(
            Array("MAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@practice.test>\r\nDATA\r\n".utf8)
        ).codes
        #expect(codes == [250, 550, 503])
    }
}
