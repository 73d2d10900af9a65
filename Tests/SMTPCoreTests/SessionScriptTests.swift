import Testing

@testable import SMTPCore

@Suite struct SessionScriptTests {
    @Test func eachLineIsFollowedByAnExpectOfItsReply() {
        var script = SessionScript()
        script.commandSent("EHLO client.test")
        script.replyCompleted(SMTPReply(250, "mx"), answering: .command(SMTPCommand(line: "EHLO client.test")))
        script.commandSent("DATA")
        script.replyCompleted(SMTPReply(354, "go"), answering: .command(SMTPCommand(line: "DATA")))
        script.messageLineSent(".dot")
        script.messageLineSent(".")
        script.replyCompleted(SMTPReply(250, "ok"), answering: .endOfData)
        let text = script.text(server: "mx.test:25", time: 0)
        #expect(
            text.split(separator: "\n").dropFirst(2).map(String.init) == [
                "EHLO client.test", "/expect 250", "DATA", "/expect 354", ".dot", ".", "/expect 250",
            ])
    }

    @Test func aTypedAuthExchangeLeavesOnlyAComment() {
        var script = SessionScript()
        script.commandSent("AUTH LOGIN")
        script.replyCompleted(SMTPReply(334, "VXNlcm5hbWU6"), answering: .command(SMTPCommand(line: "AUTH LOGIN")))
        script.replyCompleted(SMTPReply(334, "UGFzc3dvcmQ6"), answering: .authContinuation)
        script.replyCompleted(SMTPReply(235, "ok"), answering: .authContinuation)
        let lines = script.text(server: nil, time: 0).split(separator: "\n").dropFirst(2)
        #expect(lines.allSatisfy { $0.hasPrefix("#") })
        #expect(lines.last == "# … and the exchange ended with 235")
    }

    @Test func theGreetingGetsNoExpect() {
        var script = SessionScript()
        script.replyCompleted(SMTPReply(220, "mx"), answering: .greeting)
        #expect(script.isEmpty)
    }

    @Test func linesTakenOnTheWayMakeTheSameTextAsLinesHeld() {
        var spooled = ""
        let whole = Self.message(into: SessionScript()) { _ in }
        var taken = Self.message(into: SessionScript()) { spooled += $0.takeHeldText() }
        #expect(taken.heldOctets == ".\n/expect 250\n".utf8.count)
        let header = SessionScript.header(server: "mx.test:25", time: 0)
        #expect(header + spooled + taken.takeHeldText() == whole.text(server: "mx.test:25", time: 0))
        #expect(taken.isEmpty && taken.heldOctets == 0 && taken.takeHeldText().isEmpty)
    }

    /// DATA, its 354, two message lines, the dot and its 250, with `between` run after the 354
    /// and after the message lines.
    private static func message(
        into script: SessionScript, between: (inout SessionScript) -> Void
    ) -> SessionScript {
        var script = script
        script.commandSent("DATA")
        script.replyCompleted(SMTPReply(354, "go"), answering: .command(SMTPCommand(line: "DATA")))
        between(&script)
        script.messageLineSent("Subject: é")
        script.messageLineSent("")
        between(&script)
        script.messageLineSent(".")
        script.replyCompleted(SMTPReply(250, "ok"), answering: .endOfData)
        return script
    }
}
