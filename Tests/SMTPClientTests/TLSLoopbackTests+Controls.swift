import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore
import Testing
import X509

@testable import SMTPClient

/// The TLS controls, over real handshakes on loopback: an IP address in the certificate for
/// `[::1]`, `--pin`, a client certificate a server requires, and `--tls-min`.
extension TLSLoopbackTests {
    /// Whether this machine has an IPv6 loopback to listen on (containers often have none).
    static let hasIPv6Loopback: Bool = {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        guard let channel = try? ServerBootstrap(group: group).bind(host: "::1", port: 0).wait() else { return false }
        try? channel.close().wait()
        return true
    }()

    static func fingerprint(of identity: Identity) throws -> CertificateFingerprint {
        CertificateFingerprint(sha256Digest: SHA256.hash(data: try identity.certificate.toDERBytes()))
    }

    // MARK: IPv6 and IP addresses in certificates

    /// RFC 6125 §6.2.1: an address is compared with the certificate's iPAddress names as octets,
    /// however it was written.
    @Test(
        .enabled(if: hasIPv6Loopback, "no IPv6 loopback (::1) on this machine"),
        arguments: [nil, "0:0:0:0:0:0:0:1", "[::1]"])
    func certificateForIPv6LoopbackIsVerifiedAtBracketedAddress(serverName: String?) async throws {
        let identity = try TestCA().issue(commonName: "ipv6 loopback", names: [.ipv6Loopback])
        let server = try startServer(identity, host: "::1")
        defer { close(server) }
        let address = try ServerAddress(parsing: "[::1]:\(server.localAddress!.port!)", defaultPort: 25)
        let outcome = try await upgrade(
            address: address, settings: TLSSettings(serverName: serverName, trustedPEM: identity.pem))
        #expect(
            outcome.report?.verification
                == .verified(how: "it is the very certificate given to trust (the practice server's)"))
        #expect(outcome.report?.chain.first?.subjectAlternativeNames == ["::1"])
        // SNI carries names only (RFC 6066 §3).
        #expect(log.serverNames == [nil])
    }

    /// The same through a CA's chain: swift-certificates validates the chain, the address is ours to check.
    @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback (::1) on this machine"))
    func certificateIssuedForIPv6LoopbackByATrustedCAIsVerified() async throws {
        let ca = try TestCA()
        let caFile = try ca.writePEM()
        defer { try? FileManager.default.removeItem(at: caFile) }
        let server = try startServer(try ca.issue(commonName: "ipv6 loopback", names: [.ipv6Loopback]), host: "::1")
        defer { close(server) }
        let outcome = try await upgrade(
            address: ServerAddress(host: "::1", port: server.localAddress!.port!),
            settings: TLSSettings(caFile: caFile.path))
        #expect(outcome.report?.verification == .verified(how: "its chain leads to CN=ehlo test CA"))
    }

    @Test(.enabled(if: hasIPv6Loopback, "no IPv6 loopback (::1) on this machine"))
    func certificateForAnotherAddressNamesBothInShortForm() async throws {
        let ca = try TestCA()
        let caFile = try ca.writePEM()
        defer { try? FileManager.default.removeItem(at: caFile) }
        let server = try startServer(try ca.issue(commonName: "v4", names: [.ipv4Loopback]), host: "::1")
        defer { close(server) }
        let outcome = try await upgrade(
            address: ServerAddress(host: "0:0:0:0:0:0:0:1", port: server.localAddress!.port!),
            settings: TLSSettings(caFile: caFile.path))
        #expect(outcome.failure?.certificateProblems == [.nameMismatch(expected: "::1", names: ["127.0.0.1"])])
        #expect(outcome.failure?.description == "the server's certificate is not trusted: it is for 127.0.0.1, not ::1")
    }

    /// An IPv4 address and its IPv4-mapped IPv6 form are one host (RFC 4291 §2.5.5.2).
    @Test func ipv4AddressMatchesItsMappedForm() async throws {
        let ca = try TestCA()
        let caFile = try ca.writePEM()
        defer { try? FileManager.default.removeItem(at: caFile) }
        let server = try startServer(try ca.issue(commonName: "v4", names: [.ipv4Loopback]))
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(caFile: caFile.path, serverName: "::ffff:127.0.0.1"))
        #expect(outcome.report?.verification == .verified(how: "its chain leads to CN=ehlo test CA"))
    }

    // MARK: --pin

    /// A pin trusts the one certificate whatever its chain and name: self-signed, for another name.
    @Test func pinnedCertificateIsVerifiedWhateverItsNameAndIssuer() async throws {
        let identity = try Self.makeIdentity(names: ["mx.other.test"])
        let pin = try Self.fingerprint(of: identity)
        let server = try startServer(identity)
        defer { close(server) }
        let outcome = try await upgrade(server: server, settings: TLSSettings(pinnedCertificate: pin))
        #expect(outcome.report?.verification == .verified(how: "pinned certificate \(pin)"))
        #expect(outcome.report?.chain.first?.fingerprint == pin)
    }

    @Test(arguments: [false, true])
    func anotherCertificateThanThePinnedOneIsRefusedWithBothFingerprints(isInsecure: Bool) async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let presented = try Self.fingerprint(of: identity)
        let pin = try Self.fingerprint(of: try Self.makeIdentity(names: ["localhost"]))
        let server = try startServer(identity)
        defer { close(server) }
        // Trusted otherwise, and --insecure set in the settings: the pin still decides.
        let outcome = try await upgrade(
            server: server,
            settings: TLSSettings(
                serverName: "localhost", trustedPEM: identity.pem, isInsecure: isInsecure, pinnedCertificate: pin))
        let failure = try #require(outcome.failure)
        #expect(failure.code == .tlsCertificateRejected)
        #expect(failure.certificateProblems == [.pinMismatch(pinned: pin, presented: presented)])
        #expect(
            failure.description
                == "the server's certificate is not trusted: it is not the pinned certificate: its fingerprint is \(presented), --pin says \(pin)"
        )
        #expect(failure.certificateChain.map(\.fingerprint) == [presented])
    }

    // MARK: The chain of a refused handshake, for /cert

    @Test func refusedChainTravelsWithTheFailure() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let server = try startServer(identity)
        defer { close(server) }
        let outcome = try await upgrade(server: server, settings: TLSSettings(serverName: "localhost"))
        let failure = try #require(outcome.failure)
        #expect(failure.certificateProblems == [.selfSigned])
        #expect(failure.certificateChain.map(\.subject) == ["CN=localhost"])
        #expect(failure.certificateChain.first?.pem == identity.pem)
    }

    // MARK: Client certificates

    /// A server that requires a client certificate issued by `ca` (RFC 8446 §4.3.2), speaking
    /// at most `maximum`.
    private func startServerRequiringClientCertificate(ca: TestCA, maximum: TLSVersion = .tlsv13) throws -> Channel {
        let caCertificate = try ca.nioCertificate
        return try startServer(try Self.makeIdentity(names: ["localhost"])) { configuration in
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates([caCertificate])
            configuration.maximumTLSVersion = maximum
        }
    }

    private func clientCertificate(issuedBy ca: TestCA, name: String = "student") throws -> ClientCertificate {
        let identity = try ca.issue(commonName: name, names: [.dnsName("\(name).test")], usage: .clientAuth)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-client-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let certificateFile = folder.appendingPathComponent("client.pem")
        let keyFile = folder.appendingPathComponent("client.key")
        try identity.pem.write(to: certificateFile, atomically: true, encoding: .utf8)
        try identity.keyPEM.write(to: keyFile, atomically: true, encoding: .utf8)
        return try ClientCertificate.load(certificateFile: certificateFile.path, keyFile: keyFile.path)
    }

    @Test(arguments: [TLSVersion.tlsv12, .tlsv13])
    func clientCertificateRequiredIsOfferedAndNamed(maximum: TLSVersion) async throws {
        let ca = try TestCA()
        let server = try startServerRequiringClientCertificate(ca: ca, maximum: maximum)
        defer { close(server) }
        let client = try clientCertificate(issuedBy: ca)
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", isInsecure: true, clientCertificate: client))
        #expect(outcome.report?.clientCertificate == "CN=student")
        #expect(outcome.report?.protocolVersion == (maximum == .tlsv13 ? "TLS 1.3" : "TLS 1.2"))
    }

    /// TLS 1.2: the CertificateRequest is seen in the clear, and the bare handshake_failure that
    /// follows is read as the certificate missing. TLS 1.3: the server's certificate_required
    /// alert comes after the client's side of the handshake ended, with the reply to EHLO.
    @Test(arguments: [TLSVersion.tlsv12, .tlsv13])
    func clientCertificateRequiredButMissingIsSaid(maximum: TLSVersion) async throws {
        let server = try startServerRequiringClientCertificate(ca: try TestCA(), maximum: maximum)
        defer { close(server) }
        let (outcome, afterEHLO) = try await handshake(
            address: ServerAddress(host: "127.0.0.1", port: server.localAddress!.port!),
            settings: TLSSettings(serverName: "localhost", isInsecure: true))
        let failure = try #require(
            (maximum == .tlsv13 ? afterEHLO : outcome)?.failure, "\(outcome) \(String(describing: afterEHLO))")
        #expect(failure.code == .tlsClientCertificateRequired)
        #expect(
            failure.description.hasPrefix(
                "the server requires a client certificate and none was offered: give one with --cert FILE --key FILE ["),
            "\(failure)")
        #expect(failure.certificateChain.map(\.subject) == ["CN=localhost"])
    }

    @Test(arguments: [TLSVersion.tlsv12, .tlsv13])
    func clientCertificateFromAnotherCAIsRefusedByTheServer(maximum: TLSVersion) async throws {
        let server = try startServerRequiringClientCertificate(ca: try TestCA(), maximum: maximum)
        defer { close(server) }
        let client = try clientCertificate(issuedBy: try TestCA(name: "another CA"))
        let (outcome, afterEHLO) = try await handshake(
            address: ServerAddress(host: "127.0.0.1", port: server.localAddress!.port!),
            settings: TLSSettings(serverName: "localhost", isInsecure: true, clientCertificate: client))
        let failure = try #require(
            (maximum == .tlsv13 ? afterEHLO : outcome)?.failure, "\(outcome) \(String(describing: afterEHLO))")
        #expect(failure.code == .tlsClientCertificateRejected)
        #expect(
            failure.description.hasPrefix(
                "the server refused the client certificate offered (CN=student, --cert \(client.certificateFile)): it does not trust the CA that issued it ["
            ), "\(failure)")
    }

    // MARK: --tls-min

    @Test func offeredVersionsAreReportedWithTheNegotiatedOne() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let server = try startServer(identity) { $0.maximumTLSVersion = .tlsv12 }
        defer { close(server) }
        var outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem))
        #expect(outcome.report?.protocolVersion == "TLS 1.2")
        #expect(outcome.report?.offeredVersions == "TLS 1.0–1.3")
        outcome = try await upgrade(
            server: server,
            settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem, minimumVersion: .v1_2))
        #expect(outcome.report?.offeredVersions == "TLS 1.2–1.3")
    }

    @Test func minimumAboveWhatTheServerSpeaksFailsNamingBoth() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let server = try startServer(identity) { $0.maximumTLSVersion = .tlsv12 }
        defer { close(server) }
        let outcome = try await upgrade(
            server: server,
            settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem, minimumVersion: .v1_3))
        let failure = try #require(outcome.failure)
        #expect(failure.code == .tlsVersionRefused)
        #expect(
            failure.description
                == "the server accepts none of the TLS versions offered (TLS 1.3 only, --tls-min 1.3); it may speak only TLS 1.2 or older [TLSV1_ALERT_PROTOCOL_VERSION]"
        )
    }

    /// BoringSSL's UNSUPPORTED_PROTOCOL: the ServerHello chose a version below the minimum; the
    /// sniffer read which.
    @Test func serverChoosingAVersionBelowTheMinimumIsNamed() {
        let failure = TLSHandshakeHandler.versionRefused(
            reason: "UNSUPPORTED_PROTOCOL", chosen: .v1_1, minimum: .v1_2)
        #expect(failure.code == .tlsVersionRefused)
        #expect(
            failure.description
                == "the server chose TLS 1.1, below --tls-min 1.2 (offered: TLS 1.2–1.3) [UNSUPPORTED_PROTOCOL]")
    }

    /// A TLS 1.2 first flight in the clear: ServerHello (version, suite), then a CertificateRequest.
    @Test func certificateRequestInTheClearIsSeen() {
        var hello: [UInt8] = [3, 3] + Array(repeating: 7, count: 32) + [0] + [0xC0, 0x2B, 0] + [0, 0]
        hello = [2, 0, 0, UInt8(hello.count)] + hello
        let request: [UInt8] = [13, 0, 0, 4, 1, 64, 0, 0]
        let done: [UInt8] = [14, 0, 0, 0]
        let handshake = hello + request + done
        // Split over two records, as a long flight is.
        let records: [UInt8] =
            [22, 3, 3, 0, 10] + handshake.prefix(10) + [22, 3, 3, 0, UInt8(handshake.count - 10)]
            + handshake.dropFirst(10)
        let flight = ServerHelloSniffer.flight(inRecords: records)
        #expect(flight.cipherSuite == 0xC02B)
        #expect(flight.version == .v1_2)
        #expect(flight.requestsClientCertificate)
        #expect(flight.isComplete)
    }
}
