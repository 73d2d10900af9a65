/// How a recorded session reached its server, as its transcript header says: what replay needs
/// to reach it the same way.
///
/// Text form, after `transcript of `: `SERVER[, implicit TLS][, SNI NAME][, LMTP][, PROXY v2[ from
/// ADDR:PORT]]`, then
/// `, started TIME, …`. Every connection of a recording has a header, so a transcript that went
/// through `/connect` (or grew with `--append`) names each server it talked to.
public struct RecordedConnection: Hashable, Sendable {
    /// `HOST:PORT`, `[V6]:PORT` or a socket's path, as `ServerAddress` prints it; nil when the
    /// recording began before any connection.
    public var server: String?
    /// TLS from the first byte (RFC 8314 §3.3).
    public var isImplicitTLS = false
    /// The name sent in SNI and checked in the certificate, when it was not the host's.
    public var serverName: String?
    public var sessionProtocol = SessionProtocol.smtp
    /// The PROXY protocol header sent before anything else (`--proxy`), which the server needed.
    public var proxy: ProxyHeader.Version?
    /// The client that header claimed (`--proxy-from`), when not the connection's own source.
    public var proxyClient: ProxyHeader.Endpoint?

    public init(
        server: String?, isImplicitTLS: Bool = false, serverName: String? = nil,
        sessionProtocol: SessionProtocol = .smtp, proxy: ProxyHeader.Version? = nil,
        proxyClient: ProxyHeader.Endpoint? = nil
    ) {
        self.server = server
        self.isImplicitTLS = isImplicitTLS
        self.serverName = serverName
        self.sessionProtocol = sessionProtocol
        self.proxy = proxy
        self.proxyClient = proxy == nil ? nil : proxyClient
    }

    /// What a header says before a recording's first connection.
    static let noServer = "no server yet"

    /// The header's fields, in order: `127.0.0.1:465, implicit TLS, SNI mx.test`.
    var headerText: String {
        var fields = [server ?? Self.noServer]
        if isImplicitTLS { fields.append("implicit TLS") }
        if let serverName { fields.append("SNI \(serverName)") }
        if sessionProtocol == .lmtp { fields.append("LMTP") }
        if let proxy { fields.append("PROXY \(proxy.rawValue)" + (proxyClient.map { " from \($0)" } ?? "")) }
        return fields.joined(separator: ", ")
    }

    /// Reads the fields of a text header, up to `started …`.
    init(headerFields fields: [Substring]) {
        let server = fields.first.map { String($0) }
        self.server = server == Self.noServer ? nil : server
        for field in fields.dropFirst() {
            if field == "implicit TLS" {
                isImplicitTLS = true
            } else if field.hasPrefix("SNI ") {
                serverName = String(field.dropFirst(4))
            } else if field == "LMTP" {
                sessionProtocol = .lmtp
            } else if field.hasPrefix("PROXY ") {
                let words = field.split(separator: " ")
                // A header edited by hand may lack the version: read it as no PROXY header, not a crash.
                proxy = words.count > 1 ? ProxyHeader.Version(rawValue: String(words[1])) : nil
                if proxy != nil, words.count == 4, words[2] == "from" {
                    proxyClient = ProxyHeader.Endpoint(parsing: String(words[3]))
                }
            }
        }
    }
}
