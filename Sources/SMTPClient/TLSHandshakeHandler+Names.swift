import SMTPCore

extension TLSHandshakeHandler {
    /// The name the server's certificate must carry, and the name to send in SNI.
    ///
    /// - TCP: `--sni` if given, else the host connected to. SNI carries names only (RFC 6066 §3),
    ///   never an address literal, so `127.0.0.1` and `::1` send none.
    /// - A UNIX-domain socket has no host name: SNI is sent only when `--sni` names one, and
    ///   without it the certificate is checked against `localhost` (the socket is on this machine;
    ///   `--sni` or `--insecure` are the remedies when the certificate says otherwise).
    struct Names: Equatable {
        var expected: String
        var sni: String?
    }
}

extension TLSHandshakeHandler.Names {
    init(address: ServerAddress, settings: TLSSettings) {
        switch address.endpoint {
        case .tcp(let host, _):
            expected = settings.serverName ?? host
            sni = Self.sniName(expected)
        case .unixSocket:
            expected = settings.serverName ?? "localhost"
            sni = settings.serverName.flatMap(Self.sniName)
        }
    }

    private static func sniName(_ name: String) -> String? {
        CertificateCheck.isAddressLiteral(name) ? nil : name
    }
}
