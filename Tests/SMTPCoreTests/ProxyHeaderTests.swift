import SMTPCore
import Testing

/// The PROXY protocol header byte for byte, as haproxy's proxy-protocol.txt §2.1 (v1) and §2.2
/// (v2) lay it out.
@Suite struct ProxyHeaderTests {
    private static func endpoint(_ address: String, _ port: Int) -> ProxyHeader.Endpoint {
        ProxyHeader.Endpoint(address: IPAddress(parsing: address)!, port: port)
    }

    private static func header(
        _ version: ProxyHeader.Version, _ client: String, _ clientPort: Int, _ server: String, _ serverPort: Int
    ) -> ProxyHeader {
        ProxyHeader(
            version: version,
            connection: .tcp(client: endpoint(client, clientPort), server: endpoint(server, serverPort)))
    }

    private static let signature: [UInt8] = Array("\r\n\r\n\0\r\nQUIT\n".utf8)

    @Test func v1OverIPv4IsOneLineWithAddressesThenPorts() {
        let header = Self.header(.v1, "192.0.2.7", 4242, "127.0.0.1", 25)
        #expect(header.bytes == Array("PROXY TCP4 192.0.2.7 127.0.0.1 4242 25\r\n".utf8))
    }

    @Test func v1OverIPv6WritesCanonicalAddresses() {
        let header = Self.header(.v1, "2001:DB8:0:0:0:0:0:7", 4242, "0:0:0:0:0:0:0:1", 25)
        #expect(header.bytes == Array("PROXY TCP6 2001:db8::7 ::1 4242 25\r\n".utf8))
    }

    @Test func v1WithoutTCPAddressesIsUnknown() {
        let header = ProxyHeader(version: .v1, connection: .unknown)
        #expect(header.bytes == Array("PROXY UNKNOWN\r\n".utf8))
    }

    @Test func v1LongestLineFitsTheSpecsBuffer() {
        let all = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let header = Self.header(.v1, all, 65535, all, 65535)
        // §2.1: 104 characters with the CRLF for TCP6.
        #expect(header.bytes.count == 104)
    }

    @Test func v2OverIPv4() {
        let header = Self.header(.v2, "192.0.2.7", 4242, "127.0.0.1", 25)
        #expect(
            header.bytes
                == Self.signature + [
                    0x21,  // version 2, PROXY
                    0x11,  // AF_INET, STREAM
                    0x00, 0x0C,  // 12 octets follow
                    192, 0, 2, 7,  // source
                    127, 0, 0, 1,  // destination
                    0x10, 0x92,  // 4242
                    0x00, 0x19,  // 25
                ])
    }

    @Test func v2OverIPv6() {
        let header = Self.header(.v2, "2001:db8::7", 4242, "::1", 25)
        let source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [7]
        let destination: [UInt8] = Array(repeating: 0, count: 15) + [1]
        #expect(
            header.bytes
                == Self.signature + [0x21, 0x21, 0x00, 0x24] + source + destination + [0x10, 0x92, 0x00, 0x19])
    }

    @Test func v2WithoutTCPAddressesIsLocalWithNoAddressBlock() {
        let header = ProxyHeader(version: .v2, connection: .unknown)
        #expect(header.bytes == Self.signature + [0x20, 0x00, 0x00, 0x00])
        #expect(header.bytes.count == 16)
    }

    @Test func v2SignatureIsTheSpecsTwelveOctets() {
        #expect(ProxyHeader.v2Signature == [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A])
    }

    /// One family for both ends: an IPv4 client claimed on an IPv6 connection is IPv4-mapped.
    @Test(arguments: [ProxyHeader.Version.v1, .v2])
    func mixedFamiliesAreWrittenAsIPv6(version: ProxyHeader.Version) {
        let header = Self.header(version, "192.0.2.7", 4242, "::1", 25)
        #expect(
            header.connection == .tcp(client: Self.endpoint("::ffff:192.0.2.7", 4242), server: Self.endpoint("::1", 25))
        )
        if version == .v1 {
            #expect(header.bytes == Array("PROXY TCP6 ::ffff:c000:207 ::1 4242 25\r\n".utf8))
        } else {
            #expect(header.bytes[13] == 0x21)
        }
    }

    @Test func summaryNamesVersionClientAndServer() {
        #expect(
            Self.header(.v2, "192.0.2.7", 4242, "127.0.0.1", 25).summary
                == "PROXY v2 header sent: client 192.0.2.7:4242, server 127.0.0.1:25")
        #expect(
            Self.header(.v1, "2001:db8::7", 4242, "::1", 25).summary
                == "PROXY v1 header sent: client [2001:db8::7]:4242, server [::1]:25")
        #expect(ProxyHeader(version: .v2, connection: .unknown).summary.hasPrefix("PROXY v2 header sent: LOCAL"))
        #expect(ProxyHeader(version: .v1, connection: .unknown).summary.hasPrefix("PROXY v1 header sent: UNKNOWN"))
    }

    @Test(arguments: ["192.0.2.7:4242", "[2001:db8::7]:4242"])
    func anEndpointReadsWhatItWrites(text: String) throws {
        let endpoint = try #require(ProxyHeader.Endpoint(parsing: text))
        #expect(endpoint.description == text)
    }

    @Test(arguments: ["192.0.2.7", "mx.test:25", "192.0.2.7:0", "[2001:db8::7]", ""])
    func anEndpointIsAnAddressAndAPort(text: String) {
        #expect(ProxyHeader.Endpoint(parsing: text) == nil)
    }
}
