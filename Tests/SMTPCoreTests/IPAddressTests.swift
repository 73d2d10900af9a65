import SMTPCore
import Testing

/// Addresses as octets: read from every text form, written in RFC 5952's one canonical form,
/// and compared as hosts (an IPv4 address and its IPv4-mapped form are one).
@Suite struct IPAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("0000:0000:0000:0000:0000:0000:0000:0001", "::1"),
        ("::", "::"),
        ("2001:DB8::1", "2001:db8::1"),
        // RFC 5952 §4.2.2: one zero group is not shortened; §4.2.3: the longest run, the first if tied.
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("fe80::1%eth0", "fe80::1"),
        // RFC 5952 §5: an IPv4-mapped address ends in dotted decimal.
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
    ])
    func textIsReadAndWrittenCanonically(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical)?.octets == address.octets)
    }

    @Test(arguments: [
        "localhost", "mx.example.test", "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "12345::1", "g::1", "::1.2.3", "1.2.3.4::", "[::1",
    ])
    func namesAndMalformedTextAreNoAddress(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func octetsFromACertificateAreFourOrSixteen() {
        #expect(IPAddress(octets: [127, 0, 0, 1])?.description == "127.0.0.1")
        #expect(IPAddress(octets: Array(repeating: 0, count: 15) + [1])?.description == "::1")
        #expect(IPAddress(octets: [127, 0, 1]) == nil)
    }

    @Test func oneHostInItsForms() throws {
        let loopback = try #require(IPAddress("::1"))
        #expect(loopback.isSameAddress(as: try #require(IPAddress("[0:0:0:0:0:0:0:1]"))))
        let v4 = try #require(IPAddress("127.0.0.1"))
        #expect(v4.isSameAddress(as: try #require(IPAddress("::ffff:127.0.0.1"))))
        #expect(try #require(IPAddress("::ffff:7f00:1")).isSameAddress(as: v4))
        #expect(!v4.isSameAddress(as: loopback))
        #expect(!v4.isSameAddress(as: try #require(IPAddress("127.0.0.2"))))
    }
}
