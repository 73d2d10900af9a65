import SMTPCore
import Testing

@testable import SMTPServer

@Suite("Verbs and their sequence, read from CommandTable and ServerCommandTable")
struct ServerCommandTableTests {
    @Test func everyVerbOfTheCoreIsAnsweredOrDeclinedInBothProtocols() {
        for isLMTP in [false, true] {
            for verb in SMTPVerb.allCases {
                let recognized = ServerCommandTable.recognize(verb.rawValue.lowercased(), isLMTP: isLMTP)
                #expect(recognized != .unrecognized, "\(verb)")
            }
        }
        #expect(ServerCommandTable.recognize("etrn", isLMTP: false) == .notImplemented(.init(.etrn)))
        #expect(ServerCommandTable.recognize("LHLO", isLMTP: false) == .otherProtocolsGreeting(.lhlo))
        #expect(ServerCommandTable.recognize("EHLO", isLMTP: true) == .otherProtocolsGreeting(.ehlo))
        #expect(ServerCommandTable.recognize("XYZZY", isLMTP: false) == .unrecognized)
    }

    @Test(arguments: ServerCommandTable.notImplemented)
    func verbsKnownButNotImplementedGet502(row: ServerCommandTable.NotImplemented) {
        // RFC 5321 §4.2.4: 502 for a known command this server does not implement, in any phase.
        var session = ServerSessionStateMachine.test()
        _ = session.connectionAccepted()
        #expect(session.codes("\(row.verb.lowercased()) x") == [502])
        _ = session.line("EHLO client.test")
        let reply = session.reply(row.verb)
        #expect(reply?.code == 502)
        #expect(reply?.texts.first?.contains(row.reference) == true)
        #expect(session.codes("XTURN") == [500])
    }

    @Test func outOfSequenceRepliesStateTheRuleOfTheCommandTable() {
        var session = ServerSessionStateMachine.test()
        _ = session.connectionAccepted()
        let rule = { (verb: SMTPVerb) in
            ServerReply.titled(503, esc(5, 5, 1), detail: CommandTable.spec(verb).sequenceRule)
        }
        #expect(session.reply("MAIL FROM:<a@b.test>") == rule(.mail))
        #expect(session.reply("STARTTLS") == rule(.starttls))
        #expect(session.reply("AUTH PLAIN") == rule(.auth))
        _ = session.line("EHLO client.test")
        #expect(session.reply("RCPT TO:<student@practice.test>") == rule(.rcpt))
        #expect(session.reply("DATA") == rule(.data))
        #expect(session.bytesReceived(Array("BDAT 2 LAST\r\nhi".utf8)).replies == [rule(.bdat)])
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(session.reply("MAIL FROM:<a@b.test>") == rule(.mail))
        #expect(session.reply("STARTTLS") == rule(.starttls))
        #expect(session.reply("DATA") == rule(.data))
        // Still the same transaction: a recipient makes DATA legal.
        #expect(session.codes("RCPT TO:<student@practice.test>") == [250])
        #expect(session.codes("DATA") == [354])
    }

    @Test func sequenceIsCheckedBeforeTheArguments() {
        // As Postfix does: the client learns first that the command cannot come now at all.
        var session = ServerSessionStateMachine.test()
        session.open()
        #expect(session.codes("DATA now") == [503])
        #expect(session.codes("RCPT") == [503])
        _ = session.line("MAIL FROM:<a@b.test>")
        #expect(session.codes("STARTTLS now") == [503])
        #expect(session.codes("RSET now") == [501])
    }

    @Test func rulesBeyondThePhaseComeFromTheServerTable() {
        var session = ServerSessionStateMachine.test { $0.allowsPlainAuth = true }
        session.open()
        #expect(session.codes("AUTH PLAIN \(SASLExchange.base64("\0student\0practice"))") == [235])
        let again = session.reply("AUTH PLAIN")
        let rule = ServerCommandTable.sessionRules.first { $0.verb == .auth }
        #expect(again == .titled(503, esc(5, 5, 1), detail: rule?.detail))
    }

    @Test func refusedSessionAnswersEverythingButQuitWith503() {
        // RFC 5321 §3.1: after a 554 greeting, 503 to any command, known or not, until QUIT.
        var session = ServerSessionStateMachine.test { $0.failsGreeting = true }
        _ = session.connectionAccepted()
        for line in ["EHLO c.test", "FOO", "TURN", "NOOP", "LHLO c.test"] {
            #expect(session.codes(line) == [503], "\(line)")
        }
        #expect(session.codes("QUIT") == [221])
    }

    @Test func helpListsTheAnsweredRowsOfTheCommandTable() {
        var smtp = ServerSessionStateMachine.test()
        smtp.open()
        let list = smtp.reply("HELP")?.texts[1]
        #expect(list == "EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET VRFY EXPN HELP NOOP QUIT")
        #expect(smtp.codes("HELP ETRN") == [504])
        #expect(smtp.codes("HELP LHLO") == [504])

        var lmtp = ServerSessionStateMachine.test { $0.isLMTP = true }
        lmtp.open("LHLO client.test")
        #expect(lmtp.reply("HELP")?.texts[1].hasPrefix("LHLO STARTTLS AUTH MAIL") == true)
        let lhlo = CommandTable.spec(.lhlo)
        #expect(lmtp.reply("HELP lhlo")?.texts == [lhlo.syntax, "\(lhlo.summary) (\(lhlo.reference))"])
        #expect(lmtp.codes("HELP EHLO") == [504])
    }
}
