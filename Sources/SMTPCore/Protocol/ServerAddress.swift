/// Where the server listens, as typed on the command line or after `/connect`: TCP `HOST[:PORT]`,
/// or the path of a UNIX-domain socket (LMTP servers, RFC 2033, usually listen on one).
///
/// Parsing, first rule that applies:
///
///     unix:PATH                        a socket at PATH, whatever PATH looks like (unix:sock is ./sock)
///     /PATH  ./PATH  ../PATH  ~/PATH   a socket: an absolute or explicitly relative path
///     [v6]  [v6]:PORT                  TCP to an IPv6 address
///     HOST  HOST:PORT                  TCP to a name or an IPv4 address
///     ::1                              TCP to a bare IPv6 address (several colons), default port
///
/// `~/` is kept as typed: the shell expands it on the command line, and the client expands it
/// when it connects, for `/connect ~/sock` where no shell does. `description` gives back a text
/// that parses to the same address.
///
/// ### Why does a socket have a `host` and a `port`?
/// Code written for TCP shows `host` (the prompt, "connected to …") and compares addresses. For a
/// socket, `host` is a short name to show, the path's last component (`lmtp` for
/// `/var/run/dovecot/lmtp`), and `port` is 0. Neither is ever used to reach the server or as a
/// TLS name: over a socket, TLS sends no SNI unless `--sni` names the server.
public struct ServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// How the server is reached.
    public enum Endpoint: Hashable, Sendable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public let endpoint: Endpoint

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case badPort(String)
        case unclosedBracket(String)
        case emptySocketPath

        public var description: String {
            switch self {
            case .empty: return "no host given"
            case .badPort(let port): return "'\(port)' is not a port number (1–65535)"
            case .unclosedBracket(let text): return "'\(text)' opens '[' without closing it; write [v6-address]:port"
            case .emptySocketPath: return "'unix:' without a path; write unix:/path/to/socket"
            }
        }
    }

    /// A TCP address.
    public init(host: String, port: Int) {
        endpoint = .tcp(host: host, port: port)
    }

    /// A UNIX-domain socket.
    public init(unixSocketPath path: String) {
        endpoint = .unixSocket(path: path)
    }

    /// - Parameter defaultPort: the TCP port when the text names none (25, or 465 with `--tls`).
    public init(parsing text: String, defaultPort: Int) throws(ParseError) {
        let text = text.trimmingSpaces
        guard !text.isEmpty else { throw .empty }
        if text.hasPrefix(Self.unixScheme) {
            let path = String(text.dropFirst(Self.unixScheme.count))
            guard !path.isEmpty else { throw .emptySocketPath }
            endpoint = .unixSocket(path: path)
            return
        }
        if Self.looksLikePath(text) {
            endpoint = .unixSocket(path: text)
            return
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unclosedBracket(text) }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                endpoint = .tcp(host: host, port: defaultPort)
            } else if rest.hasPrefix(":") {
                endpoint = .tcp(host: host, port: try Self.parsePort(String(rest.dropFirst())))
            } else {
                throw .badPort(String(rest))
            }
            return
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            let host = String(text[..<colon])
            let port = try Self.parsePort(String(text[text.index(after: colon)...]))
            guard !host.isEmpty else { throw .empty }
            endpoint = .tcp(host: host, port: port)
        } else {
            // No colon, or several (a bare IPv6 address): all host, default port.
            endpoint = .tcp(host: text, port: defaultPort)
        }
    }

    private static let unixScheme = "unix:"

    /// An absolute or explicitly relative path; a host name never starts like this.
    private static func looksLikePath(_ text: String) -> Bool {
        ["/", "./", "../", "~/"].contains { text.hasPrefix($0) }
    }

    private static func parsePort(_ text: String) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .badPort(text) }
        return port
    }

    /// The TCP host; for a socket, the path's last component, to show (see "Why" above).
    public var host: String {
        switch endpoint {
        case .tcp(let host, _): return host
        case .unixSocket(let path): return path.split(separator: "/").last.map(String.init) ?? path
        }
    }

    /// The TCP port; 0 for a socket.
    public var port: Int {
        switch endpoint {
        case .tcp(_, let port): return port
        case .unixSocket: return 0
        }
    }

    /// The socket's path as typed, or nil for TCP.
    public var socketPath: String? {
        if case .unixSocket(let path) = endpoint { return path }
        return nil
    }

    public var isUnixSocket: Bool { socketPath != nil }

    /// `host:port`, `[v6]:port`, a socket path as typed when it reads as one (`/run/lmtp`,
    /// `./sock`), else `unix:PATH`. Parses back to this address (save a path that ends in a
    /// space: typed text is trimmed).
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unixSocket(let path):
            return Self.looksLikePath(path) ? path : Self.unixScheme + path
        }
    }
}
