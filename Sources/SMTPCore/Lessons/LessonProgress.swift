/// Where a student stands in a lesson: which goals are reached, decided from the session's events.
///
/// Pure: events in (`record(_:)`), the goals reached by each event out. The console feeds it what
/// it wrote and read; the practice server can feed it what it read and answered (see
/// `LessonEvent`). It follows just enough of the session to judge the goals fairly:
///
/// ```
///   connected ──▶ session ──250 EHLO/HELO──▶ greeted ──250 MAIL──▶ transaction
///      ▲            ▲  │                       ▲  ▲                    │
///      │            │  └─ TLS established ─────┼──┼── (forgets all, ───┤
///   closed          │     RFC 3207 §4.2)       │  │    back to session)│
///                   └──────────────────────────┘  └─ 250 RSET, reply ──┘
///                                                    to end of data, EHLO
/// ```
///
/// A goal never ticks on a wrong move: a reply goal names what the reply must answer, a `before`
/// condition is judged against the replies that had come when the command was answered, a
/// dot-stuffed line is judged as it went on the wire, and a pipelined group counts only if its
/// commands went out before the replies to the earlier ones.
public struct LessonProgress: Sendable {
    public let lesson: Lesson
    /// Indices into `lesson.goals` of the goals reached, in the order they were reached.
    public private(set) var reached: [Int] = []
    /// How many hints `/hint` showed, per goal index.
    public private(set) var hintsShown: [Int: Int] = [:]

    private var isOverTLS = false
    /// Verbs with a positive reply in their scope (see `CommandMatch.before`).
    private var accepted: Set<SMTPVerb> = []
    /// Recipients accepted at RCPT in this transaction.
    private var acceptedRecipients = 0
    /// BDAT chunks accepted in this transaction.
    private var acceptedChunks = 0
    /// The AUTH exchange under way: its mechanism and whether ehlo wrote it.
    private var auth: (mechanism: String, isComposed: Bool)?
    /// Commands written back to back, each (after the first) before the earlier replies came,
    /// with the code each got; the oldest group first. Groups fully answered are dropped when a
    /// command that is not pipelined starts the next one.
    /// Kept only by a lesson with a `pipelined` goal.
    private var groups: [PipelinedGroup] = []
    private let hasPipelinedGoal: Bool

    private struct PipelinedCommand: Sendable {
        let command: SMTPCommand
        var code: Int?
    }

    /// A group's commands; the replies come in their order (RFC 2920 §3.1), so the next one
    /// answers the first open command, and a group of thousands (a flood of NOOPs in one write)
    /// is not searched from its start for each reply.
    private struct PipelinedGroup: Sendable {
        var commands: [PipelinedCommand]
        /// Where the search for the command a reply answers starts: every earlier one is answered.
        var firstOpen = 0
        var answered = 0

        init(_ command: SMTPCommand) { commands = [PipelinedCommand(command: command)] }

        var isAnswered: Bool { answered == commands.count }

        /// Gives the first open `command` its reply's code; false when none is open.
        mutating func answer(_ command: SMTPCommand, code: Int) -> Bool {
            guard let entry = commands[firstOpen...].firstIndex(where: { $0.code == nil && $0.command == command })
            else { return false }
            commands[entry].code = code
            answered += 1
            while firstOpen < commands.count, commands[firstOpen].code != nil { firstOpen += 1 }
            return true
        }
    }

    public init(lesson: Lesson) {
        self.lesson = lesson
        hasPipelinedGoal = lesson.goals.contains { goal in
            if case .pipelined = goal.check { return true }
            return false
        }
    }

    public var isComplete: Bool { reached.count == lesson.goals.count }

    public func isReached(_ index: Int) -> Bool { reached.contains(index) }

