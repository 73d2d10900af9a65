import SMTPCore
import Testing

/// `--resolver ADDR[:PORT]`.
@Suite struct DNSServerAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1:53"),
        ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("::1", "[::1]:53"),
        ("[::1]", "[::1]:53"),
        ("[::1]:5353", "[::1]:5353"),
        ("[2001:db8::53]:53", "[2001:db8::53]:53"),
    ])
    func parses(text: String, description: String) throws {
        let server = try DNSServerAddress(parsing: text)
        #expect(server.description == description)
        #expect(try DNSServerAddress(parsing: description) == server)
    }

    @Test(arguments: [
        ("dns.example.test", DNSServerAddress.ParseError.notAnAddress("dns.example.test")),
        ("dns.example.test:53", .notAnAddress("dns.example.test:53")),
        ("127.0.0.1:0", .badPort("0")),
        ("127.0.0.1:domain", .badPort("domain")),
        ("[::1]:99999", .badPort("99999")),
        ("[::1", .notAnAddress("[::1")),
        ("[::1]x", .notAnAddress("[::1]x")),
    ])
    func refuses(text: String, error: DNSServerAddress.ParseError) {
        #expect(throws: error) { try DNSServerAddress(parsing: text) }
    }
}

/// `ehlo mx:DOMAIN[:PORT]`.
@Suite struct MailDomainArgumentTests {
    @Test(arguments: [
        ("mx:example.test", "example.test"), ("MX:example.test:2525", "example.test:2525"), ("mx:a1.test", "a1.test"),
    ])
    func aDomainAfterTheScheme(text: String, domain: String) {
        #expect(MailDomainArgument.domain(in: text) == domain)
    }

    /// `mx:25` is the host `mx` on port 25, as before `mx:` meant anything.
    @Test(arguments: ["mx:25", "mx:2525", "mx.example.test", "mx.example.test:25", "mx:", "example.test"])
    func hostsStayHosts(text: String) {
        #expect(MailDomainArgument.domain(in: text) == nil)
    }
}
