import Testing

@testable import SMTPCore

@Suite struct ReplyParserTests {
    private func parse(_ lines: [String]) -> [ReplyParser.Output] {
        var parser = ReplyParser()
        return lines.map { parser.parse(line: Array($0.utf8)) }
    }

    @Test func singleLineReply() {
        let outputs = parse(["250 2.1.0 Sender ok"])
        guard case .reply(let reply) = outputs[0] else {
            Issue.record("expected a reply, got \(outputs)")
            return
        }
        #expect(reply.code == 250)
        #expect(reply.enhancedCode == EnhancedStatusCode(statusClass: 2, subject: 1, detail: 0))
        #expect(reply.texts == ["2.1.0 Sender ok"])
        #expect(reply.problems.isEmpty)
        #expect(!reply.isMultiline)
    }

    @Test func multilineReplyEndsAtTheLineWithASpace() {
        let outputs = parse(["250-mx.test greets you", "250-SIZE 10240000", "250 PIPELINING"])
        #expect(outputs[0] == .needMoreLines)
        #expect(outputs[1] == .needMoreLines)
        guard case .reply(let reply) = outputs[2] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.lines.count == 3)
        #expect(EHLOCapabilities(reply: reply).has("pipelining"))
        #expect(EHLOCapabilities(reply: reply).maximumMessageSize == 10_240_000)
    }

    @Test func codeWithoutTextIsAReply() {
        guard case .reply(let reply) = parse(["250"])[0] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.code == 250)
        #expect(reply.texts == [""])
    }

    @Test func multilineReplyWithMismatchedCodesIsReported() {
        let outputs = parse(["250-first", "251 second"])
        guard case .reply(let reply) = outputs[1] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.code == 250)
        #expect(reply.problems.contains(.mixedCodes(first: 250, other: 251)))
    }

    @Test func lineWithoutCodeIsMalformedAndTheReplyInProgressSurvives() {
        let outputs = parse(["250-one", "garbage here", "250 two"])
        #expect(outputs[1] == .malformedLine(ReplyLine("garbage here"), [.missingCode]))
        guard case .reply(let reply) = outputs[2] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.texts == ["one", "two"])
    }

    @Test func lineOverTheRFCLimitIsFlaggedButKept() {
        let long = "250 " + String(repeating: "a", count: 600)
        guard case .reply(let reply) = parse([long])[0] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.problems == [.lineTooLong(octets: 606)])
        #expect(reply.texts[0].count == 600)
    }

    @Test func lineOfExactly512OctetsWithCRLFIsFine() {
        let line = "250 " + String(repeating: "a", count: 506)
        guard case .reply(let reply) = parse([line])[0] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.problems.isEmpty)
    }

    @Test func codeOutsideTheDefinedClassesIsFlagged() {
        guard case .reply(let reply) = parse(["799 what"])[0] else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.problems == [.undefinedClass(799)])
    }

    @Test func tooManyLinesAreDroppedAndCounted() {
        var parser = ReplyParser(maximumLines: 3)
        for index in 0..<5 {
            #expect(parser.parse(line: Array("250-line \(index)".utf8)) == .needMoreLines)
        }
        guard case .reply(let reply) = parser.parse(line: Array("250 end".utf8)) else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.lines.count == 3)
        #expect(reply.problems == [.tooManyLines(dropped: 3)])
    }

    @Test func problemsStopGrowingPastTheLineCap() {
        var parser = ReplyParser(maximumLines: 2)
        for index in 0..<500 {
            _ = parser.parse(line: Array("250-\(index)".utf8), lineProblems: [.truncated(droppedOctets: index)])
        }
        guard case .reply(let reply) = parser.parse(line: Array("250 end".utf8)) else {
            Issue.record("expected a reply")
            return
        }
        #expect(reply.lines.count == 2)
        #expect(
            reply.problems == [.truncated(droppedOctets: 0), .truncated(droppedOctets: 1), .tooManyLines(dropped: 499)])
    }

    @Test func unfinishedReplyIsReturnedWhenTheConnectionEnds() {
        var parser = ReplyParser()
        _ = parser.parse(line: Array("421-going".utf8))
        #expect(parser.connectionEnded()?.code == 421)
        #expect(parser.connectionEnded() == nil)
    }

    @Test(arguments: [
        ("5.1.1", true), ("2.0.0", true), ("4.7.12", true), ("5.123.456", true),
        ("3.1.1", false), ("5.1", false), ("5.1.1.1", false), ("5.1234.1", false), ("x.1.1", false), ("", false),
    ])
    func enhancedCodeSyntax(text: String, isValid: Bool) {
        #expect((EnhancedStatusCode(text) != nil) == isValid)
    }

    @Test func enhancedCodeIsOnlyTakenFromTheStartOfTheText() {
        #expect(EnhancedStatusCode.leading(in: "5.7.1 Relaying denied") == EnhancedStatusCode("5.7.1"))
        #expect(EnhancedStatusCode.leading(in: "Relaying denied 5.7.1") == nil)
        #expect(EnhancedStatusCode.leading(in: "5.7.1") == EnhancedStatusCode("5.7.1"))
    }
}
