/// One SMTP session as a handout and the class view show it: a sequence of steps between the
/// client's lane and the server's, each reply with the lines that explain it.
///
/// It is built by `SessionAnnotator` from a transcript (`ehlo render`) or from what the practice
/// server saw (`ehlo serve --dashboard`); `HandoutRenderer` draws it and its JSON form is the
/// dashboard's API. Secrets are never in it: AUTH lines and the answers to 334 challenges are
/// redacted as in transcripts (`Redactor`).
public struct HandoutSession: Hashable, Sendable {
    /// One arrow of the sequence diagram, or an event beside it.
    public struct Step: Hashable, Sendable {
        public enum Lane: String, Hashable, Sendable {
            /// Client to server: a command, a message line, an answer to a challenge.
            case client
            /// Server to client: a reply.
            case server
            /// Neither: the connection opened, TLS started, lines left out, the connection closed.
            case event
        }

        public var lane: Lane
        /// Seconds since 1970, when known.
        public var time: Double?
        /// The lines on the wire in ehlo's visible form (control characters escaped), secrets redacted.
        public var lines: [String]
        /// A reply's code.
        public var code: Int?
        /// What a reply answers, as the console names it (`MAIL`, `RCPT #2`, `end of data`, `greeting`).
        public var answers: String?
        /// What explains the step: annotations (`#`) and warnings (`!`), in the console's words.
        public var notes: [DisplayLine]

        public init(
            lane: Lane, time: Double?, lines: [String], code: Int? = nil, answers: String? = nil,
            notes: [DisplayLine] = []
        ) {
            self.lane = lane
            self.time = time
            self.lines = lines
            self.code = code
            self.answers = answers
            self.notes = notes
        }
    }

    /// A built-in lesson of which the session reached at least one goal.
    public struct LessonStatus: Hashable, Sendable {
        public struct GoalStatus: Hashable, Sendable {
            public var id: String
            public var say: String
            public var isReached: Bool
        }

        /// Its number in `ehlo --practice --lesson N`.
        public var number: Int
        public var title: String
        public var goals: [GoalStatus]

        public var reachedCount: Int { goals.filter(\.isReached).count }
    }

    /// The session's number (the server's `#N`, or its place in a transcript from 1).
    public var id: Int
    /// Who connected (`127.0.0.1:53012`), when known.
    public var client: String?
    /// The server it talked to (`127.0.0.1:2525`), when known.
    public var server: String?
    public var startedAt: Double?
    public var endedAt: Double?
    /// The name the client gave in EHLO, HELO or LHLO, once it gave one.
    public var heloName: String?
    /// The lab's domain when the greeting is the practice server's (its lab table applies).
    public var practiceDomain: String?
    public var steps: [Step] = []
    /// Steps left out between the first and the last ones kept (a step among `steps` says so
    /// where they were).
    public var hiddenSteps = 0
    /// The connection is still open (a live session of the class view).
    public var isOpen = true
    /// The built-in lessons this session reached goals of, in lesson order.
    public var lessons: [LessonStatus] = []

    public init(id: Int, client: String? = nil, server: String? = nil, startedAt: Double? = nil) {
        self.id = id
        self.client = client
        self.server = server
        self.startedAt = startedAt
    }

    /// The codes of the replies, in order.
    public var replyCodes: [Int] { steps.compactMap(\.code) }
}
