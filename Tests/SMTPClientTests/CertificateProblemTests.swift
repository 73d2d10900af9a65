import Foundation
import NIOSSL
import SMTPCore
import Testing
import X509

@testable import SMTPClient

/// Why a certificate is refused: a kind that code matches, and the clause people read (the e2e
/// tests and administrators search for these words).
@Suite struct CertificateProblemTests {
    static let day = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    /// One case per kind: the sentence is sensible.
    static let sentences: [(CertificateProblem, String)] = [
        (.expired(on: day), "it expired on 2026-01-01T00:00:00.000Z"),
        (.notYetValid(until: day), "it is not valid before 2026-01-01T00:00:00.000Z"),
        (
            .nameMismatch(expected: "localhost", names: ["mx.test", "*.mx.test"]),
            "it is for mx.test, *.mx.test, not localhost"
        ),
        (.nameMismatch(expected: "127.0.0.1", names: []), "it is for no DNS name, not 127.0.0.1"),
        (.selfSigned, "it is self-signed"),
        (
            .untrustedIssuer("CN=ehlo test CA", isCAFileGiven: false),
            "its issuer (CN=ehlo test CA) is not a CA this machine trusts"
        ),
        (
            .untrustedIssuer("CN=ehlo test CA", isCAFileGiven: true),
            "its issuer (CN=ehlo test CA) is not a CA this machine trusts (--cafile)"
        ),
        (.unparsable, "the server's certificate could not be parsed"),
        (
            .unreadableCAFile(path: "/etc/ca.pem", reason: "failedToLoadCertificate"),
            "cannot load --cafile /etc/ca.pem: failedToLoadCertificate"
        ),
        (
            .pinMismatch(
                pinned: CertificateFingerprint(sha256Digest: Array(repeating: 0xAB, count: 32)),
                presented: CertificateFingerprint(sha256Digest: Array(repeating: 0x01, count: 32))),
            "it is not the pinned certificate: its fingerprint is sha256:"
                + Array(repeating: "01", count: 32).joined(separator: ":") + ", --pin says sha256:"
                + Array(repeating: "AB", count: 32).joined(separator: ":")
        ),
    ]

    @Test(arguments: sentences)
    func eachKindReadsAsAClause(_ problem: CertificateProblem, _ sentence: String) {
        #expect(problem.description == sentence)
    }

    @Test func aRejectionNamesEveryProblemInOneSentence() {
        let error = ConnectionError.certificateRejected([
            .expired(on: Self.day), .nameMismatch(expected: "localhost", names: ["mx.test"]), .selfSigned,
        ])
        #expect(error.code == .tlsCertificateRejected)
        #expect(
            error.description
                == "the server's certificate is not trusted: it expired on 2026-01-01T00:00:00.000Z; "
                + "it is for mx.test, not localhost; it is self-signed")
    }

    @Test func otherErrorsCarryNoCertificateProblems() {
        #expect(ConnectionError(.connectionReset, "connection reset by the server").certificateProblems.isEmpty)
    }

    // MARK: What CertificateCheck finds, without a handshake

    private func problems(
        _ identity: TLSLoopbackTests.Identity, expectedName: String = "localhost", caFile: String? = nil,
        trustedPEM: String? = nil
    ) async -> [CertificateProblem] {
        let check = CertificateCheck(expectedName: expectedName, caFile: caFile, trustedPEM: trustedPEM)
        return await check.check([identity.certificate]).problems
    }

    @Test func aTrustedCertificateHasNoProblems() async throws {
        let identity = try TLSLoopbackTests.makeIdentity(names: ["localhost"])
        #expect(await problems(identity, trustedPEM: identity.pem) == [])
    }

    @Test func aCertificateForLaterIsNotYetValid() async throws {
        let identity = try TLSLoopbackTests.makeIdentity(names: ["localhost"], validFor: 86_400...(86_400 * 2))
        let notValidBefore = try Certificate(pemEncoded: identity.pem).notValidBefore
        #expect(await problems(identity, trustedPEM: identity.pem) == [.notYetValid(until: notValidBefore)])
    }

    /// Dates first, then the name, then self-signed: the order the sentence gives them.
    @Test func everyProblemIsNamedInOrder() async throws {
        let identity = try TLSLoopbackTests.makeIdentity(names: ["mx.other.test"], validFor: -86_400 * 10...(-86_400))
        let notValidAfter = try Certificate(pemEncoded: identity.pem).notValidAfter
        #expect(
            await problems(identity)
                == [
                    .expired(on: notValidAfter), .nameMismatch(expected: "localhost", names: ["mx.other.test"]),
                    .selfSigned,
                ])
    }

    @Test func anIssuerThisMachineDoesNotTrustIsNamed() async throws {
        let (_, leaf) = try TLSLoopbackTests.makeCAAndLeaf()
        #expect(await problems(leaf) == [.untrustedIssuer("CN=ehlo test CA", isCAFileGiven: false)])
    }

    @Test func anIssuerMissingFromCAFileIsNamed() async throws {
        let (_, leaf) = try TLSLoopbackTests.makeCAAndLeaf()
        let (otherCA, _) = try TLSLoopbackTests.makeCAAndLeaf(caName: "another CA")
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-test-ca-\(UUID()).pem")
        try otherCA.serializeAsPEM().pemString.write(to: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: caFile) }
        #expect(await problems(leaf, caFile: caFile.path) == [.untrustedIssuer("CN=ehlo test CA", isCAFileGiven: true)])
    }

    /// RFC 6125 §6.2.1: iPAddress names compare as octets, whatever the form the host was written in.
    @Test(arguments: ["::1", "[::1]", "0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001"])
    func anIPv6AddressMatchesInEveryForm(expectedName: String) async throws {
        let identity = try TestCA().issue(commonName: "v6", names: [.ipv6Loopback])
        #expect(await problems(identity, expectedName: expectedName, trustedPEM: identity.pem) == [])
    }

    @Test func anotherAddressIsNamedInShortForm() async throws {
        let identity = try TestCA().issue(commonName: "v6", names: [.ipv6Loopback, .dnsName("localhost")])
        #expect(
            await problems(identity, expectedName: "0:0:0:0:0:0:0:2", trustedPEM: identity.pem) == [
                .nameMismatch(expected: "::2", names: ["::1", "localhost"])
            ])
    }

    @Test func aCAFileThatCannotBeReadIsNamed() async throws {
        let identity = try TLSLoopbackTests.makeIdentity(names: ["localhost"])
        let missing = "/nonexistent/ehlo-\(UUID()).pem"
        let found = await problems(identity, caFile: missing)
        guard case .unreadableCAFile(let path, _) = found.first, found.count == 1 else {
            Issue.record("expected an unreadable --cafile, got \(found)")
            return
        }
        #expect(path == missing)
    }
}
