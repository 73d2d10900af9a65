/// The DNS server `--resolver ADDR[:PORT]` names, instead of the system's.
///
///     192.0.2.53   192.0.2.53:5353          IPv4, port 53 unless given
///     2001:db8::53 [2001:db8::53] [::1]:5353 IPv6; brackets when a port follows
///
/// An address, never a name: a name would need a resolver to find the resolver.
public struct DNSServerAddress: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let port: Int

    /// RFC 1035 §4.2: DNS listens on port 53, over UDP and TCP.
    public static let defaultPort = 53

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAnAddress(String)
        case badPort(String)

        public var description: String {
            switch self {
            case .notAnAddress(let text):
                return
                    "'\(text)' is not an IP address; give the DNS server as ADDR, ADDR:PORT or [IPv6]:PORT (a name would need a resolver itself)"
            case .badPort(let text): return "'\(text)' is not a port number (1–65535)"
            }
        }
    }

    public init(address: IPAddress, port: Int = DNSServerAddress.defaultPort) {
        self.address = address
        self.port = port
    }

    public init(parsing text: String) throws(ParseError) {
        var host = Substring(text)
        var port = Self.defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .notAnAddress(text) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .notAnAddress(text) }
                port = try Self.parsePort(rest.dropFirst())
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            port = try Self.parsePort(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        guard let address = IPAddress(parsing: String(host)) else { throw .notAnAddress(text) }
        self.init(address: address, port: port)
    }

    private static func parsePort(_ text: Substring) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .badPort(String(text)) }
        return port
    }

    /// `192.0.2.53:53`, `[::1]:5353`: the form that parses back to this server.
    public var description: String {
        !address.isIPv4 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
