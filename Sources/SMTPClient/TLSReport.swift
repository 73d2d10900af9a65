import SMTPCore

/// How to set up TLS: what to trust and what name to ask for.
public struct TLSSettings: Hashable, Sendable {
    /// PEM file of the CAs to trust instead of the system's.
    public var caFile: String?
    /// PEM text of certificates to trust instead of the system's (the in-process practice server's).
    public var trustedPEM: String?
    /// The name sent in SNI and checked against the certificate, instead of the host connected to.
    public var serverName: String?
    /// Complete the handshake whatever the certificate (the result of the check is still shown).
    public var isInsecure = false
    /// `--pin`: trust exactly the certificate with this SHA-256 fingerprint, whatever its chain,
    /// dates and names; nothing else is trusted. The command line gives it without `caFile` and
    /// `isInsecure`; here it wins over both.
    public var pinnedCertificate: CertificateFingerprint?
    /// `--cert`/`--key`: offered when the server asks for a client certificate.
    public var clientCertificate: ClientCertificate?
    /// `--tls-min`: the lowest version offered; the highest is TLS 1.3.
    public var minimumVersion = TLSProtocolVersion.defaultMinimum

    public init(
        caFile: String? = nil, serverName: String? = nil, trustedPEM: String? = nil, isInsecure: Bool = false,
        pinnedCertificate: CertificateFingerprint? = nil, clientCertificate: ClientCertificate? = nil,
        minimumVersion: TLSProtocolVersion = .defaultMinimum
    ) {
        self.caFile = caFile
        self.serverName = serverName
        self.trustedPEM = trustedPEM
        self.isInsecure = isInsecure
        self.pinnedCertificate = pinnedCertificate
        self.clientCertificate = clientCertificate
        self.minimumVersion = minimumVersion
    }

    /// `--insecure` without a pin: the handshake completes whatever the check finds. A pin is the
    /// whole of trust, and `--insecure` does not weaken it.
    var goesOnUntrusted: Bool { isInsecure && pinnedCertificate == nil }

    /// The versions offered, as the event line names them: "TLS 1.0–1.3", "TLS 1.3 only".
    public var offeredVersions: String { TLSProtocolVersion.offered(from: minimumVersion) }
}

/// What a finished TLS handshake established, for the console to show.
public struct TLSReport: Hashable, Sendable {
    public enum Verification: Hashable, Sendable {
        /// The chain leads to a trusted root and names the server; `how` says which root.
        case verified(how: String)
        /// The certificate failed the check, and `--insecure` let the handshake go on.
        case notVerified(reason: String)
    }

    /// e.g. "TLS 1.3".
    public var protocolVersion: String
    /// The versions the client offered, e.g. "TLS 1.0–1.3" (`--tls-min` raises the first).
    public var offeredVersions: String
    /// The IANA name of the negotiated cipher suite, e.g. "TLS_AES_128_GCM_SHA256".
    public var cipherSuite: String?
    /// The chain the server presented, leaf first.
    public var chain: [CertificateSummary]
    public var verification: Verification
    /// Octets that arrived in plaintext after the 220 to STARTTLS and were thrown away (RFC 3207 §6).
    public var discardedPlaintextOctets: Int
    /// The subject of the client certificate offered (`--cert`), if one was.
    public var clientCertificate: String?
}

/// One certificate, as `/cert` shows it.
public struct CertificateSummary: Hashable, Sendable {
    public var subject: String
    public var issuer: String
    public var serialNumber: String
    /// RFC 3339 times.
    public var notValidBefore: String
    public var notValidAfter: String
    public var subjectAlternativeNames: [String]
    /// The SHA-256 of the DER encoding: `--pin` takes its `description`.
    public var fingerprint: CertificateFingerprint
    public var pem: String

    /// Colon-separated upper-case hex of the SHA-256 of the DER encoding, as `/cert` shows it.
    public var sha256Fingerprint: String { fingerprint.hex }
}
