/// The HAProxy PROXY protocol header a client sends first, before any byte of SMTP, so that a
/// server behind a load balancer (Postfix's `smtpd_upstream_proxy_protocol = haproxy` and
/// postscreen, Exim's `hosts_proxy`) learns which client the connection is for.
///
/// The specification is haproxy's `doc/proxy-protocol.txt` ("The PROXY protocol, Versions 1 &
/// 2"). Both versions describe the same thing, the connection's two TCP endpoints:
///
///     v1 (§2.1), one line of US-ASCII:
///         PROXY TCP4 192.0.2.7 127.0.0.1 4242 25\r\n
///         PROXY TCP6 2001:db8::7 ::1 4242 25\r\n
///         PROXY UNKNOWN\r\n                        (no TCP endpoints to tell)
///
///     v2 (§2.2), binary:
///         +----------------------------------------------+------+------+-------+-----------+
///         | signature \r\n\r\n\0\r\nQUIT\n  (12 octets)   | 0x21 | 0x11 | 0x000C| addresses |
///         +----------------------------------------------+------+------+-------+-----------+
///                                       version 2, PROXY ┘  TCP4 ┘  length ┘
///         addresses, TCP over IPv4 (0x11): source 4, destination 4, source port 2, destination port 2
///         addresses, TCP over IPv6 (0x21): source 16, destination 16, source port 2, destination port 2
///         LOCAL (0x20) with UNSPEC (0x00) and length 0: no addresses; the receiver uses the real ones
///
/// Over a UNIX-domain socket there is no TCP connection to describe, so v1 sends `UNKNOWN` and
/// v2 the LOCAL command; the spec says the receiver then uses "the real connection's parameters".
///
/// ### Why do the two addresses always share a family?
/// Both forms carry one family for the pair (v1's `TCP4`/`TCP6`, v2's address family nibble). A
/// client claimed to be IPv4 on a connection that reached the server over IPv6 is written with
/// its IPv4-mapped IPv6 address (`::ffff:192.0.2.7`, RFC 4291 §2.5.5.2), in `TCP6`.
public struct ProxyHeader: Hashable, Sendable {
    public enum Version: String, Hashable, Sendable, CaseIterable {
        case v1, v2
    }

    /// One end of a TCP connection.
    public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
        public let address: IPAddress
        public let port: Int

        public init(address: IPAddress, port: Int) {
            self.address = address
            self.port = port
        }

        /// Reads `192.0.2.7:4242` or `[2001:db8::7]:4242`, the form `description` writes; nil
        /// for anything else (a name, a missing or zero port).
        public init?(parsing text: String) {
            guard let parsed = try? ServerAddress(parsing: text, defaultPort: 0),
                case .tcp(let host, let port) = parsed.endpoint, port != 0,
                let address = IPAddress(parsing: host)
            else { return nil }
            self.init(address: address, port: port)
        }

        /// `192.0.2.7:4242`, `[2001:db8::7]:4242`.
        public var description: String {
            address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
        }
    }

    /// What the header says about the connection.
    public enum Connection: Hashable, Sendable {
        /// A TCP connection from `client` (the proxy's client, or whoever it is claimed to be)
        /// to `server`.
        case tcp(client: Endpoint, server: Endpoint)
        /// Nothing to tell (a UNIX-domain socket): v1 `UNKNOWN`, v2 `LOCAL`.
        case unknown
    }

    public let version: Version
    public let connection: Connection

    public init(version: Version, connection: Connection) {
        self.version = version
        if case .tcp(let client, let server) = connection, client.address.isIPv4 != server.address.isIPv4 {
            // One family for both (see "Why" above).
            self.connection = .tcp(
                client: Endpoint(address: client.address.asIPv6, port: client.port),
                server: Endpoint(address: server.address.asIPv6, port: server.port))
        } else {
            self.connection = connection
        }
    }

    /// §2.2: the 12 octets every v2 header starts with.
    public static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// The header as sent, in one write (§2: "sent at once").
    public var bytes: [UInt8] {
        switch version {
        case .v1: return Array(v1Line.utf8)
        case .v2: return v2Bytes
        }
    }

    /// §2.1: `PROXY TCP4 SRC DST SPORT DPORT\r\n`, addresses in canonical form, decimal ports.
    private var v1Line: String {
        switch connection {
        case .unknown:
            return "PROXY UNKNOWN\r\n"
        case .tcp(let client, let server):
            let family = client.address.isIPv4 ? "TCP4" : "TCP6"
            return "PROXY \(family) \(client.address) \(server.address) \(client.port) \(server.port)\r\n"
        }
    }

    /// §2.2: signature, version and command, family and transport, length, addresses.
    private var v2Bytes: [UInt8] {
        switch connection {
        case .unknown:
            // LOCAL (0x20), AF_UNSPEC/UNSPEC (0x00), no address block.
            return Self.v2Signature + [0x20, 0x00, 0x00, 0x00]
        case .tcp(let client, let server):
            // PROXY (0x21); TCP over IPv4 (0x11) or over IPv6 (0x21).
            let addresses =
                client.address.octets + server.address.octets + Self.octets(client.port) + Self.octets(server.port)
            return Self.v2Signature + [0x21, client.address.isIPv4 ? 0x11 : 0x21] + Self.octets(addresses.count)
                + addresses
        }
    }

    /// A 16-bit number in network order.
    private static func octets(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// What the console says once it is sent: `PROXY v2 header sent: client 192.0.2.7:4242,
    /// server 127.0.0.1:25`.
    public var summary: String {
        switch connection {
        case .tcp(let client, let server):
            return "PROXY \(version) header sent: client \(client), server \(server)"
        case .unknown:
            let word = version == .v1 ? "UNKNOWN" : "LOCAL"
            return
                "PROXY \(version) header sent: \(word) (no TCP addresses to tell; the server uses the connection's own)"
        }
    }
}
