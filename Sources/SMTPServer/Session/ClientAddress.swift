/// Where a session's client is: an IP address, or the UNIX-domain socket it connected to.
public enum ClientAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 or IPv6 address, without brackets or port.
    case ip(String)
    /// A client of a UNIX-domain socket, named by the socket's path: such clients have no
    /// address of their own (their end of the socket is unnamed).
    case unixSocket(path: String)

    /// How the reply to EHLO and HELP STATUS name it: an address literal (`[192.0.2.1]`,
    /// `[IPv6:::1]`), or `unix:/run/ehlo/lmtp` (Postfix's way of writing a UNIX-domain socket).
    public var description: String {
        switch self {
        case .ip(let address): return Self.addressLiteral(address)
        case .unixSocket(let path): return "unix:\(path)"
        }
    }

    /// RFC 5321 §4.4's TCP-info for a `Received:` header: the address literal, or nil when the
    /// client came over a UNIX-domain socket and there is no TCP to speak of.
    var tcpInfo: String? {
        switch self {
        case .ip(let address): return Self.addressLiteral(address)
        case .unixSocket: return nil
        }
    }

    /// RFC 5321 §4.1.3: `[192.0.2.1]`, and an IPv6 address tagged, `[IPv6:2001:db8::1]`.
    static func addressLiteral(_ address: String) -> String {
        address.contains(":") ? "[IPv6:\(address)]" : "[\(address)]"
    }
}
