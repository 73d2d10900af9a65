import Foundation

/// How much explanation follows each reply (`--explain beginner|full|brief|off`).
///
/// `ehlo --practice` starts with `beginner`, every other console with `full` (RFC titles for
/// people who know SMTP); `/explain` and `ehlo explain` show everything the rows hold.
public enum ExplainLevel: String, Sendable, CaseIterable {
    /// Each code in plain words with what to do, the recognised cause, the meaning in context and the next steps.
    case beginner
    /// The code's and the enhanced code's RFC titles, the recognised cause, the meaning in context and the next steps.
    case full
    /// Only the recognised cause, the meaning in context and the next steps.
    case brief
    /// Nothing but the server's lines (and warnings).
    case off
}

/// Turns a reply and its interpretation into the lines the user sees.
///
///     S: 550 5.7.1 Relaying denied
///     #  550 Requested action not taken: mailbox unavailable or rejected by policy (RFC 5321 §4.2.3)
///     #  5.7.1 Delivery not authorized, message refused (RFC 3463 §3.8)
///     #  after MAIL: the transaction did not start; next: MAIL FROM:<…> | RSET | QUIT
public enum ReplyAnnotator {
    /// - Parameter latency: seconds since the exchange was written, shown when given: at the end
    ///   of the line that says what the reply means, or on a line of its own with `--explain off`.
    public static func lines(
        for outcome: SessionStateMachine.ReplyOutcome, level: ExplainLevel, latency: Double? = nil
    ) -> [DisplayLine] {
        let reply = outcome.reply
        var lines = reply.lines.map { DisplayLine(.server, $0.visible, replyClass: reply.replyClass) }
        for problem in reply.problems {
            lines.append(DisplayLine(.warning, problem.description))
        }
        lines += outcome.warnings.map { DisplayLine(.warning, $0) }
        let timing = latency.map(Self.latencyText)
        guard level != .off else { return lines + (timing.map { [DisplayLine(.annotation, $0)] } ?? []) }
        switch level {
        case .beginner:
            lines.append(DisplayLine(.annotation, plainCodeLine(reply.code)))
            if let enhanced = reply.enhancedCode {
                lines.append(DisplayLine(.annotation, plainEnhancedLine(enhanced)))
            }
        case .full:
            lines.append(DisplayLine(.annotation, codeLine(reply.code)))
            if let enhanced = reply.enhancedCode {
                lines.append(DisplayLine(.annotation, enhancedLine(enhanced)))
            }
        case .brief, .off:
            break
        }
        lines += ReplyCauseTable.recognise(reply).map { DisplayLine(.annotation, causeLine($0, level: level)) }
        if reply.code == 334, let decoded = decodedChallenge(reply) {
            lines.append(DisplayLine(.annotation, "334 challenge, base64-decoded: \"\(decoded)\""))
        }
        lines += outcome.notes.map { DisplayLine(.annotation, $0) }
        lines.append(DisplayLine(.annotation, contextLine(outcome) + (timing.map { " (\($0))" } ?? "")))
        return lines
    }

    /// `4005 ms`, or `12.3 s` once it is long enough for milliseconds not to matter.
    public static func latencyText(_ seconds: Double) -> String {
        seconds < 10 ? "\(Int((seconds * 1000).rounded())) ms" : String(format: "%.1f s", seconds)
    }

    /// RFC 4954 §4: the text of a 334 is base64; shown decoded (and escaped) when it decodes.
    public static func decodedChallenge(_ reply: SMTPReply) -> String? {
        let text = reply.texts.first?.trimmingSpaces ?? ""
        guard !text.isEmpty, let bytes = Base64.decode(text) else { return nil }
        return VisibleText.escape(bytes)
    }

    /// `550 Requested action not taken: … (RFC 5321 §4.2.3)`
    public static func codeLine(_ code: Int) -> String {
        "\(code) \(ReplyCodeTable.title(code)) (\(ReplyCodeTable.reference(code)))"
    }

    /// `550 means: No, for good: …; read the text …` — the row's plain sentence and its advice.
    public static func plainCodeLine(_ code: Int) -> String {
        guard let row = ReplyCodeTable.row(code) else { return codeLine(code) }
        return "\(code) means: \(row.plain)" + (row.advice.map { " " + $0 } ?? "")
    }

    /// `2.1.5 Recipient accepted: The server will take mail …` — in plain words, read for its class.
    public static func plainEnhancedLine(_ code: EnhancedStatusCode) -> String {
        guard let row = EnhancedStatusTable.row(for: code) else { return enhancedLine(code) }
        return "\(code) \(row.title(statusClass: code.statusClass)): \(row.plainWords(statusClass: code.statusClass))"
    }

    /// `cause: greylisting (RFC 6647 §2): …` — what the reply's text gives away.
    public static func causeLine(_ match: ReplyCauseTable.Match, level: ExplainLevel) -> String {
        let row = match.row
        switch level {
        case .brief: return "cause: \(match.name); \(row.advice)"
        case .beginner, .full, .off: return "cause: \(match.name) (\(row.reference)): \(row.plain) \(row.advice)"
        }
    }

    /// `5.7.1 Delivery not authorized, message refused (RFC 3463 §3.8)`; a success reads as one
    /// (`2.1.5 Recipient accepted`, not the title a failure would carry).
    public static func enhancedLine(_ code: EnhancedStatusCode) -> String {
        if let row = EnhancedStatusTable.row(for: code) {
            return "\(code) \(row.title(statusClass: code.statusClass)) (\(row.reference))"
        }
        let classTitle = EnhancedStatusTable.classRow(code.statusClass)?.title ?? "unknown class"
        let subjectTitle = EnhancedStatusTable.subjectRow(code.subject)?.title ?? "unknown subject"
        return "\(code) not registered: \(classTitle), \(subjectTitle) (RFC 3463 §2)"
    }

    /// `after MAIL: the transaction did not start; next: MAIL FROM:<…> | RSET | QUIT`, or, while
    /// more replies are owed, `…; awaited: RCPT, DATA`.
    public static func contextLine(_ outcome: SessionStateMachine.ReplyOutcome) -> String {
        let tail =
            outcome.stillAwaited.isEmpty
            ? "next: " + outcome.nextSteps.joined(separator: " | ")
            : "awaited: " + outcome.stillAwaited.joined(separator: ", ")
        switch outcome.answered {
        case .greeting where outcome.reply.code == 220:
            return tail
        case .greeting:
            return "greeting: \(outcome.meaning); \(tail)"
        case .some(let source):
            return "after \(outcome.isPipelined ? source.detailedName : source.name): \(outcome.meaning); \(tail)"
        case nil where outcome.reply.problems.contains(.unfinishedReply):
            return "\(outcome.meaning); \(tail)"
        case nil:
            return "unsolicited: \(outcome.meaning); \(tail)"
        }
    }
}
