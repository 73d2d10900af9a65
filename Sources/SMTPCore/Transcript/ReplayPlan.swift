/// A recorded session as `ehlo replay` sends it: each client line with what it is, the replies
/// the recording shows for the exchange it opened, and whether the recording waited for them.
///
/// ### Why run a session over the recording?
/// Replies cannot be paired with lines by position in the file: a pipelined group records its
/// commands first and their replies after (RFC 2920), LMTP records several replies to one dot
/// (RFC 2033 §4.2), and a message's lines get no reply at all. The same `SessionStateMachine`
/// that annotated the session when it was recorded reads it back, so each recorded reply goes to
/// the exchange it answered, and replay can compare exchange by exchange.
public struct ReplayPlan: Sendable {
    public struct RecordedReply: Hashable, Sendable {
        public let reply: SMTPReply
        public let sourceLine: Int
    }

    public struct Line: Sendable {
        public enum Kind: Hashable, Sendable {
            case command
            /// A message line, as recorded on the wire: already dot-stuffed; or, with a `run`,
            /// message lines left in the transcript file, read again as they are sent.
            case messageLine
            /// The lone `.` that ends a message.
            case endOfData
            /// Octets of a BDAT chunk.
            case chunk
            /// An answer to a 334 challenge.
            case challengeAnswer
        }

        public let kind: Kind
        /// The octets as recorded (without CRLF); none for a run of message lines.
        public let octets: [UInt8]
        /// Where a run of message lines is in the transcript file.
        public internal(set) var run: MessageRun?
        public let isRedacted: Bool
        public let sourceLine: Int
        /// The recorded replies to the exchange this line opened, in order.
        public internal(set) var replies: [RecordedReply] = []
        /// The recording shows replies before the next client line: they were awaited after this
        /// one. Without, the line was written with the next (a pipelined group, a message).
        public internal(set) var isFollowedByReplies = false

        public var text: String { String(decoding: octets, as: UTF8.self) }
    }

    /// Message lines one after another, left in the transcript file rather than held: a message
    /// of a gigabyte costs a plan no more than one of a line.
    public struct MessageRun: Hashable, Sendable {
        /// The transcript's octets from the first line's start to the last line's LF. Lines between
        /// them that record no step (annotations, events) are read again and record none again.
        public internal(set) var offsets: Range<Int>
        public internal(set) var lineCount: Int
    }

    public struct Session: Sendable {
        /// How it connected, as the header that started it says.
        public let connection: RecordedConnection
        public let sourceLine: Int
        public internal(set) var greeting: [RecordedReply] = []
        public internal(set) var lines: [Line] = []
    }

    public private(set) var sessions: [Session] = []

    /// The number of recorded replies, all sessions together.
    public var replyCount: Int {
        sessions.reduce(0) { $0 + $1.greeting.count + $1.lines.reduce(0) { $0 + $1.replies.count } }
    }

    public init(_ recording: RecordedSession) {
        var builder = Builder(connection: recording.connection)
        for step in recording.steps { builder.add(step) }
        self = builder.plan()
    }

    /// Builds a plan step by step, as a transcript is read: `ehlo replay` reads its file a block
    /// at a time and leaves the message lines in it (`MessageRun`).
    public struct Builder: Sendable {
        private var sessions: [Session] = []
        private var current: Session
        private var machine: SessionStateMachine
        // Where each line of the current session is, by its transcript line (a reply's tag):
        // looked up once per reply, so a recording of many messages is not quadratic.
        private var positions: [Int: Int] = [:]
        /// Nothing is recorded yet, so a header names the first session's connection (as
        /// `RecordedSession.begin(_:sourceLine:)` reads it).
        private var isEmpty = true
        /// The number of client lines added.
        public private(set) var clientLineCount = 0

        public init(connection: RecordedConnection = RecordedConnection(server: nil)) {
            current = Session(connection: connection, sourceLine: 1)
            machine = SessionStateMachine(sessionProtocol: connection.sessionProtocol)
            machine.connectionOpened(at: 0)
        }

