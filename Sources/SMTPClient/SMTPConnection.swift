import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPCore

/// One connection to a mail server, over TCP or a UNIX-domain socket.
///
/// Lines from the server arrive as `ConnectionEvent`s in the inbox; sending never waits for a
/// reply. The console decides what to wait for, and for how long. Its calls may come from the
/// connection's own event loop (a script's console runs there) or from any other thread.
public final class SMTPConnection: @unchecked Sendable {
    /// Where this connection goes, as given.
    public let address: ServerAddress
    /// `address.host`: for a socket, a name to show, not one to connect to (see `ServerAddress`).
    public var host: String { address.host }
    /// `address.port`: 0 for a socket.
    public var port: Int { address.port }
    /// The socket path connected to, with `~/` expanded; nil over TCP.
    private let socketPath: String?
    /// Internal for tests, which look at the handlers' state.
    let channel: Channel

    init(address: ServerAddress, socketPath: String?, channel: Channel) {
        self.address = address
        self.socketPath = socketPath
        self.channel = channel
    }

    /// Opens the connection; returns once connected, or throws.
    ///
    /// A socket address connects with `connect(unixDomainSocketPath:)`; `~/` at the start of its
    /// path is the user's home directory (`/connect ~/sock` has no shell to expand it).
    ///
    /// - Parameters:
    ///   - implicitTLS: TLS from the first byte (port 465, RFC 8314 §3.3), or nil for plain TCP.
    ///   - settings: the family to connect over, the local address to bind, the PROXY header to
    ///     send first. With a family (given, or that of the local address) the host is resolved in
    ///     it alone and its addresses are tried in turn; without, SwiftNIO races IPv6 and IPv4.
    /// - Throws: `ConnectionError`, e.g. `.connectionRefused` ("connection refused"), `.noSocket`
    ///   ("no such socket /run/lmtp") or `.noAddress` ("localhost has no IPv6 address (-6); …").
    static func connect(
        to address: ServerAddress, connectTimeout: TimeAmount, implicitTLS: TLSSettings?,
        settings: ConnectionSettings = ConnectionSettings(), group: EventLoopGroup,
        wakeUps: (any WakeUpHolding)? = nil, report: @escaping @Sendable (ConnectionEvent) -> Void
    ) async throws(ConnectionError) -> SMTPConnection {
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelOption(.writeBufferWaterMark, value: streamWaterMark)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let version = settings.proxy {
                        try channel.pipeline.syncOperations.addHandler(
                            ProxyHeaderHandler(version: version, claimedClient: settings.proxyClient, report: report))
                    }
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandlers(
                            TLSHandshakeHandler.makeHandlers(
                                address: address, settings: implicitTLS, discardedPlaintextOctets: 0, report: report))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPLineHandler())
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(report: report, wakeUps: wakeUps))
                    try channel.pipeline.syncOperations.addHandler(WritabilityHandler())
                }
            }
        let socketPath = address.socketPath.map(Self.expandingHome)
        if let source = settings.sourceAddress, socketPath == nil {
            do {
                bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source.description, port: 0))
            } catch {
                throw ConnectionError(error)
            }
        }
        do {
            let channel: Channel
            switch address.endpoint {
            case .tcp(let host, let port) where settings.resolvedFamily != .any:
                // getaddrinfo(3) blocks for as long as the resolver takes: on a pool thread, not
                // on the event loop that a script's console runs on.
                let family = settings.resolvedFamily
                let addresses = try await NIOThreadPool.singleton.runIfActive {
                    try AddressLookup.addresses(of: host, port: port, family: family)
                }
                channel = try await connectInTurn(to: addresses, bootstrap: bootstrap)
            case .tcp(let host, let port):
                channel = try await bootstrap.connect(host: host, port: port).completion()
            case .unixSocket:
                channel = try await bootstrap.connect(unixDomainSocketPath: socketPath ?? "").completion()
            }
            return SMTPConnection(address: address, socketPath: socketPath, channel: channel)
        } catch {
            if let source = settings.sourceAddress, let error = error as? IOError,
                [EADDRNOTAVAIL, EADDRINUSE, EACCES].contains(error.errnoCode), error.description.contains("bind")
            {
                throw ConnectionError(
                    .badAddress,
                    "cannot bind the local address \(source) (--source): \(strerror(error.errnoCode).map { String(cString: $0) } ?? "error")"
                )
            }
            let failure = ConnectionError(error, socketPath: socketPath)
            // connect(2) says ECONNREFUSED for a regular file or a directory too: say which it is.
            if let socketPath, failure.code == .connectionRefused, Self.isFileButNoSocket(socketPath) {
                throw ConnectionError(.notASocket, "\(socketPath) is not a socket")
            }
            throw failure
        }
    }

    /// Connects to each address in turn until one answers; throws the first one's failure.
    private static func connectInTurn(to addresses: [SocketAddress], bootstrap: ClientBootstrap) async throws -> Channel
    {
        var firstError: (any Error)?
        for address in addresses {
            do {
                return try await bootstrap.connect(to: address).completion()
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? ConnectionError(.noAddress, "no address to connect to")
    }

    private static func isFileButNoSocket(_ path: String) -> Bool {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let type = try? FileManager.default.attributesOfItem(atPath: resolved)[.type] as? FileAttributeType else {
            return false
        }
        return type != .typeSocket
    }

    /// `~/x` as `$HOME/x`; any other path unchanged.
    static func expandingHome(_ path: String) -> String {
        guard path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
            return path
        }
        return (home.hasSuffix("/") ? String(home.dropLast()) : home) + path.dropFirst()
    }

    /// The peer's address as connected, e.g. `127.0.0.1:2525` or `[::1]:25`; for a socket, its
    /// path (`~/` expanded).
    public var remoteAddressDescription: String {
        if let socketPath { return socketPath }
        guard let address = channel.remoteAddress else { return "\(host):\(port)" }
        switch address {
        case .v6: return "[\(address.ipAddress ?? host)]:\(address.port ?? port)"
        default: return "\(address.ipAddress ?? host):\(address.port ?? port)"
        }
    }

    /// Our end of the connection, e.g. `127.0.0.2:40312` or `[::1]:40312`; nil for a socket.
    public var localAddressDescription: String? {
        guard socketPath == nil, let address = channel.localAddress, let ip = address.ipAddress,
            let port = address.port
        else { return nil }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    public var isActive: Bool { channel.isActive }

    /// Sends bytes in one buffer and one flush: a line with its CRLF, a pipelined group of
    /// lines, so that they leave in one TCP send where the kernel allows (RFC 2920: "multiple
    /// commands in a single TCP send operation"), or a block of message data. Returns when the
    /// bytes are handed to the kernel, or fails (and closes) if that takes longer than `timeout`
    /// (RFC 5321 §4.5.3.2.5: 3 minutes per block of data).
    ///
    /// Which commands may share a group (RFC 2920 §3.1) is the caller's to decide. Before a
    /// group that ends in STARTTLS, call `expectSTARTTLSReply(repliesBefore:)` with the number
    /// of replies owed before it.
    ///
    /// - Throws: `ConnectionError`: `.writeTimedOut`, `.closed`, `.brokenPipe`, …
    public func send(raw bytes: [UInt8], timeout: TimeAmount) async throws(ConnectionError) {
        guard !bytes.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await awaitWithin(timeout, channel.writeAndFlush(buffer))
    }

    /// How much message data may wait in the channel for the kernel while `stream` goes on:
    /// enough to keep loopback and a fast link busy, little enough that memory stays flat.
    static let streamWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 512 * 1024, high: 2 * 1024 * 1024)

    /// Writes a block of message data without waiting for it to reach the kernel, unless the
    /// channel holds its high water mark of unsent data already: then it first waits until the
    /// channel is writable again (SwiftNIO's backpressure), at most `timeout` (RFC 5321
    /// §4.5.3.2.5: 3 minutes per block of data).
    ///
    /// So what is in flight stays under the water mark whatever the message's size; from
    /// another thread than the event loop's, reading and encoding the next block also overlaps
    /// with the writing of this one.
    /// A failed write closes the connection; the next `stream` or `send` throws. End a stream
    /// with `send(raw:timeout:)`, which returns once everything before it is written too.
    ///
    /// - Parameter beforeWaiting: runs only when the call is about to wait for writability.
    /// - Throws: `ConnectionError`: `.writeTimedOut`, `.closed`, `.brokenPipe`, …
    public func stream(
        raw bytes: [UInt8], timeout: TimeAmount, beforeWaiting: () -> Void = {}
    ) async throws(ConnectionError) {
        guard !bytes.isEmpty else { return }
        if !channel.isWritable {
            beforeWaiting()
            let writable = channel.eventLoop.flatSubmit { [channel] () -> EventLoopFuture<Void> in
                do {
                    return try channel.pipeline.syncOperations.handler(type: WritabilityHandler.self)
                        .whenWritable(channel)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            try await awaitWithin(timeout, writable)
        }
        guard channel.isActive else { throw ConnectionError(.closed, "the connection is closed") }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Waits for a write (or for writability); closes the connection if it takes longer than `timeout`.
    private func awaitWithin(_ timeout: TimeAmount, _ future: EventLoopFuture<Void>) async throws(ConnectionError) {
        let timedOut = NIOLockedValueBox(false)
        // A write not done within `timeout` ends the connection (RFC 5321 §4.5.3.2).
        let timer = channel.eventLoop.scheduleTask(in: timeout) { [channel] in
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            try await future.completion()
        } catch {
            if timedOut.withLockedValue({ $0 }) {
                throw ConnectionError(
                    .writeTimedOut,
                    "the server accepted no data for \(timeout.nanoseconds / 1_000_000_000) s; connection closed")
            }
            throw ConnectionError(error)
        }
    }

    /// Call before sending STARTTLS: if its reply is 220, nothing read after it is trusted.
    ///
    /// - Parameter repliesBefore: replies still owed to commands sent earlier (pipelining, or a
    ///   wait the user interrupted), so that the hold arms on STARTTLS's own reply.
    /// - Throws: `ConnectionError` `.closed` once the connection is gone.
    public func expectSTARTTLSReply(repliesBefore: Int) async throws(ConnectionError) {
        do {
            try await channel.eventLoop.submit { [channel] in
                try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self)
                    .expectSTARTTLSReply(repliesBefore: repliesBefore)
            }.completion()
        } catch {
            throw ConnectionError(error)
        }
    }

    /// Starts the TLS handshake after the server's 220 to STARTTLS. Returns at once; the outcome
    /// arrives as `.tlsEstablished` or `.tlsFailed`.
    ///
    /// Plaintext that arrived after the 220 (whole lines, and a partial line still in the
    /// decoder) is discarded and counted in the report (RFC 3207 §6; CVE-2011-0411 class).
    ///
    /// - Throws: `ConnectionError` `.closed` once the connection is gone.
    public func startTLS(settings: TLSSettings) async throws(ConnectionError) {
        let address = self.address
        do {
            try await channel.eventLoop.submit { [channel] in
                try Self.installTLS(on: channel.pipeline.syncOperations, address: address, settings: settings)
            }.completion()
        } catch {
            throw ConnectionError(error)
        }
    }

    /// Puts TLS in front of the SMTP handlers, throwing away the plaintext that is still unread.
    static func installTLS(
        on pipeline: ChannelPipeline.SynchronousOperations, address: ServerAddress, settings: TLSSettings
    ) throws {
        let client = try pipeline.handler(type: SMTPClientHandler.self)
        let lines = try pipeline.handler(type: SMTPLineHandler.self)
        let discarded = client.endHoldForTLS() + lines.discardBufferedBytes()
        if discarded > 0 { client.reportForTLS(.plaintextDiscarded(octets: discarded)) }
        let handlers = try TLSHandshakeHandler.makeHandlers(
            address: address, settings: settings, discardedPlaintextOctets: discarded, report: client.reportForTLS)
        try pipeline.addHandlers(handlers, position: .first)
    }

    /// Closes the connection without a word to the server.
    public func close() {
        channel.close(mode: .all, promise: nil)
    }

    /// Waits until the channel has closed (after `close()` or the server's close).
    public func waitUntilClosed() async {
        try? await channel.closeFuture.completion()
    }
}
