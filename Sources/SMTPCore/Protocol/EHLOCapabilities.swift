/// The service extensions a server advertised in its reply to EHLO.
///
/// RFC 5321 §4.1.1.1: the first line of the 250 reply names the server; each further line is
/// `keyword [parameters]`. Keywords are case-insensitive.
public struct EHLOCapabilities: Hashable, Sendable {
    public struct Capability: Hashable, Sendable {
        public let keyword: String
        public let parameters: [String]
    }

    /// The domain the server gave on the first line.
    public let serverName: String
    public let capabilities: [Capability]

    public init(serverName: String = "", capabilities: [Capability] = []) {
        self.serverName = serverName
        self.capabilities = capabilities
    }

    public init(reply: SMTPReply) {
        let texts = reply.texts
        serverName = texts.first.flatMap { $0.split(separator: " ").first.map(String.init) } ?? ""
        capabilities = texts.dropFirst().compactMap { text in
            let words = text.split(separator: " ").map(String.init)
            guard let keyword = words.first else { return nil }
            return Capability(keyword: keyword.uppercased(), parameters: Array(words.dropFirst()))
        }
    }

    public func has(_ keyword: String) -> Bool {
        let keyword = keyword.uppercased()
        return capabilities.contains { $0.keyword == keyword }
    }

    public func parameters(of keyword: String) -> [String]? {
        let keyword = keyword.uppercased()
        return capabilities.first { $0.keyword == keyword }?.parameters
    }

    /// SIZE's limit in octets (RFC 1870); nil when not advertised or unlimited (0).
    public var maximumMessageSize: Int? {
        guard let value = parameters(of: "SIZE")?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }

    /// The SASL mechanisms after AUTH (RFC 4954 §3), upper-cased.
    public var authMechanisms: [String] {
        (parameters(of: "AUTH") ?? []).map { $0.uppercased() }
    }
}
