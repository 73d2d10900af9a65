/// A lesson: a short text, then goals the student reaches by doing things in a real session.
///
/// Lessons are data (`LessonFile` reads them; the built-in ones are the files in the repository's
/// `lessons/` folder). A goal's check is one of a few kinds, each with parameters, so a teacher
/// writes new lessons without code; `LessonProgress` decides, from the session's events, when
/// each goal is reached.
public struct Lesson: Hashable, Sendable {
    public var title: String
    /// Where the lesson's protocol rules come from: "RFC 5321 §4.5.2".
    public var reference: String
    /// The text shown before the goals, one paragraph per element.
    public var text: [String]
    public var goals: [Goal]
    /// Where it was read from: a built-in file's name or a teacher's path.
    public var source: String

    public init(title: String, reference: String, text: [String], goals: [Goal], source: String) {
        self.title = title
        self.reference = reference
        self.text = text
        self.goals = goals
        self.source = source
    }
}

/// One thing the student is to do.
public struct Goal: Hashable, Sendable {
    /// A short name, unique in its lesson (for `requires` and the dashboard).
    public var id: String
    /// What to do, in a sentence: "Send DATA too early and read the 503".
    public var say: String
    public var check: GoalCheck
    /// Shown one at a time on `/hint`, in order.
    public var hints: [String]
    /// The goal counts only once this other goal of the lesson is reached (a retry after a 450).
    public var requires: String?

    public init(id: String, say: String, check: GoalCheck, hints: [String] = [], requires: String? = nil) {
        self.id = id
        self.say = say
        self.check = check
        self.hints = hints
        self.requires = requires
    }
}

/// How a goal is checked: a kind with its parameters (the `Check:` line of a lesson file).
public enum GoalCheck: Hashable, Sendable {
    /// A reply that matches, to a command that matches.
    case reply(ReplyMatch)
    /// A command that matches, when it goes out.
    case command(CommandMatch)
    /// A message line that starts with a period, stuffed on the wire (RFC 5321 §4.5.2: `..`).
    case dotLine
    /// A TLS session: after STARTTLS's 220 (RFC 3207), by implicit TLS (RFC 8314), or either.
    case tls(via: TLSRoute)
    /// A 235 to AUTH (RFC 4954 §6) with this mechanism (any if nil); `typedByHand`: the AUTH line
    /// and its answers were typed, not written by `/auth`.
    case auth(mechanism: String?, typedByHand: Bool)
    /// These verbs, in this order, each sent before the reply to the one before it came
    /// (RFC 2920 §3), all answered positively.
    case pipelined(verbs: [SMTPVerb])
    /// A message ended by `BDAT … LAST` and accepted with 250, after at least `minimumChunks`
    /// BDAT chunks (RFC 3030 §2).
    case bdatLast(minimumChunks: Int)
    /// A message accepted (250 after the final dot or BDAT LAST) for at least `minimumRecipients`
    /// recipients accepted at RCPT, sent by `via` (RFC 5321 §3.3).
    case message(minimumRecipients: Int, via: MessageRoute)

    public enum TLSRoute: String, Hashable, Sendable, CaseIterable {
        case starttls, implicit, any
    }

    public enum MessageRoute: String, Hashable, Sendable, CaseIterable {
        case data, bdat, any
    }
}

/// What a reply goal looks for in the reply, and in the command it answered.
public struct ReplyMatch: Hashable, Sendable {
    /// "450", "45x", "4xx".
    public var code: CodePattern
    /// A prefix of the enhanced status code: "4.7" matches 4.7.1 (RFC 3463).
    public var enhancedPrefix: String?
    /// Words the reply's text must contain (any line, case-insensitive).
    public var text: String?
    public var answering: CommandMatch

    public init(
        code: CodePattern, enhancedPrefix: String? = nil, text: String? = nil, answering: CommandMatch = .init()
    ) {
        self.code = code
        self.enhancedPrefix = enhancedPrefix
        self.text = text
        self.answering = answering
    }
}

/// What a command must be: its verb (or another reply source), its argument, and when it is sent.
public struct CommandMatch: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        case any
        case greeting
        case verb(SMTPVerb)
        /// The final `.` after DATA (RFC 5321 §4.1.1.4).
        case endOfData
        /// The answer to a 334 challenge (RFC 4954 §4).
        case authResponse
    }

    public var target: Target
    /// Words the command's argument must contain (case-insensitive): "greylist@", "LAST".
    public var argument: String?
    /// The command counts only while this verb has had no positive reply yet in its scope: the
    /// session for EHLO, HELO, LHLO, STARTTLS and AUTH, the mail transaction for MAIL, RCPT, DATA
    /// and BDAT (RFC 5321 §4.1.4, RFC 3207 §4.2).
    public var before: SMTPVerb?
    /// The command counts only over TLS (true), only in the clear (false), or either (nil).
    public var overTLS: Bool?

    public init(target: Target = .any, argument: String? = nil, before: SMTPVerb? = nil, overTLS: Bool? = nil) {
        self.target = target
        self.argument = argument
        self.before = before
        self.overTLS = overTLS
    }
}

/// A reply code with `x` for any digit: "450", "45x", "4xx".
public struct CodePattern: Hashable, Sendable, CustomStringConvertible {
    /// Three characters, each a digit or `x`.
    public let pattern: String

    public init?(_ text: String) {
        let lowered = text.lowercased()
        guard lowered.count == 3, lowered.allSatisfy({ $0 == "x" || $0.isASCIIDigit }),
            let first = lowered.first, ("2"..."5").contains(first)
        else { return nil }
        pattern = lowered
    }

    public func matches(_ code: Int) -> Bool {
        let digits = String(format3: code)
        return zip(pattern, digits).allSatisfy { $0 == "x" || $0 == $1 }
    }

    public var description: String { pattern }
}

extension String {
    fileprivate init(format3 code: Int) {
        let text = String(code)
        self = text.count >= 3 ? text : String(repeating: "0", count: 3 - text.count) + text
    }
}
