import NIOSSL

/// Handshake failures told in terms of what was offered: the versions (`--tls-min`), which
/// BoringSSL's reason alone cannot name.
extension TLSHandshakeHandler {
    /// Any failure of the handshake, before the client's side of it completed.
    static func handshakeFailure(_ error: any Error, flight: ServerHelloSniffer.Flight, settings: TLSSettings)
        -> ConnectionError
    {
        let general = ConnectionError(error)
        guard general.code == .tlsVersionRefused, let reason = ConnectionError.boringSSLReason(in: "\(error)") else {
            return general
        }
        return versionRefused(reason: reason, chosen: flight.version, minimum: settings.minimumVersion)
    }

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
