import SMTPCore
import SwiftASN1
import Testing
import X509

@testable import SMTPServer

/// The generated certificate covers every name a class may connect by (RFC 6125 §6.2.1: an IP
/// address matches only an iPAddress name).
@Suite struct PracticeCertificateTests {
    @Test func generatedCertificateNamesTheDomainLocalhostAndEachAddressAsAnIPAddress() throws {
        let lan = try #require(IPAddress(parsing: "192.0.2.40"))
        let (certificate, _) = try PracticeCertificate.makeSelfSigned(
            domain: "practice.test", addresses: [lan, .v4([127, 0, 0, 1])])
        let parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        let names = try #require(try parsed.extensions.subjectAlternativeNames)
        var dns: [String] = []
        var addresses: [String] = []
        for name in names {
            switch name {
            case .dnsName(let name): dns.append(name)
            case .ipAddress(let octets): addresses.append(IPAddress(octets: octets.bytes)?.description ?? "?")
            default: Issue.record("unexpected name \(name)")
            }
        }
        #expect(dns == ["practice.test", "localhost"])
        // 127.0.0.1 once, though the listen address repeats it.
        #expect(addresses == ["127.0.0.1", "::1", "192.0.2.40"])
    }

    @Test func namesAreDescribedAsServePrintsThem() {
        let names = PracticeCertificate.subjectAlternativeNames(domain: "localhost", addresses: [])
        #expect(names.map(PracticeCertificate.describe) == ["localhost", "127.0.0.1", "::1"])
    }
}
