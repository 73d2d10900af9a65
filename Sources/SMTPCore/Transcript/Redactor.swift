/// Keeps secrets off the screen, out of history and out of transcripts.
///
/// RFC 4954: `AUTH PLAIN <initial-response>` carries the password in base64, and every answer
/// to a 334 challenge may be a secret. Only the mechanism name is kept, except for AUTH LOGIN,
/// whose initial response is the user name (draft-murchison-sasl-login §2.1): no secret, and
/// an admin needs to see which user was tried.
public enum Redactor {
    public static let placeholder = "<redacted>"

    /// The command as it may be shown or stored: AUTH keeps its mechanism, drops the rest.
    public static func redact(command line: String) -> String {
        redact(SMTPCommand(line: line))
    }

    /// The same for a command already taken apart.
    public static func redact(_ command: SMTPCommand) -> String {
        guard command.verb == .auth else { return command.line }
        let words = SMTPCommand.blankSeparatedWords(of: command.argument, maxSplits: 1)
        guard words.count > 1, command.authMechanism != "LOGIN" else { return command.line }
        return "\(command.verbText) \(words[0]) \(placeholder)"
    }

    /// Whether the line may go into the history file as typed.
    public static func isSafeForHistory(_ line: String) -> Bool {
        redact(command: line) == line
    }
}
