import Testing

@testable import SMTPCore

@Suite struct KnowledgeTableTests {
    /// RFC 5321 §4.2.3's list, plus RFC 3207, RFC 4954 and RFC 7504 codes.
    static let seedCodes = [
        211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 500, 501, 502, 503, 504, 550, 551, 552, 553,
        554, 455, 555,
    ]
    static let extensionCodes = [454, 235, 334, 432, 530, 534, 535, 538, 521, 556]

    @Test(arguments: seedCodes + extensionCodes)
    func everyCodeHasARow(code: Int) {
        #expect(ReplyCodeTable.row(code) != nil, "no row for \(code)")
    }

    @Test func rfc5321ListIsCoveredInFull() {
        #expect(Set(ReplyCodeTable.rfc5321Codes) == Set(Self.seedCodes))
    }

    @Test func codesAreUniqueAndEveryRowCitesItsSource() {
        let codes = ReplyCodeTable.rows.map(\.code)
        #expect(codes.count == Set(codes).count)
        for row in ReplyCodeTable.rows {
            #expect(row.reference.hasPrefix("RFC ") || row.reference.hasPrefix("draft-"), "\(row.code) cites no RFC")
            #expect(!row.title.isEmpty && !row.meaning.isEmpty)
        }
    }

    @Test func everyCommandReplySequenceNamesKnownCodes() {
        let exchanges =
            [CommandTable.greeting, CommandTable.endOfData, CommandTable.authContinuation]
            + CommandTable.commands.map(\.exchange)
        for exchange in exchanges {
            for code in exchange.allCodes + Array(exchange.specific.keys) {
                #expect(ReplyCodeTable.row(code) != nil, "sequence names unknown code \(code)")
            }
        }
    }

    /// RFC 5321 §4.3.2, transcribed independently of the table.
    @Test(arguments: [
        (SMTPVerb.ehlo, [250], [504, 550, 502]),
        (.helo, [250], [504, 550, 502]),
        (.mail, [250], [552, 451, 452, 550, 553, 503, 455, 555]),
        (.rcpt, [250, 251], [550, 551, 552, 553, 450, 451, 452, 503, 455, 555]),
        (.rset, [250], []),
        (.vrfy, [250, 251, 252], [550, 551, 553, 502, 504]),
        (.expn, [250, 252], [550, 500, 502, 504]),
        (.help, [211, 214], [502, 504]),
        (.noop, [250], []),
        (.quit, [221], []),
    ])
    func commandReplySequencesMatchTheRFC(verb: SMTPVerb, success: [Int], failure: [Int]) {
        let exchange = CommandTable.spec(verb).exchange
        #expect(Set(exchange.successCodes) == Set(success))
        #expect(Set(exchange.failureCodes) == Set(failure))
    }

    @Test func dataSequenceMatchesTheRFC() {
        let data = CommandTable.spec(.data).exchange
        #expect(data.intermediateCodes == [354])
        #expect(Set(data.failureCodes) == [503, 554])
        #expect(Set(CommandTable.endOfData.successCodes) == [250])
        #expect(Set(CommandTable.endOfData.failureCodes) == [552, 554, 451, 452, 450, 550])
        #expect(Set(CommandTable.greeting.allCodes) == [220, 554])
    }

    @Test func everyVerbHasExactlyOneRow() {
        for verb in SMTPVerb.allCases {
            #expect(CommandTable.commands.filter { $0.verb == verb }.count == 1, "\(verb)")
        }
    }

    @Test func suggestedCommandsAreLegal() {
        for spec in CommandTable.commands {
            #expect(spec.suggestedIn.isSubset(of: spec.legalIn), "\(spec.verb) suggested where it is illegal")
        }
    }

    @Test func timeoutsAreRFC5321Defaults() {
        #expect(CommandTable.greeting.timeout == 300)
        #expect(CommandTable.spec(.mail).exchange.timeout == 300)
        #expect(CommandTable.spec(.rcpt).exchange.timeout == 300)
        #expect(CommandTable.spec(.data).exchange.timeout == 120)
        #expect(CommandTable.endOfData.timeout == 600)
    }

    @Test func enhancedCodeRowsAreUniqueAndCoverTheRegistry() {
        let keys = EnhancedStatusTable.rows.map { "\($0.subject).\($0.detail)" }
        #expect(keys.count == Set(keys).count)
        // RFC 3463 §3.1–§3.8 and later registrations: every detail up to the highest registered.
        let highest = [0: 0, 1: 10, 2: 4, 3: 6, 4: 7, 5: 6, 6: 10, 7: 30]
        for (subject, last) in highest {
            for detail in 0...last {
                #expect(
                    EnhancedStatusTable.row(for: EnhancedStatusCode(statusClass: 5, subject: subject, detail: detail))
                        != nil,
                    "X.\(subject).\(detail) has no row")
            }
        }
        #expect(EnhancedStatusTable.classRows.map(\.statusClass) == [2, 4, 5])
        #expect(EnhancedStatusTable.subjectRows.map(\.subject) == Array(0...7))
    }

    @Test func everyConsoleCommandHasHelp() {
        for row in ConsoleCommandTable.rows {
            #expect(HelpRenderer.render(topic: "/" + row.name) != nil)
        }
        for verb in SMTPVerb.allCases {
            #expect(HelpRenderer.render(topic: verb.rawValue.lowercased())?.first == CommandTable.spec(verb).syntax)
        }
        for topic in ConsoleCommandTable.topics {
            #expect(HelpRenderer.render(topic: topic) != nil, "/help \(topic)")
        }
    }
}
