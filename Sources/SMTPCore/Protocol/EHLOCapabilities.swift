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
        serverName = texts.first.flatMap { Self.words(of: $0).first } ?? ""
        capabilities = texts.dropFirst().compactMap { text in
            let words = Self.words(of: text)
            guard let keyword = words.first else { return nil }
            return Capability(keyword: keyword.uppercased(), parameters: Array(words.dropFirst()))
        }
    }

    /// The words of an EHLO line, between its SP octets (RFC 5321 §4.1.1.1:
    /// `ehlo-line = ehlo-keyword *( SP ehlo-param )`), as a server cuts them.
    ///
    /// Not between Swift's Characters: a space followed by a combining mark or a zero-width
    /// joiner is one Character, so `AUTH PLAIN \u{200D}X` would have kept "PLAIN \u{200D}X" as
    /// one mechanism, space and all. SP is a whole UTF-8 scalar, so every word is valid text.
    static func words(of text: String) -> [String] {
        text.utf8.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
    }

    public func has(_ keyword: String) -> Bool {
        let keyword = keyword.uppercased()
        return capabilities.contains { $0.keyword == keyword }
    }

    public func parameters(of keyword: String) -> [String]? {
        let keyword = keyword.uppercased()
        return capabilities.first { $0.keyword == keyword }?.parameters
    }

    /// SIZE's limit in octets (RFC 1870); nil when not advertised, unlimited (0) or not a number.
    /// A limit of up to 20 digits (RFC 1870 §4) that does not fit an `Int` is `Int.max`: no
    /// message ehlo can send is over it.
    public var maximumMessageSize: Int? {
        guard let parameters = parameters(of: "SIZE"), parameters.count == 1, Self.isSizeValue(parameters[0]) else {
            return nil
        }
        let value = parameters[0]
        guard let size = Int(value) else { return .max }
        return size > 0 ? size : nil
    }

    /// What is wrong with the SIZE keyword's parameter, if anything: RFC 1870 §4 allows
    /// `"SIZE" [SP 1*20DIGIT]`, a count of octets of at most 20 digits (0: no fixed limit).
    public var sizeParameterProblem: String? {
        guard let parameters = parameters(of: "SIZE"), let value = parameters.first else { return nil }
        let shown = VisibleText.escape(parameters.joined(separator: " "))
        if parameters.count > 1 || !value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return "SIZE \(shown) is not a count of octets (RFC 1870 §4: SIZE [1*20DIGIT]); ehlo assumes no limit"
        }
        if !Self.isSizeValue(value) {
            return
                "SIZE \(shown) has \(value.utf8.count) digits, more than the 20 RFC 1870 §4 allows; ehlo assumes no limit"
        }
        return nil
    }

    private static func isSizeValue(_ value: String) -> Bool {
        (1...20).contains(value.utf8.count)
            && value.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The SASL mechanisms after AUTH (RFC 4954 §3), upper-cased.
    public var authMechanisms: [String] {
        (parameters(of: "AUTH") ?? []).map { $0.uppercased() }
    }
}
