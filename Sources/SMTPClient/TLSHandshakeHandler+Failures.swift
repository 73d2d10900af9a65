import NIOSSL

/// Handshake failures told in terms of what was offered: the versions (`--tls-min`) and the
/// client certificate (`--cert`), which BoringSSL's reason alone cannot name.
extension TLSHandshakeHandler {
    /// Any failure of the handshake, before the client's side of it completed.
    static func handshakeFailure(_ error: any Error, flight: ServerHelloSniffer.Flight, settings: TLSSettings)
        -> ConnectionError
    {
        if let failure = clientCertificateFailure(error, flight: flight, settings: settings) { return failure }
        let general = ConnectionError(error)
        guard general.code == .tlsVersionRefused, let reason = ConnectionError.boringSSLReason(in: "\(error)") else {
            return general
        }
        return versionRefused(reason: reason, chosen: flight.version, minimum: settings.minimumVersion)
    }

    /// The server's refusal of the client certificate, or of its absence; nil for other failures.
    ///
    /// - TLS 1.3 has an alert for a missing certificate, `certificate_required` (RFC 8446 §6.2).
    /// - TLS 1.2 has none: a server that asked (a CertificateRequest in the clear, RFC 5246
    ///   §7.4.4) and got none sends `handshake_failure` (§7.4.6).
    /// - A certificate offered and refused: one of the certificate alerts (RFC 8446 §6.2).
    static func clientCertificateFailure(
        _ error: any Error, flight: ServerHelloSniffer.Flight, settings: TLSSettings
    ) -> ConnectionError? {
        guard let reason = ConnectionError.boringSSLReason(in: "\(error)") else { return nil }
        let isHandshakeFailureAfterRequest =
            reason == "SSLV3_ALERT_HANDSHAKE_FAILURE" && flight.requestsClientCertificate
        guard let offered = settings.clientCertificate else {
            guard reason == "TLSV1_ALERT_CERTIFICATE_REQUIRED" || isHandshakeFailureAfterRequest else { return nil }
            return ConnectionError(
                .tlsClientCertificateRequired,
                "the server requires a client certificate and none was offered: give one with --cert FILE --key FILE [\(reason)]"
            )
        }
        let why: String
        if let words = clientCertificateAlerts[reason] {
            why = words
        } else if isHandshakeFailureAfterRequest || reason == "TLSV1_ALERT_CERTIFICATE_REQUIRED" {
            why = "it ended the handshake"
        } else {
            return nil
        }
        return ConnectionError(
            .tlsClientCertificateRejected,
            "the server refused the client certificate offered (\(offered.subject), --cert \(offered.certificateFile)): \(why) [\(reason)]"
        )
    }

    /// What each alert about a certificate says about ours (RFC 8446 §6.2).
    private static let clientCertificateAlerts: [String: String] = [
        "TLSV1_ALERT_UNKNOWN_CA": "it does not trust the CA that issued it",
        "SSLV3_ALERT_BAD_CERTIFICATE": "it found it bad (its signature, or not made for client authentication)",
        "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "it does not take certificates of its kind",
        "SSLV3_ALERT_CERTIFICATE_REVOKED": "it is revoked",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED": "it has expired, or is not valid yet",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "it would not accept it",
        "TLSV1_ALERT_ACCESS_DENIED": "the certificate is valid, but not allowed in",
        "TLSV1_ALERT_DECRYPT_ERROR": "the signature made with --key did not verify",
    ]

    /// No version in common: the server refused all offered (`protocol_version`, RFC 8446 §6.2),
    /// or chose one below `--tls-min` (BoringSSL's UNSUPPORTED_PROTOCOL; the ServerHello names it).
    static func versionRefused(reason: String, chosen: TLSProtocolVersion?, minimum: TLSProtocolVersion)
        -> ConnectionError
    {
        let offered = TLSProtocolVersion.offered(from: minimum)
        let option = minimum == .defaultMinimum ? "" : ", --tls-min \(minimum.rawValue)"
        if let chosen, chosen < minimum {
            return ConnectionError(
                .tlsVersionRefused,
                "the server chose \(chosen), below --tls-min \(minimum.rawValue) (offered: \(offered)) [\(reason)]")
        }
        guard let lower = TLSProtocolVersion.allCases.last(where: { $0 < minimum }) else {
            return ConnectionError(
                .tlsVersionRefused, "the server accepts none of the TLS versions offered (\(offered)) [\(reason)]")
        }
        return ConnectionError(
            .tlsVersionRefused,
            "the server accepts none of the TLS versions offered (\(offered)\(option)); it may speak only \(lower) or older [\(reason)]"
        )
    }
}
