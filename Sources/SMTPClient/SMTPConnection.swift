import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPCore

/// One TCP connection to a mail server, used from a thread that may block (the console's).
///
/// Lines from the server arrive as `ConnectionEvent`s in the inbox; sending never waits for a
/// reply. The console decides what to wait for, and for how long.
public final class SMTPConnection: @unchecked Sendable {
    public let host: String
    public let port: Int
    private let channel: Channel

    private init(host: String, port: Int, channel: Channel) {
        self.host = host
        self.port = port
        self.channel = channel
    }

    /// Opens the connection; blocks until connected or failed.
    ///
    /// - Parameter implicitTLS: TLS from the first byte (port 465, RFC 8314 §3.3), or nil for plain TCP.
    /// - Throws: `ConnectionError`, e.g. `.connectionRefused` ("connection refused").
    static func connect(
        host: String, port: Int, connectTimeout: TimeAmount, implicitTLS: TLSSettings?, group: EventLoopGroup,
        report: @escaping @Sendable (ConnectionEvent) -> Void
    ) throws(ConnectionError) -> SMTPConnection {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandlers(
                            TLSHandshakeHandler.makeHandlers(
                                host: host, settings: implicitTLS, discardedPlaintextOctets: 0, report: report))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPLineHandler())
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(report: report))
                }
            }
        do {
            let channel = try bootstrap.connect(host: host, port: port).wait()
            return SMTPConnection(host: host, port: port, channel: channel)
        } catch {
            throw ConnectionError(error)
        }
    }

    /// The peer's address as connected, e.g. `127.0.0.1:2525` or `[::1]:25`.
    public var remoteAddressDescription: String {
        guard let address = channel.remoteAddress else { return "\(host):\(port)" }
        switch address {
        case .v6: return "[\(address.ipAddress ?? host)]:\(address.port ?? port)"
        default: return "\(address.ipAddress ?? host):\(address.port ?? port)"
        }
    }

    public var isActive: Bool { channel.isActive }

    /// Sends one line with CRLF appended. Returns when the bytes are handed to the kernel, or
    /// fails (and closes) if that takes longer than `timeout` seconds.
    ///
    /// - Throws: `ConnectionError`: `.writeTimedOut`, `.closed`, `.brokenPipe`, …
    public func send(line bytes: [UInt8], timeout: Int = 180) throws(ConnectionError) {
        var buffer = channel.allocator.buffer(capacity: bytes.count + 2)
        buffer.writeBytes(bytes)
        buffer.writeBytes([0x0D, 0x0A])
        try write(buffer, timeout: .seconds(Int64(timeout)))
    }

    /// Sends raw bytes (message data); waits at most `timeout` for them to be written, so a
    /// large body is streamed with bounded memory (RFC 5321 §4.5.3.2.5: 3 minutes per block).
    public func send(raw bytes: [UInt8], timeout: TimeAmount) throws(ConnectionError) {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try write(buffer, timeout: timeout)
    }

    private func write(_ buffer: ByteBuffer, timeout: TimeAmount) throws(ConnectionError) {
        let timedOut = NIOLockedValueBox(false)
        // A write not done within `timeout` ends the connection (RFC 5321 §4.5.3.2).
        let timer = channel.eventLoop.scheduleTask(in: timeout) { [channel] in
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            try channel.writeAndFlush(buffer).wait()
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
    public func expectSTARTTLSReply(repliesBefore: Int) throws(ConnectionError) {
        do {
            try channel.eventLoop.submit { [channel] in
                try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self)
                    .expectSTARTTLSReply(repliesBefore: repliesBefore)
            }.wait()
        } catch {
            throw ConnectionError(error)
        }
    }

    /// Starts the TLS handshake after the server's 220 to STARTTLS. Returns at once; the outcome
    /// arrives as `.tlsEstablished` or `.tlsFailed`.
    ///
    /// Plaintext that arrived after the 220 (whole lines, and a partial line still in the
    /// decoder) is discarded and counted in the report (RFC 3207 §5; CVE-2011-0411 class).
    ///
    /// - Throws: `ConnectionError` `.closed` once the connection is gone.
    public func startTLS(settings: TLSSettings) throws(ConnectionError) {
        let host = self.host
        do {
            try channel.eventLoop.submit { [channel] in
                try Self.installTLS(on: channel.pipeline.syncOperations, host: host, settings: settings)
            }.wait()
        } catch {
            throw ConnectionError(error)
        }
    }

    /// Puts TLS in front of the SMTP handlers, throwing away the plaintext that is still unread.
    static func installTLS(on pipeline: ChannelPipeline.SynchronousOperations, host: String, settings: TLSSettings)
        throws
    {
        let client = try pipeline.handler(type: SMTPClientHandler.self)
        let lines = try pipeline.handler(type: SMTPLineHandler.self)
        let discarded = client.endHoldForTLS() + lines.discardBufferedBytes()
        let handlers = try TLSHandshakeHandler.makeHandlers(
            host: host, settings: settings, discardedPlaintextOctets: discarded, report: client.reportForTLS)
        try pipeline.addHandlers(handlers, position: .first)
    }

    /// Closes the connection without a word to the server.
    public func close() {
        channel.close(mode: .all, promise: nil)
    }

    /// Waits until the channel has closed (after `close()` or the server's close).
    public func waitUntilClosed() {
        try? channel.closeFuture.wait()
    }
}
