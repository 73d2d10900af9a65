import Foundation
import NIOCore
import NIOPosix
import SMTPCore
import Testing

@testable import SMTPClient

/// Connecting to a UNIX-domain socket (where LMTP servers usually listen), and the failures a
/// user meets there, by code.
@Suite final class UnixSocketTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let directory: URL

    init() throws {
        // Short: a socket path holds at most 107 bytes.
        directory = URL(fileURLWithPath: "/tmp/ehlo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? group.syncShutdownGracefully()
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    private func connect(_ text: String, inbox: EventInbox<ConnectionEvent>) async throws(ConnectionError)
        -> SMTPConnection
    {
        guard let address = try? ServerAddress(parsing: text, defaultPort: 25) else {
            preconditionFailure("test address \(text) does not parse")
        }
        return try await SMTPConnection.connect(
            to: address, connectTimeout: .seconds(5), implicitTLS: nil, group: group, report: { inbox.post($0) })
    }

    private func failure(connecting text: String) async -> ConnectionError? {
        do {
            let connection = try await connect(text, inbox: EventInbox())
            connection.close()
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: ["unix:", ""])
    func greetingArrivesOverASocket(prefix: String) async throws {
        let socket = path("lmtp")
        let server = try LoopbackServer.start(
            on: group, unixSocketPath: socket, greeting: "220 lmtp.test LMTP ready\r\n")
        defer { server.close() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connect(prefix + socket, inbox: inbox)
        defer { connection.close() }
        #expect(inbox.next() == .reply(SMTPReply(220, "lmtp.test LMTP ready")))
        #expect(connection.remoteAddressDescription == socket)
        #expect(connection.address == ServerAddress(unixSocketPath: socket))
        #expect(connection.host == "lmtp")
        #expect(connection.port == 0)

        try await connection.send(raw: Array("LHLO client.test\r\n".utf8), timeout: .seconds(5))
        #expect(inbox.next() == .reply(SMTPReply(250, "ok")))
        #expect(server.reads == ["LHLO client.test\r\n"])
    }

    @Test func connectorConnectsToASocket() async throws {
        let socket = path("smtp")
        let server = try LoopbackServer.start(on: group, unixSocketPath: socket)
        defer { server.close() }
        let connector = SMTPConnector()
        defer { connector.shutdown() }
        let inbox = EventInbox<ConnectionEvent>()
        let connection = try await connector.connect(to: ServerAddress(unixSocketPath: socket), timeoutSeconds: 5) {
            inbox.post($0)
        }
        defer { connection.close() }
        #expect(inbox.next() == .reply(SMTPReply(220, "loop.test ESMTP")))
    }

    @Test func missingSocketIsNoSocket() async {
        let socket = path("absent")
        let error = await failure(connecting: socket)
        #expect(error?.code == .noSocket)
        #expect(error?.description == "no such socket \(socket)")
        await #expect(failure(connecting: path("absent/deeper"))?.code == .noSocket)
    }

    /// A socket file left behind by a server that stopped: nothing accepts on it. (NIO removes
    /// its own socket file on close, so the test binds one by hand and never listens.)
    @Test func staleSocketIsConnectionRefused() async throws {
        let socket = path("stale")
        #if canImport(Glibc)
            let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = Darwin.socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let bound = try SocketAddress(unixDomainSocketPath: socket).withSockAddr { address, size in
            bind(descriptor, address, socklen_t(size))
        }
        try #require(bound == 0, "bind: errno \(errno)")
        let error = await failure(connecting: socket)
        #expect(error?.code == .connectionRefused)
        #expect(error?.description == "connection refused: nothing listens on \(socket)")
    }

    @Test func regularFileIsNotASocket() async throws {
        let file = path("plain")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let error = await failure(connecting: "unix:" + file)
        #expect(error?.code == .notASocket)
        #expect(error?.description == "\(file) is not a socket")
        await #expect(failure(connecting: directory.path + "/")?.code == .notASocket)
    }

    @Test func overlongPathIsSaidSo() async {
        let error = await failure(connecting: "/tmp/" + String(repeating: "s", count: 200))
        #expect(error?.code == .socketPathTooLong)
    }

    /// A socket the user may not write to (root may write to any, so only as another user).
    @Test(.enabled(if: geteuid() != 0, "root may connect to any socket"))
    func unwritableSocketIsPermissionDenied() async throws {
        let socket = path("private")
        let server = try LoopbackServer.start(on: group, unixSocketPath: socket)
        defer { server.close() }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: socket)
        let error = await failure(connecting: socket)
        #expect(error?.code == .permissionDenied)
        #expect(error?.description == "permission denied: cannot write to the socket \(socket)")
    }

    @Test func homeIsExpandedInSocketPaths() {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        if home.isEmpty || home == "/" {
            #expect(SMTPConnection.expandingHome("~/sock").hasSuffix("sock"))
        } else {
            #expect(SMTPConnection.expandingHome("~/mail/lmtp") == home + "/mail/lmtp")
        }
        #expect(SMTPConnection.expandingHome("/run/~/x") == "/run/~/x")
        #expect(SMTPConnection.expandingHome("./~/x") == "./~/x")
    }

    /// Over a socket there is no host name: no SNI unless `--sni` gives one (TLSLoopbackTests
    /// checks what a real server receives).
    @Test func tlsNamesOverASocketAndOverTCP() {
        let socket = ServerAddress(unixSocketPath: "/run/lmtp")
        #expect(
            TLSHandshakeHandler.Names(address: socket, settings: TLSSettings())
                == .init(expected: "localhost", sni: nil))
        #expect(
            TLSHandshakeHandler.Names(address: socket, settings: TLSSettings(serverName: "mx.test"))
                == .init(expected: "mx.test", sni: "mx.test"))
        let tcp = ServerAddress(host: "mx.test", port: 25)
        #expect(
            TLSHandshakeHandler.Names(address: tcp, settings: TLSSettings())
                == .init(expected: "mx.test", sni: "mx.test"))
        let literal = ServerAddress(host: "127.0.0.1", port: 25)
        #expect(
            TLSHandshakeHandler.Names(address: literal, settings: TLSSettings())
                == .init(expected: "127.0.0.1", sni: nil))
    }
}
