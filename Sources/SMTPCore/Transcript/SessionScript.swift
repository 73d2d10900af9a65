/// A session written down as a script (`/save-script FILE`): the lines that were sent, each
/// followed by an `/expect` of the reply it got, runnable again with `ehlo -x FILE`.
///
/// It is the script language of the console: commands as typed, message lines between DATA and
/// the lone `.`, console commands such as `/starttls` and `/auth`. Secrets never go in: an AUTH
/// typed by hand, and the answers to its challenges, become a comment that says how to give
/// them again (`/auth MECH USER`, with `--password-file` or `EHLO_PASSWORD`).
///
/// The lines are held until the console takes them (`takeHeldText()`), so that a session that
/// sends a message of a gigabyte can spool them to a file rather than keep them all in memory.
public struct SessionScript: Sendable {
    /// The lines held, each with its line end: added to in place, so holding a long message
    /// costs no array of lines to join later.
    private var held = ""
    /// The octets of the lines held, each with its line end.
    public var heldOctets: Int { held.utf8.count }
    /// An AUTH typed by hand is under way: its challenges and answers stay out.
    private var isInTypedAUTH = false

    public init() {}

    /// No line is held (lines taken already are not counted).
    public var isEmpty: Bool { held.isEmpty }

    /// A command line that was sent as typed (or as `/starttls` and the like send it).
    public mutating func commandSent(_ line: String) {
        commandSent(SMTPCommand(line: line))
    }

    /// A command that was sent, as the console parsed it.
    public mutating func commandSent(_ command: SMTPCommand) {
        guard command.verb == .auth else {
            add(command.line)
            return
        }
        isInTypedAUTH = true
        let mechanism = command.authMechanism ?? "MECH"
        add(
            "# AUTH \(mechanism) was typed here with its secrets; /auth \(mechanism.lowercased()) USER sends it again")
    }

    /// A console command that does something to the session (`/starttls`, `/auth`, `/send`,
    /// `/connect`, `/pipe`, `/go`): kept as typed.
    public mutating func consoleCommandRun(_ line: String) {
        add(line)
    }

    /// A message line as typed (before dot-stuffing), or the lone `.`.
    public mutating func messageLineSent(_ line: String) {
        add(line)
    }

    /// The last reply of an exchange came (nothing of the session is still awaited): the script
    /// checks its code there.
    public mutating func replyCompleted(_ reply: SMTPReply, answering source: ReplySource?) {
        if isInTypedAUTH {
            guard reply.code != 334 else { return }
            isInTypedAUTH = false
            add("# … and the exchange ended with \(reply.code)")
            return
        }
        guard source != nil, source != .greeting else { return }
        add("/expect \(reply.code)")
    }

    /// The script's text: a header that says where it came from, then the lines held.
    public func text(server: String?, time: Double) -> String {
        Self.header(server: server, time: time) + held
    }

    /// The header of a script: where it came from and how to run it again.
    public static func header(server: String?, time: Double) -> String {
        let header = [
            "# ehlo \(EhloVersion.current) script of a session with \(server ?? "no server"), saved \(RFC3339.format(time))",
            "# run it again: ehlo -x FILE\(server.map { " \($0)" } ?? " HOST")",
        ]
        return text(of: header)
    }

    /// The lines held, as they go in the script after its header and the lines taken before;
    /// none is held after.
    public mutating func takeHeldText() -> String {
        defer { held = "" }
        return held
    }

    private mutating func add(_ line: String) {
        held += line
        held += "\n"
    }

    private static func text(of lines: [String]) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
