/// One thing that happened in an SMTP session, as a lesson's goals see it.
///
/// The events are the exchange on the wire, not the console's view of it, so that the same
/// `LessonProgress` runs on either end: the console feeds what it wrote and what it read; the
/// practice server feeds what it read and what it answered (a class dashboard shows each student's
/// goals from there). Feed them in wire order: a command when its line went out (or came in), a
/// reply when it arrived (or was sent).
///
/// ### Why does a command carry `isPipelined`?
///
/// RFC 2920 §3 pipelining is about time on the wire: a command that goes out before the reply to
/// an earlier one came. The order of events cannot show it on the server's side, which reads one
/// command, answers it, and only then reads the next line it already had in its buffer; so the
/// side that feeds the event says it. The console knows it from its writes, the server from its
/// input buffer.
public enum LessonEvent: Hashable, Sendable {
    /// A connection opened: a new session starts. On an implicit TLS connection (RFC 8314)
    /// `tlsEstablished` follows once the handshake is done.
    case connected
    /// A command line went out.
    ///
    /// - Parameters:
    ///   - isPipelined: it went out while the reply to an earlier command was still owed
    ///     (RFC 2920 §3): written in one write with it, or typed ahead.
    ///   - isComposed: ehlo wrote the line itself for a console command (`/auth`, `/send`,
    ///     `--starttls`) rather than the user typing it. A server cannot tell; it passes false.
    case commandSent(SMTPCommand, isPipelined: Bool, isComposed: Bool)
    /// A reply arrived, answering `answering` (nil: unsolicited, such as a 421 while idle).
    case replyReceived(SMTPReply, answering: ReplySource?)
    /// The TLS handshake completed (after STARTTLS's 220, or at once for implicit TLS).
    case tlsEstablished
    /// A line of a message after DATA's 354, as it went on the wire: dot-stuffed (RFC 5321 §4.5.2),
    /// without its CRLF. Not the final `.`.
    case messageLineSent(wire: [UInt8])
    /// The answer to an AUTH challenge (RFC 4954 §4) went out. Its content never reaches a lesson.
    case authResponseSent
    /// The connection closed (either side).
    case connectionClosed
}

extension LessonEvent {
    /// A command typed by the user, sent alone (the common case in tests and traces).
    public static func sent(_ line: String, pipelined: Bool = false, composed: Bool = false) -> LessonEvent {
        .commandSent(SMTPCommand(line: line), isPipelined: pipelined, isComposed: composed)
    }

    /// A message line as typed: stuffed on the way out, as the console does.
    public static func bodyLine(_ typed: String) -> LessonEvent {
        .messageLineSent(wire: DotStuffing.stuff(Array(typed.utf8)))
    }
}
