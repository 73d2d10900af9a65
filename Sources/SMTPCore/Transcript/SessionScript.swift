/// A session written down as a script (`/save-script FILE`): the lines that were sent, each
/// followed by an `/expect` of the reply it got, runnable again with `ehlo -x FILE`.
///
/// It is the script language of the console: commands as typed, message lines between DATA and
/// the lone `.`, console commands such as `/starttls` and `/auth`. Secrets never go in: an AUTH
/// typed by hand, and the answers to its challenges, become a comment that says how to give
/// them again (`/auth MECH USER`, with `--password-file` or `EHLO_PASSWORD`).
public struct SessionScript: Sendable {
    private var lines: [String] = []
    /// An AUTH typed by hand is under way: its challenges and answers stay out.
    private var isInTypedAUTH = false

    public init() {}

    public var isEmpty: Bool { lines.isEmpty }

    /// A command line that was sent as typed (or as `/starttls` and the like send it).
    public mutating func commandSent(_ line: String) {
        let command = SMTPCommand(line: line)
        guard command.verb == .auth else {
            lines.append(line)
            return
        }
        isInTypedAUTH = true
        let mechanism = command.authMechanism ?? "MECH"
        lines.append(
            "# AUTH \(mechanism) was typed here with its secrets; /auth \(mechanism.lowercased()) USER sends it again")
    }

    /// A console command that does something to the session (`/starttls`, `/auth`, `/send`,
    /// `/connect`, `/pipe`, `/go`): kept as typed.
    public mutating func consoleCommandRun(_ line: String) {
        lines.append(line)
    }

    /// A message line as typed (before dot-stuffing), or the lone `.`.
    public mutating func messageLineSent(_ line: String) {
        lines.append(line)
    }

    /// The last reply of an exchange came (nothing of the session is still awaited): the script
    /// checks its code there.
    public mutating func replyCompleted(_ reply: SMTPReply, answering source: ReplySource?) {
        if isInTypedAUTH {
            guard reply.code != 334 else { return }
            isInTypedAUTH = false
            lines.append("# … and the exchange ended with \(reply.code)")
            return
        }
        guard source != nil, source != .greeting else { return }
        lines.append("/expect \(reply.code)")
    }

    /// The script's text: a header that says where it came from, then the lines.
    public func text(server: String?, time: Double) -> String {
        let header = [
            "# ehlo \(EhloVersion.current) script of a session with \(server ?? "no server"), saved \(RFC3339.format(time))",
            "# run it again: ehlo -x FILE\(server.map { " \($0)" } ?? " HOST")",
        ]
        return (header + lines).joined(separator: "\n") + "\n"
    }
}