        /// Adds a step read from the transcript.
        ///
        /// - Parameter offsets: where a client line is in the transcript file, its LF included:
        ///   given, a message line joins a `MessageRun` instead of being held.
        public mutating func add(_ step: RecordedSession.Step, at offsets: Range<Int>? = nil) {
            switch step {
            case .newSession(let connection, let sourceLine):
                if isEmpty, current.connection.server == nil {
                    self = Builder(connection: connection)
                    return
                }
                isEmpty = false
                sessions.append(current)
                current = Session(connection: connection, sourceLine: sourceLine)
                positions = [:]
                machine = SessionStateMachine(sessionProtocol: connection.sessionProtocol)
                machine.connectionOpened(at: 0)
            case .client(let octets, let isRedacted, let sourceLine):
                isEmpty = false
                clientLineCount += 1
                let kind = ReplayPlan.read(octets, sourceLine: sourceLine, into: &machine)
                if kind == .messageLine, let offsets {
                    addToRun(offsets, sourceLine: sourceLine)
                    return
                }
                positions[sourceLine] = current.lines.count
                current.lines.append(Line(kind: kind, octets: octets, isRedacted: isRedacted, sourceLine: sourceLine))
            case .reply(let reply, let sourceLine):
                isEmpty = false
                let outcome = machine.replyReceived(reply)
                let recorded = RecordedReply(reply: reply, sourceLine: sourceLine)
                if !current.lines.isEmpty { current.lines[current.lines.count - 1].isFollowedByReplies = true }
                if outcome.answered == .greeting {
                    current.greeting.append(recorded)
                } else if let tag = outcome.tag, let index = positions[tag] {
                    current.lines[index].replies.append(recorded)
                } else if !current.lines.isEmpty {
                    // Unsolicited: kept with the line it followed, so a replay still shows it.
                    current.lines[current.lines.count - 1].replies.append(recorded)
                }
            }
        }

        /// Reads one line of a transcript file with `reader`; `offsets` is where it lies, its LF
        /// included. A message line is left in the file, most without being decoded.
        public mutating func read(
            _ line: Substring, number: Int, at offsets: Range<Int>, with reader: inout TranscriptReader.LineByLine
        ) throws(TranscriptReader.ReadError) {
            // What `add(_:at:)` would make of the line's step, as `ReplayPlan.read` classifies it:
            // in a message, any client line but the lone dot is a message line.
            if machine.inputMode == .message, let text = reader.plainClientText(line), text != "." {
                isEmpty = false
                clientLineCount += 1
                addToRun(offsets, sourceLine: number)
                return
            }
            for step in try reader.steps(in: line, number: number) { add(step, at: offsets) }
        }

        /// A message line joins the run before it, unless a reply came between them.
        private mutating func addToRun(_ offsets: Range<Int>, sourceLine: Int) {
            if let last = current.lines.last, !last.isFollowedByReplies, var run = last.run {
                run.offsets = run.offsets.lowerBound..<offsets.upperBound
                run.lineCount += 1
                current.lines[current.lines.count - 1].run = run
                return
            }
            var line = Line(kind: .messageLine, octets: [], isRedacted: false, sourceLine: sourceLine)
            line.run = MessageRun(offsets: offsets, lineCount: 1)
            current.lines.append(line)
        }

        /// The plan of every step added.
        public func plan() -> ReplayPlan {
            var plan = ReplayPlan()
            plan.sessions = sessions + [current]
            return plan
        }
    }

    private init() {}

    /// What a recorded client line was, by the state the recording had reached (also how the
    /// class view reads what a practice server's client sent: `SessionAnnotator`).
    ///
    /// - Parameter time: when it was sent; nil holds it until `exchangesWritten(at:)`.
    static func read(
        _ octets: [UInt8], sourceLine: Int, at time: Double? = 0, into machine: inout SessionStateMachine
    ) -> Line.Kind {
        let text = String(decoding: octets, as: UTF8.self)
        if machine.inputMode == .tlsHandshake {
            // The recording goes on inside TLS: the handshake the 220 started worked.
            machine.tlsEstablished()
        }
        switch machine.inputMode {
        case .message:
            guard text == "." else { return .messageLine }
            _ = machine.endOfDataSent(at: time, tag: sourceLine)
            return .endOfData
        case .chunk:
            _ = machine.chunkOctetsSent(octets.count + 2)
            return .chunk
        case .challengeAnswer:
            _ = machine.authResponseSent(at: time, tag: sourceLine)
            return .challengeAnswer
        case .offline, .commands, .awaitingReply, .tlsHandshake, .skipping:
            _ = machine.commandSent(SMTPCommand(line: text), at: time, isPipelined: true, tag: sourceLine)
            return .command
        }
    }
}
