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
        /// It does something to the session (connects, sends), so `/save-script` keeps it.
        public let isSessionStep: Bool

        public init(
            _ name: String, _ arguments: String, _ summary: String, argument: ArgumentKind = .none,
            isInteractiveOnly: Bool = false, isSessionStep: Bool = false
        ) {
            self.name = name
            self.arguments = arguments
            self.summary = summary
            self.argument = argument
            self.isInteractiveOnly = isInteractiveOnly
            self.isSessionStep = isSessionStep
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
        Row("commands", "", "List the console commands and the SMTP commands, one line each."),
        Row(
            "mailbox", "[N]",
            "With ehlo --practice: list the messages the practice server stored; with N, show message N exactly as stored (its Received: header added, dots un-stuffed).",
            argument: .free),
        Row("caps", "", "Show the extensions the last EHLO advertised, with what each allows."),
        Row(
            "dns", "[ADDRESS]",
            "Show the server's reverse DNS (PTR) and whether it leads back to its address (forward-confirmed), or ADDRESS's.",
            argument: .free),
        Row(
            "connect", "HOST[:PORT]|SOCKET|@PROFILE [options]",
            "Connect to a server, to a UNIX socket by its path, or to a profile of the config file (closing the current connection); options as on the command line (/connect --help) apply to this connection only.",
            argument: .host, isSessionStep: true),
        Row(
            "disconnect", "", "Close the connection at once, without QUIT (type QUIT for a polite end).",
            isSessionStep: true),
        Row(
            "starttls", "", "Send STARTTLS and, on 220, start the TLS handshake; EHLO is due again after it.",
            isSessionStep: true),
        Row("cert", "[pem]", "Show the server's certificate chain (pem: in PEM form).", argument: .choice(["pem"])),
        Row(
            "auth", "MECH [USER]",
            "Authenticate: plain, login, cram-md5 or xoauth2; the password is read without echo.",
            argument: .choice(["plain", "login", "cram-md5", "xoauth2"]), isSessionStep: true),
        Row(
            "b64", "encode|decode TEXT", "Base64-encode or decode TEXT, for typing AUTH exchanges by hand.",
            argument: .choice(["encode", "decode"])),
        Row(
            "send", "FILE", "Send DATA, then FILE as the message (dot-stuffed), then the final dot.",
            argument: .filePath, isSessionStep: true),
        Row(
            "record", "FILE|off", "Record the session to FILE (JSON Lines if it ends in .jsonl, else text); off stops.",
            argument: .filePath),
        Row(
            "pipe", "",
            "Start a pipelined group: the commands typed next are held and sent in one write (RFC 2920).",
            isSessionStep: true),
        Row(
            "go", "", "Send the pipelined group (an empty line does too), and wait for every reply.",
            isSessionStep: true),
        Row(
            "save-script", "FILE",
            "Write this session's commands, each with an /expect of its reply, as a script for ehlo -x FILE.",
            argument: .filePath),
        Row(
            "expect", "CODE", "Check the last reply's code: 250, 2xx, 25x or an enhanced code like 5.1.1.",
            argument: .code),
        Row(
            "timing", "on|off", "Show each reply's latency (on at a terminal), or stop showing it.",
            argument: .choice(["on", "off"])),
        Row(
            "lesson", "[N|FILE|off]",
            "List the lessons, start lesson N or the lesson in FILE (goals checked live, a ✔ as each is reached), or end the one running with its summary.",
            argument: .filePath),
        Row("hint", "", "Show a hint for the lesson's next goal; one more each time."),
        Row("quit", "", "Say QUIT to the server if connected, then leave ehlo."),
    ]

    public static func row(_ name: String) -> Row? {
        rows.first { $0.name == name.lowercased() }
    }

    /// Help topics besides the SMTP verbs and the console commands.
    public static let topics = [
        "commands", "console", "codes", "enhanced", "causes", "extensions", "keys", "script", "pipelining", "lab",
    ]
}
