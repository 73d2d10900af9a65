/// Builds a `HandoutSession` from the lines of a session as they happen: the same
/// `SessionStateMachine` and `ReplyAnnotator` that annotate the console's screen and its
/// transcripts read them, so the class view and a handout say what the console says.
///
/// Two ways in: the lines of a transcript (`lineSent(_:at:)`, `replyReceived(_:at:)`), or what
/// a practice server saw (`bytesReceived(_:at:)`, the raw input of its client, split here into
/// commands, message lines, BDAT octets and answers to 334 challenges, and
/// `replySent(lines:at:)`).
///
/// The same events go to a `LessonProgress` for every built-in lesson (or the lessons given), so
/// a session shows which lesson goals it reached whichever lesson the student follows: the
/// server cannot know which one that is, and a student may well reach goals of several.
///
/// ### Why not show every message line?
/// A projector (and a page) has room for a message's start, not for a 10 MB attachment: after
/// `messageLinesShown` lines of one message the rest is counted, and the step that ends the
/// message says how many were left out. The message itself is in the store, exactly as stored.
///
/// ### Why keep only the first and the last steps?
/// A client may send a million NOOPs, and a session of the class view lives until the server
/// stops. The first `firstStepsKept` steps (how it began) and the last `lastStepsKept` (where it
/// stands) are kept, with one event step between them that says how many are not shown; each
/// step keeps at most `stepOctetsKept` octets of text. Memory per session is bounded whatever
/// the client sends.
public struct SessionAnnotator: Sendable {
    /// The session as shown: the first steps, a step counting those left out, the last steps.
    public var session: HandoutSession {
        guard hiddenSteps > 0 || recorded.steps.count > Self.firstStepsKept + Self.lastStepsKept else {
            return recorded
        }
        var shown = recorded
        let surplus = shown.steps.count - Self.firstStepsKept - Self.lastStepsKept
        shown.steps.removeSubrange(Self.firstStepsKept..<(Self.firstStepsKept + surplus))
        let hidden = hiddenSteps + surplus
        shown.hiddenSteps = hidden
        shown.steps.insert(
            HandoutSession.Step(
                lane: .event, time: nil,
                lines: [
                    "… \(hidden) step\(hidden == 1 ? "" : "s") not shown (the first \(Self.firstStepsKept) "
                        + "and the last \(Self.lastStepsKept) are)"
                ]), at: Self.firstStepsKept)
        return shown
    }
    /// What is kept: the first steps, then up to twice `lastStepsKept` of the latest (trimmed
    /// to `lastStepsKept` in one go when full, so keeping is not a shift of every step each time).
    private var recorded: HandoutSession
    /// Steps dropped from `recorded` since the first ones.
    private var hiddenSteps = 0
    private var machine: SessionStateMachine
    private var replyParser = ReplyParser()
    /// Raw input not yet a complete line (server view).
    private var input: [UInt8] = []
    private var lineNumber = 0
    private var messageLinesSeen = 0
    /// The octets of the BDAT chunk being read so far, while its step is the last.
    private var chunkOctetsShown: Int?
    /// Lines of the message being sent that are counted, not shown.
    private var messageLinesHidden = 0
    /// The client wrote after AUTH before the server answered it: until the server's next reply,
    /// its lines are SASL answers sent ahead of their 334 (a paste, or `nc`), possibly passwords.
    private var isAnsweringAhead = false
    private var lessons: LessonTracker
    /// The lesson events since `takeLessonEvents()`, for an owner that follows a student too.
    private var lessonEvents: [LessonEvent] = []
    public static let messageLinesShown = 30
    public static let firstStepsKept = 100
    public static let lastStepsKept = 200
    /// The most text one step keeps (its lines' UTF-8), the rest counted: an escaped line may be
    /// four times the octets on the wire.
    public static let stepOctetsKept = 4096
    /// A client line longer than this without a line end is taken as a line (RFC 5321
    /// §4.5.3.1.6 allows 1000 octets; the server refuses more anyway).
    static let longestLine = 64 * 1024

    public init(
        _ session: HandoutSession, sessionProtocol: SessionProtocol = .smtp, overTLS: Bool = false,
        lessons: [Lesson] = BuiltInLessons.all
    ) {
        recorded = session
        self.lessons = LessonTracker(lessons: lessons)
        machine = SessionStateMachine(sessionProtocol: sessionProtocol)
        machine.connectionOpened(overTLS: overTLS, at: session.startedAt ?? 0)
        observe(.connected)
        if overTLS { observe(.tlsEstablished) }
    }

    // MARK: Events

