/// The console's own `/` commands: one row each, read by `/help`, completion and the man page.
public enum ConsoleCommandTable {
    public enum ArgumentKind: Hashable, Sendable {
        case none
        case filePath
        case helpTopic
        case code
        case host
        case choice([String])
        case free
    }

    public struct Row: Sendable {
        public let name: String
        public let arguments: String
        public let summary: String
        public let argument: ArgumentKind
        /// Whether the command may run in script mode too (all may, except those that need a person).
        public let isInteractiveOnly: Bool

        public init(
            _ name: String, _ arguments: String, _ summary: String, argument: ArgumentKind = .none,
            isInteractiveOnly: Bool = false
        ) {
            self.name = name
            self.arguments = arguments
            self.summary = summary
            self.argument = argument
            self.isInteractiveOnly = isInteractiveOnly
        }

        public var usage: String { arguments.isEmpty ? "/\(name)" : "/\(name) \(arguments)" }
    }

    public static let rows: [Row] = [
        Row(
            "help", "[topic]", "Show help: SMTP commands, console commands, codes, keys, or one command.",
            argument: .helpTopic),
        Row(
            "explain", "CODE|LINE", "Explain a reply code (550), an enhanced code (5.1.1) or a reply line.",
            argument: .code),
        Row("state", "", "Show where the session stands: phase, server, TLS, sender, recipients."),
        Row("next", "", "Show the commands that are legal now."),
        Row("caps", "", "Show the extensions the last EHLO advertised, with what each allows."),
        Row(
            "connect", "HOST[:PORT]|SOCKET|@PROFILE",
            "Connect to a server, to a UNIX socket by its path, or to a profile of the config file (closing the current connection).",
            argument: .host),
        Row("disconnect", "", "Close the connection at once, without QUIT (type QUIT for a polite end)."),
        Row("starttls", "", "Send STARTTLS and, on 220, start the TLS handshake; EHLO is due again after it."),
        Row("cert", "[pem]", "Show the server's certificate chain (pem: in PEM form).", argument: .choice(["pem"])),
        Row(
            "auth", "MECH [USER]",
            "Authenticate: plain, login, cram-md5 or xoauth2; the password is read without echo.",
            argument: .choice(["plain", "login", "cram-md5", "xoauth2"])),
        Row(
            "b64", "encode|decode TEXT", "Base64-encode or decode TEXT, for typing AUTH exchanges by hand.",
            argument: .choice(["encode", "decode"])),
        Row(
            "send", "FILE", "Send DATA, then FILE as the message (dot-stuffed), then the final dot.",
            argument: .filePath),
        Row(
            "record", "FILE|off", "Record the session to FILE (JSON Lines if it ends in .jsonl, else text); off stops.",
            argument: .filePath),
        Row(
            "pipe", "",
            "Start a pipelined group: the commands typed next are held and sent in one write (RFC 2920)."),
        Row("go", "", "Send the pipelined group (an empty line does too), and wait for every reply."),
        Row(
            "expect", "CODE", "Check the last reply's code: 250, 2xx, 25x or an enhanced code like 5.1.1.",
            argument: .code),
        Row("quit", "", "Say QUIT to the server if connected, then leave ehlo."),
    ]

    public static func row(_ name: String) -> Row? {
        rows.first { $0.name == name.lowercased() }
    }

    /// Help topics besides the SMTP verbs and the console commands.
    public static let topics = [
        "commands", "console", "codes", "enhanced", "extensions", "keys", "script", "pipelining", "lab",
    ]
}
