import SMTPClient
import SMTPCore

/// Everything the command line decides about a console run.
public struct ConsoleOptions: Sendable {
    public enum ColorMode: String, Sendable, CaseIterable {
        case auto, always, never

        /// `auto` colours a terminal unless NO_COLOR is set and not empty (no-color.org).
        func isEnabled(stdoutIsTerminal: Bool, environment: [String: String]) -> Bool {
            switch self {
            case .always: return true
            case .never: return false
            case .auto: return stdoutIsTerminal && (environment["NO_COLOR"] ?? "").isEmpty
            }
        }
    }

    /// The server to connect to at start, if any.
    public var server: ServerAddress?
    /// `--mx`, `--mx-all`, `mx:DOMAIN`: find the server to connect to at start from a domain's MX records.
    public var mailDomain: MailDomainTarget?
    /// `--resolver`: the DNS server for `--mx` and `/dns`; nil for the system's.
    public var resolver: DNSServerAddress?
    public var explain: ExplainLevel = .full
    /// `--practice`: the server is ehlo's own, started for this run; the console welcomes a
    /// beginner and `/mailbox` reads what the server stored (`practiceMailbox`).
    public var isPractice = false
    /// The messages the practice server of `--practice` has stored, oldest first.
    public var practiceMailbox: (@Sendable () -> [StoredMessage])?
    public var color: ColorMode = .auto
    /// The history file; nil for no history.
    public var historyFile: String?
    /// Seconds to wait for any reply, instead of RFC 5321 §4.5.3.2's per-command defaults.
    public var timeoutOverride: Int?
    /// The script to run instead of reading a terminal; "-" for standard input.
    public var scriptFile: String?
    /// The name offered for EHLO/HELO by completion.
    public var heloName: String?
    /// Refuse out-of-sequence commands instead of sending them with a warning.
    public var isStrict = false
    /// What the server is expected to speak (`--lmtp`): it decides the greeting's next steps,
    /// the hello verb and the per-recipient replies after the message (RFC 2033).
    public var sessionProtocol = SessionProtocol.smtp
    /// `--pipeline`: in a script, each run of commands up to one that ends a group is sent in
    /// one write (RFC 2920 §3.1).
    public var pipelines = false
    /// `--lesson`: list the lessons at start, or run one.
    public var lesson: LessonStart?

    /// A stage of a session, for `--quit-after` (as swaks names them).
    public enum Stage: String, Sendable, CaseIterable {
        /// The TCP (or UNIX socket) connection is open: close it without a word.
        case connect
        /// The greeting came.
        case greeting
        /// EHLO (LHLO) was answered; ehlo sends it itself.
        case ehlo
        /// STARTTLS and its handshake are done (and EHLO again); ehlo sends them itself.
        case tls
        /// AUTH is done (`--user`).
        case auth
        /// MAIL was answered (the script or the user sends it).
        case mail
        /// The first RCPT was answered.
        case rcpt
    }

    /// `--quit-after STAGE`: QUIT once the session has reached it.
    public var quitAfter: Stage?
    /// `--timing`: show each reply's latency (on a terminal it is on unless `/timing off`).
    public var showsTiming = false

    /// Record the session to this file (`--transcript`).
    public var transcriptFile: String?
    /// The transcript's format; nil: JSON Lines for `.jsonl`, else text.
    public var transcriptFormat: TranscriptFormatter.Format?
    public var transcriptTimestamps: TranscriptFormatter.Timestamps = .none
    public var transcriptIncludesAnnotations = true
    /// Add to an existing transcript instead of refusing it.
    public var appendsToTranscript = false
    /// Record secrets in clear (`--no-redact`).
    public var redactsSecrets = true

    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP; STARTTLS only when typed.
        case none
        /// EHLO, STARTTLS and EHLO again right after the greeting (`--starttls`).
        case starttls
        /// TLS from the first byte (`--tls`, port 465).
        case implicit
    }

    public var tlsMode = TLSMode.none
    /// What to trust and which name to check, for every handshake.
    public var tls = TLSSettings()
    /// `--user`: authenticate right after EHLO (and STARTTLS).
    public var authUser: String?
    /// `--auth`: the mechanism; nil picks one the server advertised.
    public var authMechanism: SASL.Mechanism?
    /// `--password-file`: where the secret comes from when there is no terminal (else EHLO_PASSWORD).
    public var passwordFile: String?

    /// `-4`, `-6`, `--source`, `--proxy`, `--proxy-from`: how TCP connections are opened.
    public var connection = ConnectionSettings()
    /// Reads the options after `/connect` with the command line's own parser, so that their
    /// names, help and checks are defined once (in the `ehlo` target); nil: `/connect` takes a
    /// server and no options.
    public var connectArguments: ConnectArguments.Parser?
    /// Named servers from the config file, for `ehlo @NAME`, `/connect @NAME` and completion.
    public var profiles = ProfileBook()
    /// What the command line said about the connection, and nothing it left unsaid: it
    /// overrides a profile's values (`ehlo @NAME --sni other`).
    public var commandLineSettings = ProfileSettings()
    /// The profile to open at start (`ehlo @NAME`); `Console.make` applies it.
    public var startProfile: ProfileReference?

    public init() {}
}