    /// Takes one event; returns the indices of the goals it made reached, in the lesson's order.
    public mutating func record(_ event: LessonEvent) -> [Int] {
        var candidates: [Int] = []
        switch event {
        case .connected:
            resetSession()
            isOverTLS = false
        case .tlsEstablished:
            // After STARTTLS's 220, or at once on an implicit TLS connection (RFC 8314 §3.3).
            let route: GoalCheck.TLSRoute = accepted.contains(.starttls) ? .starttls : .implicit
            // RFC 3207 §4.2: both sides forget everything learnt before the handshake.
            resetSession()
            isOverTLS = true
            candidates = matching { check in
                guard case .tls(let via) = check else { return false }
                return via == .any || via == route
            }
        case .connectionClosed:
            resetSession()
            isOverTLS = false
        case .messageLineSent(let wire):
            // RFC 5321 §4.5.2: a line starting with a period goes out with one more in front.
            if wire.count >= 2, wire[0] == UInt8(ascii: "."), wire[1] == UInt8(ascii: ".") {
                candidates = matching { $0 == .dotLine }
            }
        case .authResponseSent:
            break
        case .commandSent(let command, let isPipelined, let isComposed):
            candidates = commandSent(command, isPipelined: isPipelined, isComposed: isComposed)
        case .replyReceived(let reply, let source):
            candidates = replyReceived(reply, answering: source)
        }
        var newlyReached: [Int] = []
        // A goal that requires another reached by the same event follows it.
        var progressed = true
        while progressed {
            progressed = false
            for index in candidates where !reached.contains(index) && isUnlocked(index) {
                reached.append(index)
                newlyReached.append(index)
                progressed = true
            }
        }
        return newlyReached.sorted()
    }

    /// The next hint: for the first goal not reached, one more than last time (the last one again
    /// once all are shown). Nil when every goal is reached.
    public mutating func nextHint() -> (goal: Int, hint: String?, number: Int, count: Int)? {
        guard
            let index = lesson.goals.indices.first(where: { !reached.contains($0) && isUnlocked($0) })
                ?? lesson.goals.indices.first(where: { !reached.contains($0) })
        else { return nil }
        let hints = lesson.goals[index].hints
        guard !hints.isEmpty else { return (index, nil, 0, 0) }
        let shown = min((hintsShown[index] ?? 0) + 1, hints.count)
        hintsShown[index] = shown
        return (index, hints[shown - 1], shown, hints.count)
    }

    public var hintsUsed: Int { hintsShown.values.reduce(0, +) }

    // MARK: Events

    private mutating func commandSent(_ command: SMTPCommand, isPipelined: Bool, isComposed: Bool) -> [Int] {
        if !hasPipelinedGoal {
        } else if isPipelined, !groups.isEmpty {
            // It joins the group even when the group's replies are all in by now: the server
            // answers a buffered command before it reads the next one (see `LessonEvent`).
            groups[groups.count - 1].commands.append(PipelinedCommand(command: command))
        } else {
            groups.removeAll(where: \.isAnswered)
            groups.append(PipelinedGroup(command))
        }
        if command.verb == .auth, let mechanism = command.authMechanism {
            auth = (mechanism, isComposed)
        }
        let source = ReplySource.command(command)
        return matching { check in
            guard case .command(let match) = check else { return false }
            return matches(match, source: source)
        }
    }

    private mutating func replyReceived(_ reply: SMTPReply, answering source: ReplySource?) -> [Int] {
        // Judged against the replies before this one: the state as the server saw it.
        var candidates = matching { check in
            guard case .reply(let match) = check, match.code.matches(reply.code) else { return false }
            if let prefix = match.enhancedPrefix {
                guard let enhanced = reply.enhancedCode, Self.enhanced(enhanced, hasPrefix: prefix) else {
                    return false
                }
            }
            if let words = match.text {
                guard reply.texts.contains(where: { $0.lowercased().contains(words.lowercased()) }) else {
                    return false
                }
            }
            guard let source else { return match.answering.target == .any && match.answering.argument == nil }
            return matches(match.answering, source: source)
        }
        guard let source else { return candidates }
        let isPositive = (200...399).contains(reply.code)
        candidates += pipelinedGroups(answered: source, code: reply.code)
        candidates += authentication(answered: source, code: reply.code)
        switch source {
        case .greeting:
            break
        case .endOfData:
            candidates += messageEnded(code: reply.code, via: .data)
        case .authContinuation:
            break
        case .command(let command):
            guard let verb = command.verb else { break }
            if verb == .bdat, command.bdatChunk?.isLast == true {
                if reply.code / 100 == 2 { acceptedChunks += 1 }
                candidates += messageEnded(code: reply.code, via: .bdat)
                break
            }
            guard isPositive else { break }
            switch verb {
            case .ehlo, .helo, .lhlo, .rset:
                // RFC 5321 §4.1.4: EHLO and RSET clear any transaction.
                resetTransaction()
            case .rcpt:
                acceptedRecipients += 1
            case .bdat:
                acceptedChunks += 1
            case .mail, .data, .vrfy, .expn, .help, .noop, .quit, .starttls, .auth, .etrn:
                break
            }
            accepted.insert(verb)
        }
        return candidates
    }

