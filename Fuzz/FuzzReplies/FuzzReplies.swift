import FuzzSupport
import SMTPCore

/// The server's byte stream through `LineFramer`, `ReplyParser` and the client session, as the
/// console takes it in.
///
/// Invariants: framing the stream whole or cut at arbitrary points gives the same lines and the
/// same replies; every line respects the framer's limit and holds no LF; the lines account for
/// every input octet; a reply never keeps more lines than the parser's cap; the visible form of
/// every line is terminal-safe and unescapes to the line's bytes; nothing the console would show
/// for a reply (server lines, warnings, annotations) holds a control character; the session's
/// kept prediction and queue marks match its queue after every reply.
enum RepliesFuzz {
    /// Sent in turn whenever the session may send a command, so replies meet every state.
    static let commands = [
        "EHLO client.test", "AUTH LOGIN", "MAIL FROM:<a@b.test> SIZE=10", "RCPT TO:<c@d.test>", "DATA", "BDAT 3 LAST",
        "STARTTLS", "AUTH PLAIN", "RSET", "VRFY x", "HELO client.test", "LHLO client.test", "QUIT", "NOOP",
    ]

    /// Each input is framed with the console's limit and with one of 1 to 40 octets (so that
    /// truncation is met), whole and cut into pieces; each framing is parsed with the console's
    /// cap on reply lines and with one of 1 to 4; the console's framing and parse are then shown.
    ///
    /// ### What is not done twice
    /// `parse` is a pure function of the lines, so once the cut stream is known to frame to the
    /// same lines as the whole one, parsing both would compare a result with itself: only the
    /// whole stream's lines are parsed. A reply line is the framed line's bytes, so the visible
    /// form is checked once per framed line (in `checkLines`), not again per parse.
    static func run(_ data: [UInt8]) {
        var random = FuzzRandom(seed: data)
        var console: [Parsed] = []
        for limit in [16 * 1024, random.next(in: 1...40)] {
            let whole = frame([data[...]], limit: limit)
            let split = frame(random.chunks(data), limit: limit)
            Fuzz.check(whole == split, "framing depends on how the stream was cut (limit \(limit))")
            checkLines(whole, limit: limit, input: data)
            for maximumLines in [1000, random.next(in: 1...4)] {
                let replies = parse(whole, maximumLines: maximumLines)
                checkReplies(replies, lines: whole, maximumLines: maximumLines)
                if limit == 16 * 1024, maximumLines == 1000 { console = replies }
            }
        }
        show(console, seed: &random)
    }

    static func frame(_ chunks: [ArraySlice<UInt8>], limit: Int) -> [SMTPLine] {
        var framer = LineFramer(maximumLineLength: limit)
        var lines: [SMTPLine] = []
        for chunk in chunks {
            framer.append(chunk)
            while let line = framer.nextLine() { lines.append(line) }
        }
        if let last = framer.finish() { lines.append(last) }
        Fuzz.check(framer.bufferedByteCount == 0, "bytes left after finish()")
        return lines
    }

    static func checkLines(_ lines: [SMTPLine], limit: Int, input: [UInt8]) {
        var octets = 0
        for (index, line) in lines.enumerated() {
            Fuzz.check(line.bytes.count <= limit, "line of \(line.bytes.count) octets past the limit \(limit)")
            Fuzz.check(!line.bytes.contains(0x0A), "a line holds an LF")
            var dropped = 0
            for case .truncated(let count) in line.problems { dropped += count }
            Fuzz.check(dropped >= 0, "negative dropped count")
            let isLast = index == lines.count - 1
            let ending: Int
            if line.problems.contains(.noLineEnding) {
                Fuzz.check(isLast, "only the last line can lack its line end")
                ending = 0
            } else {
                ending = line.problems.contains(.bareLineFeed) ? 1 : 2
            }
            octets += line.bytes.count + dropped + ending
            Fuzz.check(
                line.problems.allSatisfy { [.bareLineFeed, .noLineEnding].contains($0) || isTruncation($0) },
                "the framer reported a problem that is not about framing: \(line.problems)")
            checkVisible(line.bytes)
        }
        Fuzz.check(octets == input.count, "lines account for \(octets) octets of \(input.count)")
    }

    static func isTruncation(_ problem: ReplyProblem) -> Bool {
        if case .truncated = problem { return true }
        return false
    }

    enum Parsed: Hashable {
        case reply(SMTPReply)
        case malformed(ReplyLine)
        case unfinished(SMTPReply)
    }

