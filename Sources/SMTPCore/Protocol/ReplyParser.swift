/// Assembles reply lines into replies.
///
/// Feed it each line the connection delivers (without the line ending). A line that ends a reply
/// yields `.reply`; a line that continues one yields `.needMoreLines`; a line that cannot belong
/// to any reply yields `.malformedLine`, and a reply in progress stays in progress.
///
/// ### Why be lenient?
/// This parser serves a debugging console. A server that mixes codes in a multiline reply or
/// sends a 700-octet line is exactly what the user is trying to see, so such replies are kept,
/// with their problems listed, instead of being thrown away or ending the session.
public struct ReplyParser: Sendable {
    /// RFC 5321 §4.5.3.1.5: 512 octets including the CRLF.
    public static let maximumLineOctets = 512
    /// Lines kept per reply; a reply longer than this is a server bug or an attack.
    public let maximumLines: Int

    private var inProgress: SMTPReply?
    private var droppedLines = 0

    public init(maximumLines: Int = 1000) {
        self.maximumLines = maximumLines
    }

    public enum Output: Hashable, Sendable {
        case needMoreLines
        case reply(SMTPReply)
        case malformedLine(ReplyLine, [ReplyProblem])
    }

    /// True while a multiline reply has started and not yet ended.
    public var isInsideReply: Bool { inProgress != nil }

    /// - Parameters:
    ///   - line: the line without CR LF.
    ///   - lineProblems: what the line decoder noticed (bare LF, truncation).
    public mutating func parse(line bytes: [UInt8], lineProblems: [ReplyProblem] = []) -> Output {
        let line = ReplyLine(bytes: bytes)
        var problems = lineProblems
        if bytes.count + 2 > Self.maximumLineOctets {
            problems.append(.lineTooLong(octets: bytes.count + 2))
        }
        guard let code = line.code else {
            return .malformedLine(line, problems + [.missingCode])
        }

        var reply: SMTPReply
        if var started = inProgress {
            if code != started.code, !started.problems.contains(.mixedCodes(first: started.code, other: code)) {
                started.problems.append(.mixedCodes(first: started.code, other: code))
            }
            if started.lines.count < maximumLines {
                started.lines.append(line)
                started.problems.append(contentsOf: problems.filter { !started.problems.contains($0) })
            } else {
                // Past the cap only a count is kept: a hostile reply must not grow without bound.
                droppedLines += 1
            }
            reply = started
        } else {
            reply = SMTPReply(
                code: code,
                lines: [line],
                enhancedCode: EnhancedStatusCode.leading(in: line.text),
                problems: problems
            )
            if ReplyClass(code: code) == .unknown {
                reply.problems.append(.undefinedClass(code))
            }
        }

        if line.isContinuation {
            inProgress = reply
            return .needMoreLines
        }
        if droppedLines > 0 {
            reply.problems.append(.tooManyLines(dropped: droppedLines))
        }
        inProgress = nil
        droppedLines = 0
        return .reply(reply)
    }

    /// The connection ended: returns the lines of an unfinished reply, if any, so they are not lost,
    /// flagged `.unfinishedReply` (RFC 5321 §4.2.1: only a line whose code is followed by a space ends one).
    public mutating func connectionEnded() -> SMTPReply? {
        defer {
            inProgress = nil
            droppedLines = 0
        }
        guard var unfinished = inProgress else { return nil }
        if droppedLines > 0 { unfinished.problems.append(.tooManyLines(dropped: droppedLines)) }
        unfinished.problems.append(.unfinishedReply)
        return unfinished
    }
}
