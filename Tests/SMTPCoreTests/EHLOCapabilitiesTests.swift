import Testing

@testable import SMTPCore

/// RFC 5321 §4.1.1.1: `ehlo-line = ehlo-keyword *( SP ehlo-param )`. The words of a line are
/// what lies between its SP octets, as the server cut them.
@Suite struct EHLOCapabilitiesTests {
    private func capabilities(_ lines: [String]) -> EHLOCapabilities {
        var parser = ReplyParser()
        for (index, line) in lines.enumerated() {
            let output = parser.parse(line: Array(line.utf8))
            if index == lines.count - 1, case .reply(let reply) = output { return EHLOCapabilities(reply: reply) }
        }
        Issue.record("\(lines) is not one reply")
        return EHLOCapabilities()
    }

    @Test func postfixsListIsReadWordByWord() {
        let ehlo = capabilities([
            "250-mail.example.com", "250-PIPELINING", "250-SIZE 10240000", "250-AUTH PLAIN LOGIN",
            "250-ENHANCEDSTATUSCODES", "250 CHUNKING",
        ])
        #expect(ehlo.serverName == "mail.example.com")
        #expect(ehlo.capabilities.map(\.keyword) == ["PIPELINING", "SIZE", "AUTH", "ENHANCEDSTATUSCODES", "CHUNKING"])
        #expect(ehlo.authMechanisms == ["PLAIN", "LOGIN"])
        #expect(ehlo.maximumMessageSize == 10_240_000)
    }

    /// Found by FuzzEHLO (`Fuzz/corpus/FuzzEHLO/finding-space-before-a-joiner`): a space and the
    /// combining mark or zero-width joiner after it are one Character, so cutting at the
    /// Character " " kept "PLAIN \u{200D}X" as one mechanism with a space inside.
    @Test(arguments: ["\u{200D}", "\u{301}", "\u{FE0F}"])
    func aSpaceBeforeAJoinerOrAMarkStillSeparatesTheWords(_ mark: String) {
        let ehlo = capabilities(["250-mx.test" + " " + mark + "hello", "250 AUTH PLAIN " + mark + "X"])
        #expect(ehlo.serverName == "mx.test")
        #expect(ehlo.parameters(of: "AUTH") == ["PLAIN", mark + "X"])
        for parameter in ehlo.parameters(of: "AUTH") ?? [] {
            #expect(!parameter.utf8.contains(UInt8(ascii: " ")))
        }
    }
}