    private mutating func messageEnded(code: Int, via route: GoalCheck.MessageRoute) -> [Int] {
        let recipients = acceptedRecipients
        let chunks = acceptedChunks
        // RFC 5321 §4.1.1.4 (and RFC 3030 §2 for BDAT LAST): the transaction ends, whatever the reply.
        resetTransaction()
        guard code / 100 == 2 else { return [] }
        return matching { check in
            switch check {
            case .message(let minimum, let via):
                return recipients >= minimum && (via == .any || via == route)
            case .bdatLast(let minimum):
                return route == .bdat && chunks >= minimum
            case .reply, .command, .dotLine, .tls, .auth, .pipelined:
                return false
            }
        }
    }

    private mutating func authentication(answered source: ReplySource, code: Int) -> [Int] {
        guard let current = auth else { return [] }
        switch source {
        case .command(let command) where command.verb == .auth:
            break
        case .authContinuation:
            break
        case .greeting, .endOfData, .command:
            return []
        }
        // 334 asks for more (RFC 4954 §4); anything else ends the exchange.
        guard code != 334 else { return [] }
        auth = nil
        guard code == 235 else { return [] }
        return matching { check in
            guard case .auth(let mechanism, let typedByHand) = check else { return false }
            return (mechanism == nil || mechanism == current.mechanism) && !(typedByHand && current.isComposed)
        }
    }

    private mutating func pipelinedGroups(answered source: ReplySource, code: Int) -> [Int] {
        guard case .command(let command) = source else { return [] }
        for groupIndex in groups.indices {
            guard groups[groupIndex].answer(command, code: code) else { continue }
            guard groups[groupIndex].isAnswered else { return [] }
            let group = groups[groupIndex].commands
            let isPositive = group.allSatisfy { (200...399).contains($0.code ?? 0) }
            guard group.count > 1, isPositive else { return [] }
            let verbs = group.compactMap(\.command.verb)
            return matching { check in
                guard case .pipelined(let wanted) = check else { return false }
                return Self.isSubsequence(wanted, of: verbs)
            }
        }
        return []
    }

    // MARK: Matching

    private func matches(_ match: CommandMatch, source: ReplySource) -> Bool {
        if let overTLS = match.overTLS, overTLS != isOverTLS { return false }
        if let before = match.before, accepted.contains(before) { return false }
        switch (match.target, source) {
        case (.any, _), (.greeting, .greeting), (.endOfData, .endOfData), (.authResponse, .authContinuation):
            break
        case (.verb(let verb), .command(let command)) where command.verb == verb:
            break
        case (.greeting, _), (.endOfData, _), (.authResponse, _), (.verb, _):
            return false
        }
        if let words = match.argument {
            guard case .command(let command) = source,
                command.argument.lowercased().contains(words.lowercased())
            else { return false }
        }
        return true
    }

    private func matching(_ predicate: (GoalCheck) -> Bool) -> [Int] {
        lesson.goals.indices.filter { !reached.contains($0) && predicate(lesson.goals[$0].check) }
    }

    private func isUnlocked(_ index: Int) -> Bool {
        guard let required = lesson.goals[index].requires else { return true }
        guard let requiredIndex = lesson.goals.firstIndex(where: { $0.id == required }) else { return true }
        return reached.contains(requiredIndex)
    }

    private static func enhanced(_ code: EnhancedStatusCode, hasPrefix prefix: String) -> Bool {
        let text = "\(code.statusClass).\(code.subject).\(code.detail)"
        return text == prefix || text.hasPrefix(prefix + ".")
    }

    private static func isSubsequence(_ wanted: [SMTPVerb], of verbs: [SMTPVerb]) -> Bool {
        var rest = verbs[...]
        for verb in wanted {
            guard let found = rest.firstIndex(of: verb) else { return false }
            rest = rest[(found + 1)...]
        }
        return true
    }

    // MARK: Scopes

    private mutating func resetSession() {
        accepted = []
        auth = nil
        groups = []
        resetTransaction()
    }

    private mutating func resetTransaction() {
        accepted.subtract([.mail, .rcpt, .data, .bdat])
        acceptedRecipients = 0
        acceptedChunks = 0
    }
}