    /// A line the client sent (without CRLF), as on the wire: body lines still dot-stuffed.
    public mutating func lineSent(_ octets: [UInt8], at time: Double?) {
        // A recording goes on inside TLS: the handshake the 220 started worked.
        if machine.inputMode == .tlsHandshake { tlsEstablished(at: time) }
        take(octets, at: time ?? 0, isHeld: false)
    }

    /// Bytes the client sent, as a server read them (after TLS, decrypted).
    public mutating func bytesReceived(_ bytes: [UInt8], at time: Double) {
        input += bytes
        var start = 0
        while start < input.count {
            if case .chunk(let remaining, _) = machine.inputMode {
                let count = min(remaining, input.count - start)
                _ = machine.chunkOctetsSent(count)
                // One step per chunk, however many reads bring its octets.
                let octets = (chunkOctetsShown ?? 0) + count
                let step = HandoutSession.Step(lane: .client, time: time, lines: ["[\(octets) octets of BDAT data]"])
                if chunkOctetsShown != nil {
                    recorded.steps[recorded.steps.count - 1] = step
                } else {
                    append(step)
                }
                chunkOctetsShown = remaining == count ? nil : octets
                start += count
                continue
            }
            guard let end = input[start...].firstIndex(of: 0x0A) else {
                guard input.count - start >= Self.longestLine else { break }
                take(Array(input[start...]), at: time, isHeld: true)
                start = input.count
                break
            }
            var line = Array(input[start..<end])
            if line.last == 0x0D { line.removeLast() }
            take(line, at: time, isHeld: true)
            start = end + 1
        }
        input.removeFirst(start)
        machine.exchangesWritten(at: time)
    }

    /// A reply the server sent, line by line as on the wire (without CRLF).
    public mutating func replySent(lines: [String], at time: Double) {
        for line in lines {
            if case .reply(let reply) = replyParser.parse(line: Array(line.utf8)) {
                replyReceived(reply, at: time)
            }
        }
    }

    /// A whole reply, and the lines that explain it.
    public mutating func replyReceived(_ reply: SMTPReply, at time: Double?) {
        isAnsweringAhead = false
        let outcome = machine.replyReceived(reply)
        observe(.replyReceived(reply, answering: outcome.answered))
        let shown = ReplyAnnotator.lines(for: outcome, level: .full)
        if outcome.answered == .greeting, recorded.practiceDomain == nil {
            recorded.practiceDomain = LabMailboxTable.practiceDomain(greeting: reply)
        }
        if case .command(let command) = outcome.answered, reply.code == 250,
            [.ehlo, .helo, .lhlo].contains(command.verb)
        {
            recorded.heloName = VisibleText.escape(command.argument)
        }
        append(
            HandoutSession.Step(
                lane: .server, time: time, lines: shown.filter { $0.kind == .server }.map(\.text), code: reply.code,
                answers: outcome.answered.map { outcome.isPipelined ? $0.detailedName : $0.name },
                notes: shown.filter { $0.kind != .server }))
    }

    /// RFC 3207 §4.2: after the handshake both sides forget what EHLO said.
    public mutating func tlsEstablished(at time: Double?) {
        machine.tlsEstablished()
        observe(.tlsEstablished)
        event("TLS established; the server forgot the EHLO, which is due again (RFC 3207 §4.2)", at: time)
    }

    public mutating func connectionClosed(at time: Double?) {
        let unanswered = machine.connectionClosed()
        observe(.connectionClosed)
        let text =
            unanswered.isEmpty
            ? "connection closed"
            : "connection closed; never answered: " + unanswered.map(\.name).joined(separator: ", ")
        event(text, at: time)
        recorded.endedAt = time
        recorded.isOpen = false
    }

    /// Any other line beside the diagram.
    public mutating func event(_ text: String, at time: Double?) {
        append(HandoutSession.Step(lane: .event, time: time, lines: [text]))
    }

    // MARK: Reading lines

