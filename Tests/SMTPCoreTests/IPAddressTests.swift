import SMTPCore
import Testing

/// `IPAddress`: the text forms of RFC 791 and RFC 4291 §2.2 in, RFC 5952 §4 out.
@Suite struct IPAddressTests {
    @Test(
        arguments: [
            ("127.0.0.1", [127, 0, 0, 1]),
            ("0.0.0.0", [0, 0, 0, 0]),
            ("255.255.255.255", [255, 255, 255, 255]),
            ("192.0.2.7", [192, 0, 2, 7]),
        ] as [(String, [UInt8])])
    func dottedQuadsParse(text: String, octets: [UInt8]) {
        #expect(IPAddress(parsing: text) == .v4(octets))
        #expect(IPAddress(parsing: text)?.description == text)
    }

    @Test(arguments: [
        ("::1", "::1"),
        ("::", "::"),
        ("2001:db8::7", "2001:db8::7"),
        ("2001:DB8:0:0:0:0:0:7", "2001:db8::7"),
        ("2001:0db8:0000:0000:0000:0000:0000:0007", "2001:db8::7"),
        ("fe80::", "fe80::"),
        // RFC 5952 §4.2.2: one zero group stays "0".
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        // §4.2.3: the longest run of zeros, the first of equal ones.
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::ffff:192.0.2.7", "::ffff:c000:207"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:2:3:4:5:6::", "1:2:3:4:5:6::"),
    ])
    func ipv6TextFormsParseAndPrintCanonically(text: String, canonical: String) throws {
        let address = try #require(IPAddress(parsing: text))
        #expect(!address.isIPv4)
        #expect(address.octets.count == 16)
        #expect(address.description == canonical)
        #expect(IPAddress(parsing: canonical) == address)
    }

    @Test(arguments: [
        "", "localhost", "mx.example.test", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "1..2.3",
        ":", ":::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::", "g::1",
        ":1:2:3:4:5:6:7", "[::1]", "::1%eth0", "::1.2.3", "1.2.3.4::",
    ])
    func otherTextIsNoAddress(text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func ipv4MapsIntoIPv6() {
        #expect(IPAddress(parsing: "192.0.2.7")?.asIPv6 == IPAddress(parsing: "::ffff:192.0.2.7"))
        #expect(IPAddress(parsing: "::1")?.asIPv6 == IPAddress(parsing: "::1"))
    }

    @Test(arguments: [
        ("[::1]", "::1"), ("[0:0:0:0:0:0:0:1]", "::1"), ("fe80::1%eth0", "fe80::1"), ("127.0.0.1", "127.0.0.1"),
    ])
    func aHostAsTypedMayHaveBracketsAndAZone(text: String, canonical: String) {
        #expect(IPAddress(host: text)?.description == canonical)
    }

    @Test(arguments: ["localhost", "[::1", "[127.0.0.1", "::1]"])
    func aHostThatIsNoAddress(text: String) {
        #expect(IPAddress(host: text) == nil)
    }

    @Test func octetsFromACertificateAreFourOrSixteen() {
        #expect(IPAddress(octets: [127, 0, 0, 1])?.description == "127.0.0.1")
        #expect(IPAddress(octets: Array(repeating: 0, count: 15) + [1])?.description == "::1")
        #expect(IPAddress(octets: [127, 0, 1]) == nil)
    }

    @Test func oneHostInItsForms() throws {
        let loopback = try #require(IPAddress(parsing: "::1"))
        #expect(loopback.isSameAddress(as: try #require(IPAddress(host: "[0:0:0:0:0:0:0:1]"))))
        let v4 = try #require(IPAddress(parsing: "127.0.0.1"))
        #expect(v4.isSameAddress(as: try #require(IPAddress(parsing: "::ffff:127.0.0.1"))))
        #expect(try #require(IPAddress(parsing: "::ffff:7f00:1")).isSameAddress(as: v4))
        #expect(!v4.isSameAddress(as: loopback))
        #expect(!v4.isSameAddress(as: try #require(IPAddress(parsing: "127.0.0.2"))))
    }
}
