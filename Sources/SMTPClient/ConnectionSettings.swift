import SMTPCore

/// How a connection is opened, before the first byte of SMTP: the address family to resolve the
/// host in (`-4`, `-6`), the local address to bind (`--source`), and the PROXY protocol header to
/// send first (`--proxy`, `--proxy-from`).
public struct ConnectionSettings: Hashable, Sendable {
    public enum AddressFamily: String, Hashable, Sendable {
        /// Whatever the name resolves to, IPv6 and IPv4 raced (RFC 8305, SwiftNIO's Happy Eyeballs).
        case any
        case ipv4
        case ipv6

        /// "IPv4", "IPv6"; "any" for `.any`.
        public var name: String {
            switch self {
            case .any: return "any"
            case .ipv4: return "IPv4"
            case .ipv6: return "IPv6"
            }
        }

        /// Whether `address` belongs to this family (any address belongs to `.any`).
        public func contains(_ address: IPAddress) -> Bool {
            switch self {
            case .any: return true
            case .ipv4: return address.isIPv4
            case .ipv6: return !address.isIPv4
            }
        }

        /// The family of `address`.
        public init(of address: IPAddress) {
            self = address.isIPv4 ? .ipv4 : .ipv6
        }
    }

    /// `-4`, `-6`: the only family to resolve the host in and connect over.
    public var family = AddressFamily.any
    /// `--source`: the local address the connection is bound to (an ephemeral port).
    public var sourceAddress: IPAddress?
    /// `--proxy`: the PROXY protocol header to send as soon as the connection is open.
    public var proxy: ProxyHeader.Version?
    /// `--proxy-from`: the client the header names instead of the connection's own source.
    public var proxyClient: ProxyHeader.Endpoint?

    public init(
        family: AddressFamily = .any, sourceAddress: IPAddress? = nil, proxy: ProxyHeader.Version? = nil,
        proxyClient: ProxyHeader.Endpoint? = nil
    ) {
        self.family = family
        self.sourceAddress = sourceAddress
        self.proxy = proxy
        self.proxyClient = proxyClient
    }

    /// The family a host name is resolved in: `-4`/`-6`; else that of `--source` (a socket bound
    /// to an IPv4 address cannot reach an IPv6 one); else that of `--proxy-from`, so that the
    /// header names the client as given rather than in IPv4-mapped form; else any.
    public var resolvedFamily: AddressFamily {
        if family != .any { return family }
        if let sourceAddress { return AddressFamily(of: sourceAddress) }
        if proxy != nil, let proxyClient { return AddressFamily(of: proxyClient.address) }
        return .any
    }
}
