import Testing

@testable import SMTPCore

/// `ehlo replay` reads a transcript line by line and leaves its message lines in the file.
@Suite struct ReplayPlanTests {
    /// A recorded message, with a header line and an annotation, as ehlo writes them.
    static let transcript = """
        *  ehlo 1.0 transcript of mx.test:25, started 2026-11-18T11:06:40.000Z, secrets redacted
        S: 220 mx.test ESMTP
        C: EHLO client.test
        S: 250 mx.test
        C: MAIL FROM:<a@client.test>
        S: 250 ok
        C: RCPT TO:<b@mx.test>
        S: 250 ok
        C: DATA
        S: 354 go ahead
        C: Subject: one
        #  a note between the message's lines
        C: body
        C: ..stuffed
        C: .
        S: 250 2.0.0 queued
        C: QUIT
        S: 221 bye
        """

    /// The transcript's lines with the offsets each takes in the file, LF included.
    static func linesWithOffsets(_ text: String) -> [(Substring, Range<Int>)] {
        var offset = 0
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            defer { offset += line.utf8.count + 1 }
            return (line, offset..<(offset + line.utf8.count + 1))
        }
    }

    @Test func readingLineByLineFindsTheStepsOfTheWholeText() throws {
        var reader = TranscriptReader.LineByLine()
        var session = RecordedSession(steps: [])
        for (number, (line, _)) in Self.linesWithOffsets(Self.transcript).enumerated() {
            for step in try reader.steps(in: line, number: number + 1) { session.append(step) }
        }
        let whole = try TranscriptReader.read(Self.transcript)
        #expect(session.steps == whole.steps)
        #expect(session.connection == whole.connection)
        #expect(session.connection.server == "mx.test:25")
    }

    @Test func messageLinesWithOffsetsBecomeOneRunOfTheFile() throws {
        var reader = TranscriptReader.LineByLine()
        var builder = ReplayPlan.Builder()
        let lines = Self.linesWithOffsets(Self.transcript)
        for (number, (line, offsets)) in lines.enumerated() {
            for step in try reader.steps(in: line, number: number + 1) { builder.add(step, at: offsets) }
        }
        let plan = builder.plan()
        #expect(builder.clientLineCount == 9)
        #expect(plan.sessions.count == 1)
        let session = try #require(plan.sessions.first)
        #expect(session.connection.server == "mx.test:25")
        #expect(
            session.lines.map(\.kind) == [.command, .command, .command, .command, .messageLine, .endOfData, .command])
        let run = try #require(session.lines[4].run)
        #expect(session.lines[4].sourceLine == 11)
        #expect(run.lineCount == 3)
        #expect(run.offsets == lines[10].1.lowerBound..<lines[13].1.upperBound)
        #expect(session.lines[5].replies.map(\.reply.code) == [250])
        // Held in memory, as before, when the transcript was read whole.
        let held = ReplayPlan(try TranscriptReader.read(Self.transcript))
        #expect(held.sessions[0].lines.filter { $0.kind == .messageLine && $0.run == nil }.count == 3)
        #expect(held.replyCount == plan.replyCount)
    }

    @Test func aReplyAmidAMessageEndsItsRun() throws {
        let text = """
            *  ehlo 1.0 transcript of mx.test:25, started 2026-11-18T11:06:40.000Z, secrets redacted
            S: 220 mx.test
            C: EHLO client.test
            S: 250 mx.test
            C: MAIL FROM:<a@client.test>
            S: 250 ok
            C: RCPT TO:<b@mx.test>
            S: 250 ok
            C: DATA
            S: 354 go ahead
            C: one
            S: 421 4.3.2 shutting down
            C: two
            """
        var reader = TranscriptReader.LineByLine()
        var builder = ReplayPlan.Builder()
        for (number, (line, offsets)) in Self.linesWithOffsets(text).enumerated() {
            for step in try reader.steps(in: line, number: number + 1) { builder.add(step, at: offsets) }
        }
        let lines = builder.plan().sessions[0].lines
        #expect(lines.count == 6 && lines[4].run?.lineCount == 1)
        #expect(lines[4].isFollowedByReplies && lines[4].replies.map(\.reply.code) == [421])
        #expect(lines.map(\.sourceLine) == [3, 5, 7, 9, 11, 13])
    }
}
