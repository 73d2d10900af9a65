import SMTPCore

/// What the connection reports to the console, in arrival order.
public enum ConnectionEvent: Hashable, Sendable {
    /// A complete reply (possibly with problems).
    case reply(SMTPReply)
    /// A line that belongs to no reply (no code); shown and flagged.
    case malformedLine(ReplyLine, [ReplyProblem])
    /// Plaintext arrived after the 220 to STARTTLS and was thrown away unread as the handshake
    /// began (RFC 3207 §6; CVE-2011-0411 class). Reported at once, before the handshake's
    /// outcome, so the user learns of the injection whether or not the handshake then succeeds.
    case plaintextDiscarded(octets: Int)
    /// The TLS handshake finished.
    case tlsEstablished(TLSReport)
    /// The TLS handshake failed; the connection is being closed. A refused certificate has the
    /// code `.tlsCertificateRejected` and says why in `certificateProblems`, so the remedy
    /// (`--sni`, `--cafile`, `--insecure`) can be chosen by kind.
    case tlsFailed(ConnectionError)
    /// The PROXY protocol header went out, first on the connection (`--proxy`); shown as an
    /// event, not as a line sent, so that a replay does not send it again as a command.
    case proxyHeaderSent(ProxyHeader)
    /// The connection is gone: why, or nil for an orderly close by the server.
    case closed(ConnectionError?)
}
