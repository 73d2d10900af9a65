import SMTPCore
import Testing

/// `IPAddress` as DNS uses it: from a record's octets, unmapped, and as a reverse-DNS name.
@Suite struct IPAddressDNSTests {
    @Test func octetsOfARecordMakeAnAddress() {
        #expect(IPAddress(octets: [127, 0, 0, 2]) == IPAddress(parsing: "127.0.0.2"))
        #expect(IPAddress(octets: Array(repeating: 0, count: 15) + [1]) == IPAddress(parsing: "::1"))
        #expect(
            IPAddress(octets: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 12))?.description == "2001:db8::")
        #expect(IPAddress(octets: [1, 2, 3]) == nil)
    }

    /// RFC 1035 §3.5 and RFC 3596 §2.5.
    @Test(arguments: [
        ("192.0.2.25", "25.2.0.192.in-addr.arpa"),
        ("::ffff:192.0.2.25", "25.2.0.192.in-addr.arpa"),
        (
            "2001:db8::567:89ab",
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        ),
    ])
    func reverseNames(text: String, name: String) throws {
        #expect(try #require(IPAddress(parsing: text)).reverseName == name)
    }

    @Test func anIPv4MappedAddressIsItsIPv4Address() throws {
        #expect(try #require(IPAddress(parsing: "::ffff:127.0.0.1")).unmapped == IPAddress(parsing: "127.0.0.1"))
        #expect(try #require(IPAddress(parsing: "::1")).unmapped == IPAddress(parsing: "::1"))
        #expect(try #require(IPAddress(parsing: "::1:ffff:0:1")).unmapped == IPAddress(parsing: "::1:ffff:0:1"))
    }
}
