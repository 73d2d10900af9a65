/// What a profile, or the command line, says about how to open one session; nil where it says
/// nothing. The command line's settings override a profile's key by key (`overriding(_:)`).
public struct ProfileSettings: Equatable, Sendable {
    /// How TLS starts, if at all.
    public enum Security: String, Equatable, Sendable {
        /// Plain TCP; STARTTLS only when typed (`--no-tls`, or `false` for both keys).
        case plaintext
        /// EHLO, STARTTLS and EHLO again after the greeting (`starttls = true`, `--starttls`).
        case starttls
        /// TLS from the first byte (`tls = true`, `--tls`; RFC 8314).
        case implicit
    }

    public var security: Security?
    public var caFile: String?
    public var serverName: String?
    public var user: String?
    /// A SASL mechanism's name as `ExtensionTable.saslMechanisms` spells it (upper case).
    public var authMechanism: String?
    public var heloName: String?
    /// The folder that receives a new transcript for each session (a profile's `transcripts`).
    public var transcriptDirectory: String?
    public var speaksLMTP: Bool?

    public init(
        security: Security? = nil, caFile: String? = nil, serverName: String? = nil, user: String? = nil,
        authMechanism: String? = nil, heloName: String? = nil, transcriptDirectory: String? = nil,
        speaksLMTP: Bool? = nil
    ) {
        self.security = security
        self.caFile = caFile
        self.serverName = serverName
        self.user = user
        self.authMechanism = authMechanism
        self.heloName = heloName
        self.transcriptDirectory = transcriptDirectory
        self.speaksLMTP = speaksLMTP
    }

    /// These settings where they say something, else `base`'s: the command line over a profile.
    public func overriding(_ base: ProfileSettings) -> ProfileSettings {
        ProfileSettings(
            security: security ?? base.security,
            caFile: caFile ?? base.caFile,
            serverName: serverName ?? base.serverName,
            user: user ?? base.user,
            authMechanism: authMechanism ?? base.authMechanism,
            heloName: heloName ?? base.heloName,
            transcriptDirectory: transcriptDirectory ?? base.transcriptDirectory,
            speaksLMTP: speaksLMTP ?? base.speaksLMTP)
    }

    /// The TCP port when none is named: 465 for implicit TLS (RFC 8314 §7.3), 24 for LMTP
    /// (RFC 2033 §4), else 25 (RFC 5321 §4.5.4).
    public var defaultPort: Int {
        if security == .implicit { return 465 }
        return speaksLMTP == true ? SessionProtocol.lmtp.defaultPort : SessionProtocol.smtp.defaultPort
    }
}