    /// - Parameter isHeld: the line is one of a read's, all written together (`exchangesWritten`).
    private mutating func take(_ octets: [UInt8], at time: Double?, isHeld: Bool) {
        lineNumber += 1
        let visible = VisibleText.escape(octets)
        let mode = machine.inputMode
        let isUserNameAsked = machine.isUserNameAsked
        if !isAnsweringAhead, case .awaitingReply = mode, let last = machine.pending.last {
            if case .command(let command) = last.source { isAnsweringAhead = command.verb == .auth }
            if last.source == .authContinuation { isAnsweringAhead = true }
        }
        let isAnswerAhead = isAnsweringAhead
        var warnings: [DisplayLine] = []
        switch mode {
        case .commands, .awaitingReply:
            guard !isAnswerAhead else { break }
            warnings = machine.warnings(for: SMTPCommand(line: Redactor.redact(command: visible))).map {
                DisplayLine(.warning, $0)
            }
        case .offline, .message, .chunk, .challengeAnswer, .tlsHandshake, .skipping:
            break
        }
        if case .tlsHandshake = mode {
            // RFC 3207 §6: what comes between the 220 and the handshake is not part of the session.
            event("\(octets.count) octets sent before the TLS handshake, discarded (RFC 3207 §6)", at: time)
            return
        }
        // RFC 2920 §3: a command written while an earlier one still waits for its reply.
        let isPipelined = !machine.pending.isEmpty
        switch ReplayPlan.read(octets, sourceLine: lineNumber, at: isHeld ? nil : time, into: &machine) {
        case .command:
            observe(
                .commandSent(
                    SMTPCommand(line: String(decoding: octets, as: UTF8.self)), isPipelined: isPipelined,
                    isComposed: false))
            messageLinesSeen = 0
            messageLinesHidden = 0
            append(
                HandoutSession.Step(
                    lane: .client, time: time,
                    lines: [isAnswerAhead ? Redactor.placeholder : Redactor.redact(command: visible)], notes: warnings))
        case .messageLine:
            observe(.messageLineSent(wire: octets))
            messageLinesSeen += 1
            guard messageLinesSeen <= Self.messageLinesShown, messageLinesHidden == 0 else {
                messageLinesHidden += 1
                return
            }
            if messageLinesSeen > 1, let last = recorded.steps.last, last.lane == .client {
                // The message's step is full: this line and the rest are counted, not kept.
                guard last.lines.reduce(visible.utf8.count, { $0 + $1.utf8.count + 1 }) <= Self.stepOctetsKept
                else {
                    messageLinesHidden += 1
                    return
                }
                recorded.steps[recorded.steps.count - 1].lines.append(visible)
            } else {
                append(HandoutSession.Step(lane: .client, time: time, lines: [visible]))
            }
        case .endOfData:
            let hidden = messageLinesHidden
            messageLinesSeen = 0
            messageLinesHidden = 0
            if hidden > 0 {
                event("\(hidden) more message line\(hidden == 1 ? "" : "s") not shown", at: time)
            }
            append(HandoutSession.Step(lane: .client, time: time, lines: ["."]))
        case .chunk:
            append(HandoutSession.Step(lane: .client, time: time, lines: [visible]))
        case .challengeAnswer:
            observe(.authResponseSent)
            // RFC 4954 §4: an answer may be a secret; "*" cancels and a user name is none.
            let isSecret = !isUserNameAsked && visible != "*"
            append(HandoutSession.Step(lane: .client, time: time, lines: [isSecret ? Redactor.placeholder : visible]))
        }
    }

    /// The events given to the lessons since the last call, in order.
    public mutating func takeLessonEvents() -> [LessonEvent] {
        defer { lessonEvents = [] }
        return lessonEvents
    }

    /// Feeds every lesson; when a goal is reached, the session's lessons say so.
    private mutating func observe(_ event: LessonEvent) {
        lessonEvents.append(event)
        if lessons.record(event) { recorded.lessons = lessons.statuses }
    }

    private mutating func append(_ step: HandoutSession.Step) {
        chunkOctetsShown = nil
        recorded.steps.append(Self.bounded(step))
        let tail = recorded.steps.count - Self.firstStepsKept
        if tail >= 2 * Self.lastStepsKept {
            let surplus = tail - Self.lastStepsKept
            recorded.steps.removeSubrange(Self.firstStepsKept..<(Self.firstStepsKept + surplus))
            hiddenSteps += surplus
        }
    }

    /// The step with its text cut to `stepOctetsKept`: what is cut is counted in its last
    /// line (`… N more octets not shown`).
    static func bounded(_ step: HandoutSession.Step) -> HandoutSession.Step {
        var step = step
        var budget = stepOctetsKept
        for (index, text) in step.lines.enumerated() {
            guard text.utf8.count > budget else {
                budget -= text.utf8.count
                continue
            }
            var kept = ""
            var keptOctets = 0
            for scalar in text.unicodeScalars {
                let size = UTF8.width(scalar)
                guard keptOctets + size <= budget else { break }
                kept.unicodeScalars.append(scalar)
                keptOctets += size
            }
            let cut = step.lines[index...].reduce(0) { $0 + $1.utf8.count + 1 } - 1 - keptOctets
            step.lines.removeSubrange(index...)
            step.lines.append(kept + "… \(cut) more octets not shown")
            break
        }
        return step
    }
}
