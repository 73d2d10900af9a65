import SMTPCore
import Testing

@testable import SMTPServer

@Suite("The lab table and the codes the server sends")
struct LabTableTests {
    @Test func everyRFC5321CodeHasARoute() {
        let routed = Set(LabMailboxTable.codeRoutes.map(\.code))
        #expect(Set(ReplyCodeTable.rfc5321Codes).subtracting(routed).isEmpty)
        #expect(LabMailboxTable.codeRoutes.map(\.code) == LabMailboxTable.codeRoutes.map(\.code).sorted())
    }

    @Test func serverMechanismsAndKeywordsAreInTheKnowledgeTables() {
        let known = Set(ExtensionTable.saslMechanisms.map(\.name))
        #expect(Set(SASLExchange.Mechanism.allCases.map(\.rawValue)).isSubset(of: known))
        var session = ServerSessionStateMachine.test()
        session.open()
        for keyword in session.capabilities.map({ String($0.prefix { $0 != " " }) }) {
            #expect(ExtensionTable.row(keyword) != nil, "\(keyword) has no ExtensionTable row")
        }
    }

    @Test func renderedLabNamesEveryMailboxAndCode() {
        let text = LabMailboxTable.render(domain: "lab.test").joined(separator: "\n")
        for row in LabMailboxTable.rows { #expect(text.contains("\(row.localPart)@lab.test")) }
        for code in ReplyCodeTable.rfc5321Codes { #expect(text.contains("  \(code) ")) }
        #expect(!text.contains("DOMAIN"))
    }

    @Test func everyAdvertisedExtensionHasARow() {
        var session = ServerSessionStateMachine.test { $0.allowsPlainAuth = true }
        session.open()
        let keywords = session.capabilities.map { String($0.prefix { $0 != " " }) }
        for keyword in keywords { #expect(ExtensionTable.row(keyword) != nil, "\(keyword)") }
    }

    /// Each route of `codeRoutes`, as lines for a fresh session (after EHLO), and the code the last line gets.
    static let routeScripts: [(code: Int, configure: @Sendable (inout SessionConfiguration) -> Void, lines: [String])] =
        [
            (211, { _ in }, ["HELP STATUS"]),
            (214, { _ in }, ["HELP"]),
            (221, { _ in }, ["QUIT"]),
            (250, { _ in }, ["NOOP"]),
            (251, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<forward@practice.test>"]),
            (252, { _ in }, ["VRFY class"]),
            (354, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<student@practice.test>", "DATA"]),
            (421, { $0.shutdownAfterCommands = 1 }, ["NOOP"]),
            (450, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<busy@practice.test>"]),
            (451, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<broken@practice.test>"]),
            (452, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<full@practice.test>"]),
            (455, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<params@practice.test>"]),
            (500, { _ in }, ["FOO"]),
            (501, { _ in }, ["MAIL FROM:a@b.test"]),
            (502, { _ in }, ["TURN"]),
            (503, { _ in }, ["RCPT TO:<student@practice.test>"]),
            (504, { _ in }, ["HELP FOO"]),
            (550, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<unknown@practice.test>"]),
            (551, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<moved@practice.test>"]),
            (552, { _ in }, ["MAIL FROM:<a@b.test> SIZE=99999999999"]),
            (553, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<badname@practice.test>"]),
            (554, { _ in }, ["MAIL FROM:<a@b.test>", "RCPT TO:<reject@practice.test>", "DATA", "x", "."]),
            (555, { _ in }, ["MAIL FROM:<a@b.test> FOO=BAR"]),
        ]

    @Test func everyRouteProducesItsCodeAndEveryReplyHasARegisteredEnhancedCode() {
        var seen: Set<Int> = [220]  // the greeting, in every session
        for script in Self.routeScripts {
            var session = ServerSessionStateMachine.test(script.configure)
            var replies = session.connectionAccepted().replies
            replies += session.line("EHLO client.test").replies
            var last: [ServerReply] = []
            for line in script.lines {
                last = session.line(line).replies
                replies += last
            }
            #expect(last.last?.code == script.code, "route for \(script.code)")
            seen.insert(script.code)
            for reply in replies {
                guard let code = reply.enhancedCode else {
                    // RFC 2034 §4: only the greeting, EHLO's reply and 3xx go without.
                    #expect([220, 250, 354, 334, 554].contains(reply.code), "\(reply)")
                    continue
                }
                #expect(code.statusClass == reply.code / 100, "\(reply)")
                let row = EnhancedStatusTable.row(for: code)
                #expect(row != nil, "\(code) has no row")
                #expect(row?.classes.contains(code.statusClass) == true, "\(code) in \(reply)")
            }
        }
        #expect(Set(ReplyCodeTable.rfc5321Codes).subtracting(seen).isEmpty)
    }
}
