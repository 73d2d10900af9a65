import SMTPCore

/// The names a request to the class view may carry in its Host header (RFC 9110 §7.2).
///
/// ### Why check Host at all?
/// DNS rebinding: a page on the internet (`evil.example`) makes its own name resolve to
/// 127.0.0.1 and then reads `http://evil.example:8025/api/messages` as a page of its own origin,
/// so the browser lets it read the class view served on loopback. The browser still sends
/// `Host: evil.example:8025`; a server that answers only its own names defeats the attack.
/// Accepted: the address the view is bound to, `localhost`, and with `--dashboard-public` the
/// name it was told to listen on, the machine's host name and (bound to every address) the
/// addresses of the machine's interfaces; always with the port it listens on.
public struct ClassViewHosts: Hashable, Sendable {
    /// Names, lower case without a trailing dot.
    private var names: Set<String>
    private var addresses: [IPAddress]
    public let port: Int
    /// Names beyond the bound address and localhost are accepted (`--dashboard-public`).
    public let isPublic: Bool

    /// - Parameters:
    ///   - names: host names and address literals that name this server.
    ///   - port: the port it listens on: a Host header's port must be it (or absent for 80).
    public init(names: [String], port: Int, isPublic: Bool = false) {
        self.port = port
        self.isPublic = isPublic
        var kept = Set<String>()
        var addresses: [IPAddress] = []
        for name in names + ["localhost"] {
            if let address = IPAddress(host: name) {
                addresses.append(address)
            } else {
                kept.insert(Self.normalised(name))
            }
        }
        self.names = kept
        self.addresses = addresses
    }

    /// Whether a request with this Host header is for this server. A request without one is
    /// only accepted from HTTP/1.0 (RFC 9112 §3.2: HTTP/1.1 requires it; browsers always send it).
    public func accepts(host header: String?, isHTTP10: Bool = false) -> Bool {
        guard let header else { return isHTTP10 }
        guard let given = Self.split(header.trimmingSpaces), (given.port ?? 80) == port else { return false }
        if let address = IPAddress(host: given.host) {
            return addresses.contains { $0.isSameAddress(as: address) }
        }
        return names.contains(Self.normalised(given.host))
    }

    /// `name`, `name:port`, `[v6]`, `[v6]:port` (RFC 9110 §7.2: `uri-host [ ":" port ]`).
    static func split(_ header: String) -> (host: String, port: Int?)? {
        var host = Substring(header)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            guard !host[..<colon].contains(":") else { return nil }
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty else { return nil }
        guard let portText else { return (String(host), nil) }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ ("0"..."9").contains($0) }),
            let port = Int(portText)
        else { return nil }
        return (String(host), port)
    }

    private static func normalised(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix("."), name.count > 1 { name.removeLast() }
        return name
    }
}
