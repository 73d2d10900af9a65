/// The keys a `[profile.NAME]` table of the config file may hold: one row each, read by the
/// config file's validation, the man page and the README.
///
/// Each key mirrors a command-line option, and that option overrides it (`ehlo @NAME --sni x`).
public enum ProfileKeyTable {
    /// The TOML type a key's value must have.
    public enum ValueKind: String, Sendable {
        case string, integer, boolean

        /// How the man page names it.
        public var article: String {
            switch self {
            case .string: return "a string"
            case .integer: return "an integer"
            case .boolean: return "a boolean"
            }
        }
    }

    public struct Row: Sendable {
        public let key: String
        public let kind: ValueKind
        /// The command-line option that overrides the key.
        public let option: String
        public let summary: String

        init(_ key: String, _ kind: ValueKind, _ option: String, _ summary: String) {
            self.key = key
            self.kind = kind
            self.option = option
            self.summary = summary
        }
    }

    public static let rows: [Row] = [
        Row(
            "host", .string, "@NAME",
            "The server: a name, an IPv4 or IPv6 address, or a UNIX socket's path. The only key a profile must have."),
        Row("port", .integer, "@NAME:PORT", "The TCP port; default 25, 465 with tls, 24 with lmtp."),
        Row("starttls", .boolean, "--starttls, --no-tls", "EHLO, STARTTLS and EHLO again right after the greeting."),
        Row("tls", .boolean, "--tls, --no-tls", "Implicit TLS from the first byte (RFC 8314); excludes starttls."),
        Row("cafile", .string, "--cafile", "Trust the CAs in this PEM file instead of the system's."),
        Row("sni", .string, "--sni", "The name to send in SNI and to check the certificate against."),
        Row(
            "user", .string, "--user",
            "Authenticate as this user; the password comes from the terminal, --password-file or EHLO_PASSWORD."),
        Row("auth", .string, "--auth", "The SASL mechanism: plain, login, cram-md5 or xoauth2."),
        Row("helo", .string, "--helo", "The domain to send in EHLO."),
        Row(
            "transcripts", .string, "--transcript",
            "Record each session to a new file in this folder (made with mode 0700), named after the profile and the UTC time."
        ),
        Row("lmtp", .boolean, "--lmtp, --no-lmtp", "Speak LMTP (RFC 2033)."),
    ]

    /// Keys refused because a secret does not belong in a config file.
    public static let refusedKeys = ["password"]

    public static func row(_ key: String) -> Row? {
        rows.first { $0.key == key }
    }

    /// The known key closest to a misspelt one (at most two edits away), for "did you mean".
    public static func suggestion(for key: String) -> String? {
        let scored = rows.map { (key: $0.key, distance: editDistance($0.key, key.lowercased())) }
        guard let best = scored.min(by: { $0.distance < $1.distance }), best.distance <= 2 else { return nil }
        return best.key
    }

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(
                    previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