    static func parse(_ lines: [SMTPLine], maximumLines: Int) -> [Parsed] {
        var parser = ReplyParser(maximumLines: maximumLines)
        var parsed: [Parsed] = []
        for line in lines {
            switch parser.parse(line: line.bytes, lineProblems: line.problems) {
            case .needMoreLines:
                Fuzz.check(parser.isInsideReply, "needMoreLines outside a reply")
            case .reply(let reply):
                Fuzz.check(!parser.isInsideReply, "a reply ended but the parser is still inside one")
                parsed.append(.reply(reply))
            case .malformedLine(let line, let problems):
                Fuzz.check(problems.contains(.missingCode), "a malformed line without missingCode")
                parsed.append(.malformed(line))
            }
        }
        if let rest = parser.connectionEnded() { parsed.append(.unfinished(rest)) }
        return parsed
    }

    static func checkReplies(_ parsed: [Parsed], lines: [SMTPLine], maximumLines: Int) {
        var accounted = 0
        for item in parsed {
            switch item {
            case .malformed(let line):
                Fuzz.check(line.code == nil, "a line with a code was called malformed")
                accounted += 1
            case .reply(let reply), .unfinished(let reply):
                Fuzz.check(!reply.lines.isEmpty && reply.lines.count <= maximumLines, "\(reply.lines.count) lines kept")
                Fuzz.check((0...999).contains(reply.code), "code \(reply.code)")
                Fuzz.check(reply.lines[0].code == reply.code, "the reply's code is not its first line's")
                var dropped = 0
                for case .tooManyLines(let count) in reply.problems { dropped += count }
                for (index, line) in reply.lines.enumerated() {
                    Fuzz.check(line.code != nil, "a reply line without a code")
                    let isLast = index == reply.lines.count - 1
                    if case .reply = item, isLast, dropped == 0 {
                        Fuzz.check(!line.isContinuation, "a finished reply ends with a continuation line")
                    } else if !isLast {
                        Fuzz.check(line.isContinuation, "a line inside a reply is not a continuation")
                    }
                }
                if case .unfinished = item {
                    // The unfinished reply's drop count is not reported until it ends; count it as kept.
                    accounted += reply.lines.count
                    if reply.lines.count == maximumLines { accounted = -1 }
                } else {
                    accounted += reply.lines.count + dropped
                }
            }
        }
        if accounted >= 0 {
            Fuzz.check(accounted == lines.count, "replies account for \(accounted) of \(lines.count) lines")
        }
    }

    static func checkVisible(_ bytes: [UInt8]) {
        let visible = ReplyLine(bytes: bytes).visible
        Fuzz.check(Fuzz.isTerminalSafe(visible), "visible form is not terminal-safe: \(Array(visible.utf8))")
        Fuzz.check(VisibleText.unescape(visible) == bytes, "the visible form does not unescape to the line")
    }

    /// The replies through the client's session, as the console annotates them.
    static func show(_ parsed: [Parsed], seed random: inout FuzzRandom) {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        var next = random.next(in: 0...(commands.count - 1))
        for case .reply(let reply) in parsed {
            switch session.inputMode {
            case .commands:
                let command = SMTPCommand(line: commands[next % commands.count])
                next += 1
                for warning in session.warnings(for: command) {
                    Fuzz.check(Fuzz.isTerminalSafe(warning), "warning not terminal-safe: \(warning)")
                }
                let actions = session.commandSent(command, at: 0)
                if actions.contains(.readChunk(octets: 3)) { _ = session.chunkOctetsSent(3) }
            case .message: _ = session.endOfDataSent(at: 0)
            case .challengeAnswer: _ = session.authResponseSent(at: 0)
            case .chunk(let remaining, _): _ = session.chunkOctetsSent(remaining)
            case .tlsHandshake: session.tlsEstablished()
            case .offline: session.connectionOpened(at: 0)
            case .awaitingReply, .skipping: break
            }
            let outcome = session.replyReceived(reply)
            Fuzz.check(session.keptViewsAreCurrent, "the session's kept views differ from its queue's")
            // One explain level per reply, from the input's hash: the levels share the server's
            // lines and the warnings, and differ only in the annotations each adds, so over the
            // inputs every reply meets every level; annotating each reply four times made
            // `ReplyCauseTable.recognise` most of the target's time.
            let level = ExplainLevel.allCases[random.next(in: 0...(ExplainLevel.allCases.count - 1))]
            for line in ReplyAnnotator.lines(for: outcome, level: level, latency: 0.25) {
                Fuzz.check(Fuzz.isTerminalSafe(line.text), "\(line.kind) line not terminal-safe: \(line.text)")
            }
            for text in [session.phaseDescription] + session.promptTags + session.nextSteps {
                Fuzz.check(Fuzz.isTerminalSafe(text), "session text not terminal-safe: \(text)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    RepliesFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if EHLO_FUZZING
    @_cdecl("FuzzReplies_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        Fuzz.runLibFuzzer(argc, argv, fuzzTestOneInput)
    }
#else
    @main struct FuzzRepliesMain {
        static func main() {
            Fuzz.replay("FuzzReplies", arguments: Array(CommandLine.arguments.dropFirst()), RepliesFuzz.run)
        }
    }
#endif
