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
            /// A message line, as recorded on the wire: already dot-stuffed.
            case messageLine
            /// The lone `.` that ends a message.
            case endOfData
            /// Octets of a BDAT chunk.
            case chunk
            /// An answer to a 334 challenge.
            case challengeAnswer
        }

        public let kind: Kind
        /// The octets as recorded (without CRLF).
        public let octets: [UInt8]
        public let isRedacted: Bool
        public let sourceLine: Int
        /// The recorded replies to the exchange this line opened, in order.
        public internal(set) var replies: [RecordedReply] = []
        /// The recording shows replies before the next client line: they were awaited after this
        /// one. Without, the line was written with the next (a pipelined group, a message).
        public internal(set) var isFollowedByReplies = false

        public var text: String { String(decoding: octets, as: UTF8.self) }
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
        var machine = SessionStateMachine(sessionProtocol: recording.connection.sessionProtocol)
        var current = Session(connection: recording.connection, sourceLine: 1)
        // Where each line of the current session is, by its transcript line (a reply's tag):
        // looked up once per reply, so a recording of many messages is not quadratic.
        var positions: [Int: Int] = [:]
        machine.connectionOpened(at: 0)
        for step in recording.steps {
            switch step {
            case .newSession(let connection, let sourceLine):
                sessions.append(current)
                current = Session(connection: connection, sourceLine: sourceLine)
                positions = [:]
                machine = SessionStateMachine(sessionProtocol: connection.sessionProtocol)
                machine.connectionOpened(at: 0)
            case .client(let octets, let isRedacted, let sourceLine):
                let kind = Self.read(octets, sourceLine: sourceLine, into: &machine)
                positions[sourceLine] = current.lines.count
                current.lines.append(Line(kind: kind, octets: octets, isRedacted: isRedacted, sourceLine: sourceLine))
            case .reply(let reply, let sourceLine):
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
        sessions.append(current)
    }

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
