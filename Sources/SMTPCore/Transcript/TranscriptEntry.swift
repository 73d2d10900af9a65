/// One event of a recorded session, with the time it happened.
///
/// Times are seconds since 1970 (UTC), given by the caller: the core has no clock.
public struct TranscriptEntry: Sendable {
    public enum Content: Sendable {
        /// A line sent to the server: as it may be shown (secrets redacted) and as it went on the wire.
        case client(shown: String, wire: String)
        /// A reply, with what it answered and the lines that explain it.
        case reply(SMTPSessionReply)
        /// Any other line of the plain form: an annotation, an event or a warning.
        case line(DisplayLine)
    }

    public var time: Double
    public var content: Content

    public init(time: Double, content: Content) {
        self.time = time
        self.content = content
    }
}

/// A reply as the transcript records it.
public struct SMTPSessionReply: Sendable {
    public var outcome: SessionStateMachine.ReplyOutcome
    /// The lines shown for it (server lines, warnings, annotations), in order.
    public var lines: [DisplayLine]
    /// Seconds between the command it answers being sent and the reply's last line arriving.
    public var latency: Double?

    public init(outcome: SessionStateMachine.ReplyOutcome, lines: [DisplayLine], latency: Double?) {
        self.outcome = outcome
        self.lines = lines
        self.latency = latency
    }
}
