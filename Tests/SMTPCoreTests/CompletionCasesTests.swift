import Foundation
import Testing

@testable import SMTPCore

/// Runs `Fixtures/completion-cases.txt`: one completion case per line (redis-cli hint-suite style).
@Suite struct CompletionCasesTests {
    struct Case: CustomStringConvertible, Sendable {
        let lineNumber: Int
        let phase: String
        let capabilities: [String]
        let addresses: [String]
        let heloName: String?
        let profileNames: [String]
        let labDomain: String?
        let input: String
        let expected: [String]
        var description: String { "line \(lineNumber): \(phase) \"\(input)\"" }
    }

    static let cases: [Case] = {
        guard
            let url = Bundle.module.url(
                forResource: "completion-cases", withExtension: "txt", subdirectory: "Fixtures"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            parse(String(line), lineNumber: index + 1)
        }
    }()

    static func parse(_ line: String, lineNumber: Int) -> Case? {
        guard !line.hasPrefix("#"), let bar = line.range(of: " | ") else { return nil }
        var phase = ""
        var capabilities: [String] = []
        var addresses: [String] = []
        var heloName: String?
        var profileNames: [String] = []
        var labDomain: String?
        let context = String(line[..<bar.lowerBound])
        // `caps=` values contain spaces ("SIZE 1000"), so split on the keys, not on spaces.
        var rest = Substring(context)
        phase = String(rest.prefix { $0 != " " })
        rest = rest.dropFirst(phase.count).drop { $0 == " " }
        while !rest.isEmpty {
            let key = rest.prefix { $0 != "=" }
            rest = rest.dropFirst(key.count + 1)
            let nextKey =
                ["caps=", "addresses=", "helo=", "profiles=", "lab="].compactMap {
                    rest.range(of: " " + $0)?.lowerBound
                }.min()
                ?? rest.endIndex
            let value = String(rest[..<nextKey])
            rest = rest[nextKey...].drop { $0 == " " }
            let items = value.split(separator: ",").map(String.init)
            switch key {
            case "caps": capabilities = items
            case "addresses": addresses = items
            case "helo": heloName = value
            case "profiles": profileNames = items
            case "lab": labDomain = value
            default: Issue.record("line \(lineNumber): unknown key \(key)")
            }
        }
        let body = line[bar.upperBound...]
        guard let arrow = body.range(of: " -> ") else { return nil }
        let input = String(body[..<arrow.lowerBound].dropFirst().dropLast())
        let output = body[arrow.upperBound...]
        let expected = output == "nothing" ? [] : quotedStrings(String(output))
        return Case(
            lineNumber: lineNumber, phase: phase, capabilities: capabilities, addresses: addresses,
            heloName: heloName, profileNames: profileNames, labDomain: labDomain, input: input, expected: expected)
    }

    static func quotedStrings(_ text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    static func session(for testCase: Case) -> SessionStateMachine {
        var session = SessionStateMachine.helloed(capabilities: testCase.capabilities)
        switch testCase.phase {
        case "greeted", "lmtp-greeted":
            session = SessionStateMachine(sessionProtocol: testCase.phase == "greeted" ? .smtp : .lmtp)
            session.connectionOpened()
            _ = session.replyReceived(SMTPReply(220, "mx.test"))
        case "chunking":
            session.openTransaction(recipients: ["c@d.test"])
            session.send("BDAT 3")
            _ = session.chunkOctetsSent(3)
            _ = session.replyReceived(SMTPReply(250, "ok"))
        case "helloed":
            break
        case "mail", "rcpt":
            session.send("MAIL FROM:<a@b.test>")
            _ = session.replyReceived(SMTPReply(250, "ok"))
            if testCase.phase == "rcpt" {
                session.send("RCPT TO:<c@d.test>")
                _ = session.replyReceived(SMTPReply(250, "ok"))
            }
        default:
            Issue.record("unknown phase \(testCase.phase)")
        }
        return session
    }

    @Test func fixtureIsRead() {
        #expect(Self.cases.count > 30)
    }

    @Test(arguments: cases)
    func completes(_ testCase: Case) {
        let context = CompletionContext(
            session: Self.session(for: testCase), addresses: testCase.addresses, heloName: testCase.heloName,
            profileNames: testCase.profileNames, labDomain: testCase.labDomain)
        #expect(Completer.complete(testCase.input, context: context).candidates == testCase.expected)
    }

    /// Found by FuzzEHLO (Fuzz/corpus/FuzzEHLO/hostile-escapes): completion after `AUTH ` offered
    /// the server's mechanisms as listed, a bidi override and a C1 control among them, to be
    /// typed onto the terminal. Only RFC 4422 §3.1 mechanism names are offered.
    @Test func authCompletionOffersOnlyMechanismNames() {
        let context = CompletionContext(
            session: .helloed(capabilities: ["AUTH PLAIN \u{202E}\u{9B} X-\u{1B}[2J CRAM-MD5 TOO_LONG_A_NAME_FOR_SASL_"]
            ))
        #expect(Completer.complete("AUTH ", context: context).candidates == ["PLAIN ", "CRAM-MD5 "])
    }

    /// Every prefix of long inputs completes without trapping (pgcli's "does not crash" test).
    @Test func everyPrefixIsSafe() {
        let inputs = [
            "MAIL FROM:<alice@example.test> SIZE=1000 BODY=8BITMIME SMTPUTF8",
            "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test",
            "/help rcpt", "/send ./some/file", "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", "  leading spaces", "<<<>>>==",
        ]
        let context = CompletionContext(
            session: .helloed(capabilities: ["SIZE 1000", "DSN", "8BITMIME", "AUTH PLAIN"]))
        for input in inputs {
            for end in 0...input.count {
                _ = Completer.complete(String(input.prefix(end)), context: context)
            }
        }
    }
}

extension CompletionContext {
    init(session: SessionStateMachine) {
        self.init(session: session, addresses: [])
    }
}
