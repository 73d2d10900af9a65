/// `HOST[:PORT]` as typed on the command line or after `/connect`.
///
/// HOST is a name, an IPv4 address, or an IPv6 address in brackets (`[::1]:2525`); a bare IPv6
/// address without a port (`::1`) is accepted too.
public struct ServerAddress: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case badPort(String)
        case unclosedBracket(String)

        public var description: String {
            switch self {
            case .empty: return "no host given"
            case .badPort(let port): return "'\(port)' is not a port number (1–65535)"
            case .unclosedBracket(let text): return "'\(text)' opens '[' without closing it; write [v6-address]:port"
            }
        }
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String, defaultPort: Int) throws(ParseError) {
        let text = text.trimmingSpaces
        guard !text.isEmpty else { throw .empty }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unclosedBracket(text) }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                port = defaultPort
            } else if rest.hasPrefix(":") {
                port = try Self.parsePort(String(rest.dropFirst()))
            } else {
                throw .badPort(String(rest))
            }
            return
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            port = try Self.parsePort(String(text[text.index(after: colon)...]))
            guard !host.isEmpty else { throw .empty }
        } else {
            // No colon, or several (a bare IPv6 address): all host, default port.
            host = text
            port = defaultPort
        }
    }

    private static func parsePort(_ text: String) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .badPort(text) }
        return port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
