import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore
import SwiftASN1
import Testing
import X509

@testable import SMTPClient

/// Real TLS handshakes over loopback against a tiny scripted STARTTLS server, with certificates
/// made in the test: trusted, self-signed, for another name, expired; and a plaintext injection.
///
/// ### Why serialized?
/// Each test has its own event loop group, but all share Swift's concurrency pool: the client's
/// certificate check runs there as a `Task`, and `deinit` blocks a pool thread while the group shuts
/// down. Run side by side, the blocked shutdowns can hold every pool thread for about a second.
@Suite(.serialized) final class TLSLoopbackTests {
    struct Identity {
        let certificate: NIOSSLCertificate
        let key: NIOSSLPrivateKey
        let pem: String
        var keyPEM = ""
    }

    static func makeIdentity(names: [String], validFor interval: ClosedRange<TimeInterval> = -3600...86_400) throws
        -> Identity
    {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(names[0]) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(interval.lowerBound),
            notValidAfter: now.addingTimeInterval(interval.upperBound), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names.map { .dnsName($0) })
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        let pem = try certificate.serializeAsPEM().pemString
        return Identity(
            certificate: try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem),
            key: try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem), pem: pem,
            keyPEM: key.pemRepresentation)
    }

    /// What the server saw: each read as it arrived, and the SNI of each ClientHello.
    final class ServerLog: @unchecked Sendable {
        private let lock = NSLock()
        private var storedReads: [String] = []
        private var storedNames: [String?] = []

        var reads: [String] { lock.withLock { storedReads } }
        var serverNames: [String?] { lock.withLock { storedNames } }

        func read(_ text: String) {
            lock.withLock { storedReads.append(text) }
        }

        func clientHello(serverName: String?) {
            lock.withLock { storedNames.append(serverName) }
        }
    }

    /// Greets, answers EHLO, answers STARTTLS with 220 (plus `injection`), then does TLS and
    /// answers EHLO again; anything else gets 250.
    final class ScriptedServer: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let context: NIOSSLContext
        let injection: String
        let log: ServerLog
        var buffer = ""

        init(context: NIOSSLContext, injection: String, log: ServerLog) {
            self.context = context
            self.injection = injection
            self.log = log
        }

        func channelActive(context: ChannelHandlerContext) {
            send("220 tls.test ESMTP\r\n", context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let read = String(buffer: unwrapInboundIn(data))
            log.read(read)
            buffer += read
            while let end = buffer.range(of: "\r\n") {
                let line = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                if line.uppercased() == "STARTTLS" {
                    send("220 2.0.0 go ahead\r\n" + injection, context)
                    let tls = NIOSSLServerHandler(context: self.context)
                    try? context.pipeline.syncOperations.addHandler(tls, position: .first)
                } else if line.hasPrefix("EHLO") {
                    send("250-tls.test\r\n250 STARTTLS\r\n", context)
                } else {
                    send("250 ok\r\n", context)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }

        private func send(_ text: String, _ context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
        }
    }

    let group: MultiThreadedEventLoopGroup
    let log = ServerLog()

    init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit {
        try? group.syncShutdownGracefully()
    }

    /// - Parameters:
    ///   - unixSocketPath: listen there instead of on a loopback TCP port.
    ///   - host: the loopback address to listen on (`::1` for IPv6).
    ///   - configure: changes to the server's TLS configuration (versions, client certificates).
    func startServer(
        _ identity: Identity, injection: String = "", unixSocketPath: String? = nil, host: String = "127.0.0.1",
        configure: (inout TLSConfiguration) -> Void = { _ in }
    ) throws -> Channel {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(identity.certificate)], privateKey: .privateKey(identity.key))
        configure(&configuration)
        let log = self.log
        configuration.sslContextCallback = { values, promise in
            log.clientHello(serverName: values.serverHostname)
            promise.succeed(NIOSSLContextConfigurationOverride())
        }
        let context = try NIOSSLContext(configuration: configuration)
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ScriptedServer(context: context, injection: injection, log: log))
                }
            }
        if let unixSocketPath {
            return try bootstrap.bind(unixDomainSocketPath: unixSocketPath, cleanupExistingSocketFile: true).wait()
        }
        return try bootstrap.bind(host: host, port: 0).wait()
    }

    /// Closes the server and waits for it. A plain function because `defer` cannot `await`, and an
    /// async test may not call `wait()` directly; the wait needs only the event loop, not the pool.
    func close(_ server: Channel) {
        try? server.close().wait()
    }

    /// Connects, STARTTLS, handshake, EHLO; returns the TLS event.
    func upgrade(server: Channel, settings: TLSSettings) async throws -> ConnectionEvent {
        try await upgrade(
            address: ServerAddress(host: "127.0.0.1", port: server.localAddress!.port!), settings: settings)
    }

    /// Connects, STARTTLS, handshake, EHLO; returns the TLS event, after checking the reply to
    /// the EHLO over TLS.
    ///
    /// - Parameter before: commands sent in one group with STARTTLS, before it (RFC 2920); each
    ///   gets 250.
    func upgrade(address: ServerAddress, settings: TLSSettings, before: [String] = []) async throws
        -> ConnectionEvent
    {
        let (outcome, afterEHLO) = try await handshake(address: address, settings: settings, before: before)
        if let afterEHLO {
            #expect(afterEHLO == .reply(SMTPReply(250, "tls.test", "STARTTLS")))
        }
        return outcome
    }

    /// Connects, STARTTLS, handshake; returns the TLS event and, when it is `.tlsEstablished`,
    /// the event after EHLO is sent over TLS (its reply, or a failure the server sends only then).
    func handshake(address: ServerAddress, settings: TLSSettings, before: [String] = []) async throws
        -> (outcome: ConnectionEvent, afterEHLO: ConnectionEvent?)
    {
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await SMTPConnection.connect(
            to: address, connectTimeout: .seconds(5), implicitTLS: nil, group: group, report: { inbox.post($0) })
        defer { connection.close() }
        func next() async throws -> ConnectionEvent {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let event = inbox.takeFirst() { return event }
                // Sleep, never block: the certificate check runs as a Task on the pool this test runs on.
                try await Task.sleep(for: .milliseconds(2))
            }
            throw ConnectionError(.timedOut, "no event within 10 s")
        }
        #expect(try await next() == .reply(SMTPReply(220, "tls.test ESMTP")))
        try await connection.expectSTARTTLSReply(repliesBefore: before.count)
        try await connection.send(
            raw: Array((before + ["STARTTLS"]).map { $0 + "\r\n" }.joined().utf8), timeout: .seconds(5))
        for _ in before {
            #expect(try await next() == .reply(SMTPReply(250, "ok")))
        }
        #expect(try await next() == .reply(SMTPReply(220, "2.0.0 go ahead")))
        try await connection.startTLS(settings: settings)
        var outcome = try await next()
        // Discarded plaintext is reported before the handshake's outcome, with the report's count.
        var discarded: Int?
        if case .plaintextDiscarded(let octets) = outcome {
            discarded = octets
            outcome = try await next()
        }
        guard case .tlsEstablished(let report) = outcome else { return (outcome, nil) }
        #expect(discarded == (report.discardedPlaintextOctets > 0 ? report.discardedPlaintextOctets : nil))
        // TLS 1.3: a server that refuses the client's certificate says so only now; the write
        // may then find the connection closed, and the event says why.
        try? await connection.send(raw: Array("EHLO me.test\r\n".utf8), timeout: .seconds(5))
        return (outcome, try await next())
    }

    @Test func trustedCertificateIsVerifiedAndDescribed() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let server = try startServer(identity)
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem))
        guard case .tlsEstablished(let report) = outcome else {
            Issue.record("expected TLS, got \(outcome)")
            return
        }
        #expect(report.protocolVersion == "TLS 1.3")
        #expect(report.cipherSuite?.hasPrefix("TLS_") == true)
        #expect(
            report.verification == .verified(how: "it is the very certificate given to trust (the practice server's)"))
        #expect(report.chain.first?.subjectAlternativeNames == ["localhost"])
        #expect(report.chain.first?.sha256Fingerprint.count == 32 * 3 - 1)
        #expect(report.discardedPlaintextOctets == 0)
    }

    @Test func injectedPlaintextIsDiscardedAndCounted() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let injection = "250-forged.test\r\n250 AUTH PLAIN\r\n"
        let server = try startServer(identity, injection: injection)
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem))
        guard case .tlsEstablished(let report) = outcome else {
            Issue.record("expected TLS, got \(outcome)")
            return
        }
        #expect(report.discardedPlaintextOctets == injection.utf8.count)
    }

    /// STARTTLS last in a pipelined group sent in one write (here NOOP, NOOP, STARTTLS; RFC 2920
    /// §3.1 wants NOOP last in a group, but a debugging console sends what it is told): the server
    /// reads the group at once, both 250s are reported, and the plaintext glued to the 220 is
    /// discarded and counted (RFC 3207 §6), not taken as the server's.
    @Test func starttlsEndingAPipelinedGroupDiscardsInjectedPlaintext() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"])
        let injection = "250-forged.test\r\n250 AUTH PLAIN\r\n"
        let server = try startServer(identity, injection: injection)
        defer { close(server) }
        let outcome = try await upgrade(
            address: ServerAddress(host: "127.0.0.1", port: server.localAddress!.port!),
            settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem), before: ["NOOP", "NOOP"])
        guard case .tlsEstablished(let report) = outcome else {
            Issue.record("expected TLS, got \(outcome)")
            return
        }
        #expect(log.reads.first == "NOOP\r\nNOOP\r\nSTARTTLS\r\n")
        #expect(report.discardedPlaintextOctets == injection.utf8.count)
    }

    /// Over a UNIX-domain socket there is no host name to send: no SNI, and the certificate is
    /// checked against localhost; `--sni` sends and checks its name.
    @Test func starttlsOverAUnixSocketSendsSNIOnlyWhenGiven() async throws {
        let socket = "/tmp/ehlo-tls-\(UUID().uuidString.prefix(8)).sock"
        defer { try? FileManager.default.removeItem(atPath: socket) }
        let localhost = try Self.makeIdentity(names: ["localhost"])
        var server = try startServer(localhost, unixSocketPath: socket)
        var outcome = try await upgrade(
            address: ServerAddress(unixSocketPath: socket), settings: TLSSettings(trustedPEM: localhost.pem))
        close(server)
        guard case .tlsEstablished(let report) = outcome, case .verified = report.verification else {
            Issue.record("expected verified TLS, got \(outcome)")
            return
        }
        #expect(log.serverNames == [nil])

        let named = try Self.makeIdentity(names: ["mx.test"])
        server = try startServer(named, unixSocketPath: socket)
        defer { close(server) }
        outcome = try await upgrade(
            address: ServerAddress(unixSocketPath: socket),
            settings: TLSSettings(serverName: "mx.test", trustedPEM: named.pem))
        guard case .tlsEstablished(let report) = outcome, case .verified = report.verification else {
            Issue.record("expected verified TLS, got \(outcome)")
            return
        }
        #expect(log.serverNames == [nil, "mx.test"])
    }

    /// A CA named `caName` and a certificate for localhost that it issued.
    static func makeCAAndLeaf(caName: String = "ehlo test CA") throws -> (ca: Certificate, leaf: Identity) {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName(caName) }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: caName, subject: try DistinguishedName { CommonName("localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))
        let leafPEM = try leaf.serializeAsPEM().pemString
        let identity = Identity(
            certificate: try NIOSSLCertificate(bytes: Array(leafPEM.utf8), format: .pem),
            key: try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem), pem: leafPEM)
        return (ca, identity)
    }

    @Test func certificateIssuedByATrustedCAIsVerified() async throws {
        let (ca, identity) = try Self.makeCAAndLeaf()
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-test-ca-\(UUID()).pem")
        try ca.serializeAsPEM().pemString.write(to: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: caFile) }
        let server = try startServer(identity)
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(caFile: caFile.path, serverName: "localhost"))
        guard case .tlsEstablished(let report) = outcome else {
            Issue.record("expected TLS, got \(outcome)")
            return
        }
        #expect(report.verification == .verified(how: "its chain leads to CN=ehlo test CA"))
        #expect(report.chain.first?.issuer == "CN=ehlo test CA")
    }

    @Test func selfSignedCertificateIsRefusedWithTheReason() async throws {
        let server = try startServer(try Self.makeIdentity(names: ["localhost"]))
        defer { close(server) }
        let outcome = try await upgrade(server: server, settings: TLSSettings(serverName: "localhost"))
        #expect(outcome.failure?.code == .tlsCertificateRejected)
        #expect(outcome.failure?.certificateProblems == [.selfSigned])
    }

    @Test func certificateForAnotherNameIsRefusedWithTheNames() async throws {
        let identity = try Self.makeIdentity(names: ["mx.other.test"])
        let server = try startServer(identity)
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem))
        #expect(
            outcome.failure?.certificateProblems == [.nameMismatch(expected: "localhost", names: ["mx.other.test"])])
    }

    @Test func expiredCertificateIsRefusedWithItsDate() async throws {
        let identity = try Self.makeIdentity(names: ["localhost"], validFor: -86_400 * 10...(-86_400))
        let server = try startServer(identity)
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", trustedPEM: identity.pem))
        let notValidAfter = try Certificate(pemEncoded: identity.pem).notValidAfter
        #expect(outcome.failure?.certificateProblems == [.expired(on: notValidAfter)])
    }

    @Test func insecureGoesOnAndSaysWhy() async throws {
        let server = try startServer(try Self.makeIdentity(names: ["localhost"]))
        defer { close(server) }
        let outcome = try await upgrade(
            server: server, settings: TLSSettings(serverName: "localhost", isInsecure: true))
        guard case .tlsEstablished(let report) = outcome else {
            Issue.record("expected TLS, got \(outcome)")
            return
        }
        guard case .notVerified(let reason) = report.verification else {
            Issue.record("expected not verified")
            return
        }
        #expect(reason.contains("self-signed"), "\(reason)")
    }

    /// Certificate text is the peer's: escape sequences are shown escaped, and an iPAddress name
    /// of the wrong length is shown, not read past its end.
    @Test func hostileCertificateTextIsEscapedAndOddAddressesAreSafe() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("evil\u{1B}]0;owned\u{07}") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([
                    .dnsName("x\u{1B}[2J.test"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 1])),
                ])
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        let pem = try certificate.serializeAsPEM().pemString
        let summary = CertificateCheck.summary(
            of: certificate, nio: try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem))
        #expect(summary.subjectAlternativeNames == ["x\\e[2J.test", "IP?7f0001"])
        #expect(!summary.subject.contains("\u{1B}"))
        #expect(summary.subject.hasPrefix("CN=evil\\e]0"), "\(summary.subject)")
    }

    @Test func cipherSuiteIsReadFromServerHello() {
        // A TLS 1.2 ServerHello record with a 32-octet session id and suite 0xC02F.
        var record: [UInt8] = [22, 3, 3, 0, 80, 2, 0, 0, 76, 3, 3] + Array(repeating: 7, count: 32)
        record += [32] + Array(repeating: 9, count: 32) + [0xC0, 0x2F, 0]
        #expect(ServerHelloSniffer.cipherSuite(inRecords: record) == 0xC02F)
        #expect(ServerHelloSniffer.name(of: 0xC02F) == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        #expect(ServerHelloSniffer.cipherSuite(inRecords: Array(record.prefix(40))) == nil)
        #expect(ServerHelloSniffer.cipherSuite(inRecords: [21] + record.dropFirst()) == nil)
    }
}
