import Foundation
import NIOCore
import NIOPosix
import SMTPCore
import Testing

@testable import SMTPClient

/// Opening a connection as `-4`, `-6`, `--source` and `--proxy` ask, against loopback servers:
/// what the server reads first, where it sees the connection come from, and the failures a
/// user meets, by code.
@Suite final class ConnectionSettingsTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    deinit {
        try? group.syncShutdownGracefully()
    }

    private func connect(
        _ address: ServerAddress, _ settings: ConnectionSettings, implicitTLS: TLSSettings? = nil,
        inbox: EventInbox<ConnectionEvent> = EventInbox()
    ) async throws(ConnectionError) -> SMTPConnection {
        try await SMTPConnection.connect(
            to: address, connectTimeout: .seconds(5), implicitTLS: implicitTLS, settings: settings, group: group,
            report: { inbox.post($0) })
    }

    private func failure(_ address: ServerAddress, _ settings: ConnectionSettings) async -> ConnectionError? {
        do {
            try await connect(address, settings).close()
            return nil
        } catch {
            return error
        }
    }

    private static func endpoint(_ text: String) -> ProxyHeader.Endpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return IPAddress(parsing: host).map { ProxyHeader.Endpoint(address: $0, port: port) }
    }

    @Test(arguments: ProxyHeader.Version.allCases)
    func proxyHeaderIsTheFirstThingTheServerReads(version: ProxyHeader.Version) async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(
            ServerAddress(host: "127.0.0.1", port: server.port), ConnectionSettings(proxy: version), inbox: inbox)
        defer { connection.close() }
        let client = try #require(connection.localAddressDescription.flatMap(Self.endpoint))
        let expected = ProxyHeader(
            version: version,
            connection: .tcp(
                client: client,
                server: ProxyHeader.Endpoint(address: IPAddress(parsing: "127.0.0.1")!, port: server.port)))
        #expect(inbox.next() == .proxyHeaderSent(expected))
        #expect(inbox.next() == .reply(SMTPReply(220, "loop.test ESMTP")))
        try await connection.send(raw: Array("EHLO client.test\r\n".utf8), timeout: .seconds(5))
        server.waitForReads(octets: expected.bytes.count + 18)
        #expect(server.octets == expected.bytes + Array("EHLO client.test\r\n".utf8))
    }

    @Test func proxyHeaderNamesTheClaimedClient() async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let claimed = try #require(Self.endpoint("192.0.2.7:4242"))
        let connection = try await connect(
            ServerAddress(host: "127.0.0.1", port: server.port), ConnectionSettings(proxy: .v1, proxyClient: claimed))
        defer { connection.close() }
        server.waitForReads(octets: 1)
        #expect(server.reads.joined() == "PROXY TCP4 192.0.2.7 127.0.0.1 4242 \(server.port)\r\n")
    }

    /// The header belongs to the TCP connection: it goes out before the TLS ClientHello.
    @Test func proxyHeaderPrecedesImplicitTLS() async throws {
        let server = try LoopbackServer.start(on: group, greeting: "")
        defer { server.close() }
        let connection = try await connect(
            ServerAddress(host: "127.0.0.1", port: server.port), ConnectionSettings(proxy: .v2),
            implicitTLS: TLSSettings(isInsecure: true))
        defer { connection.close() }
        server.waitForReads(octets: 28 + 5)
        let octets = server.octets
        #expect(Array(octets.prefix(12)) == ProxyHeader.v2Signature)
        #expect(octets.count > 28)
        // A TLS handshake record follows the 28 octets of the header (RFC 8446 §5.1: type 22).
        #expect(octets.dropFirst(28).first == 22)
    }

    @Test(arguments: ProxyHeader.Version.allCases)
    func overAUnixSocketTheHeaderSaysUnknownOrLocal(version: ProxyHeader.Version) async throws {
        let path = "/tmp/ehlo-proxy-\(UUID().uuidString.prefix(8))"
        let server = try LoopbackServer.start(on: group, unixSocketPath: path)
        defer {
            server.close()
            unlink(path)
        }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(
            ServerAddress(unixSocketPath: path), ConnectionSettings(proxy: version), inbox: inbox)
        defer { connection.close() }
        let expected = ProxyHeader(version: version, connection: .unknown)
        #expect(inbox.next() == .proxyHeaderSent(expected))
        server.waitForReads(octets: expected.bytes.count)
        #expect(server.octets == expected.bytes)
        #expect(connection.localAddressDescription == nil)
    }

    @Test func sourceAddressIsWhereTheServerSeesTheConnectionComeFrom() async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let source = try #require(IPAddress(parsing: "127.0.0.2"))
        let connection = try await connect(
            ServerAddress(host: "localhost", port: server.port), ConnectionSettings(sourceAddress: source))
        defer { connection.close() }
        #expect(connection.localAddressDescription?.hasPrefix("127.0.0.2:") == true)
        server.waitForReads(octets: 0)
        let deadline = Date().addingTimeInterval(5)
        while server.peers.isEmpty, Date() < deadline { usleep(2000) }
        #expect(server.peers.first?.ipAddress == "127.0.0.2")
    }

    @Test func aSourceAddressNotOfThisMachineCannotBeBound() async {
        // TEST-NET-1 (RFC 5737): on no interface here, so bind(2) refuses it; nothing is sent.
        let error = await failure(
            ServerAddress(host: "127.0.0.1", port: 25),
            ConnectionSettings(sourceAddress: IPAddress(parsing: "192.0.2.9")))
        #expect(error?.code == .badAddress)
        #expect(error?.description.hasPrefix("cannot bind the local address 192.0.2.9 (--source)") == true)
    }

    @Test func ipv4OnlyConnectsToLocalhostOverIPv4() async throws {
        let server = try LoopbackServer.start(on: group)
        defer { server.close() }
        let connection = try await connect(
            ServerAddress(host: "localhost", port: server.port), ConnectionSettings(family: .ipv4))
        defer { connection.close() }
        #expect(connection.remoteAddressDescription == "127.0.0.1:\(server.port)")
    }

    @Test func ipv6OnlyRefusesAnIPv4Literal() async {
        let error = await failure(ServerAddress(host: "127.0.0.1", port: 25), ConnectionSettings(family: .ipv6))
        #expect(error?.code == .noAddress)
        #expect(error?.description == "127.0.0.1 is an IPv4 address, not an IPv6 one (-6)")
    }

    @Test func ipv4OnlyRefusesAnIPv6Literal() async {
        let error = await failure(ServerAddress(host: "::1", port: 25), ConnectionSettings(family: .ipv4))
        #expect(error?.code == .noAddress)
        #expect(error?.description == "::1 is an IPv6 address, not an IPv4 one (-4)")
    }

    /// `localhost` over IPv6 where /etc/hosts gives it ::1, else a sentence that says it has none.
    @Test func ipv6OnlyReachesLocalhostOverIPv6OrSaysItHasNoSuchAddress() async throws {
        let server = try LoopbackServer.start(on: group, host: "::1")
        defer { server.close() }
        do {
            let connection = try await connect(
                ServerAddress(host: "localhost", port: server.port), ConnectionSettings(family: .ipv6))
            defer { connection.close() }
            #expect(connection.remoteAddressDescription == "[::1]:\(server.port)")
        } catch {
            #expect(error.code == .noAddress)
            #expect(error.description.hasPrefix("localhost has no IPv6 address (-6); it has 127.0.0.1"))
        }
    }

    @Test func unknownHostsStayUnknownWithAFamily() async {
        let error = await failure(
            ServerAddress(host: "no-such-host.invalid", port: 25), ConnectionSettings(family: .ipv4))
        #expect(error?.code == .unknownHost)
    }

    @Test func theFamilyComesFromTheSourceThenTheClaimedClient() {
        let v4 = IPAddress(parsing: "127.0.0.2")
        let v6Client = ProxyHeader.Endpoint(address: IPAddress(parsing: "2001:db8::7")!, port: 1)
        #expect(ConnectionSettings().resolvedFamily == .any)
        #expect(ConnectionSettings(sourceAddress: v4).resolvedFamily == .ipv4)
        #expect(ConnectionSettings(family: .ipv6, sourceAddress: v4).resolvedFamily == .ipv6)
        #expect(ConnectionSettings(proxy: .v1, proxyClient: v6Client).resolvedFamily == .ipv6)
        #expect(ConnectionSettings(sourceAddress: v4, proxy: .v1, proxyClient: v6Client).resolvedFamily == .ipv4)
        #expect(ConnectionSettings(proxyClient: v6Client).resolvedFamily == .any)
    }
}
