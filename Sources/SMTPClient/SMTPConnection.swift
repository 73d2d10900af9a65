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
    /// - Throws: `ConnectionError` with a sentence such as "connection refused".
    static func connect(
        host: String, port: Int, connectTimeout: TimeAmount, group: EventLoopGroup,
        report: @escaping @Sendable (ConnectionEvent) -> Void
    ) throws -> SMTPConnection {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(report: report))
                }
            }
        do {
            let channel = try bootstrap.connect(host: host, port: port).wait()
            return SMTPConnection(host: host, port: port, channel: channel)
        } catch {
            throw ConnectionError(ConnectionError.describe(error))
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

    /// Sends one line with CRLF appended. Returns when the bytes are handed to the kernel.
    public func send(line bytes: [UInt8]) throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count + 2)
        buffer.writeBytes(bytes)
        buffer.writeBytes([0x0D, 0x0A])
        try write(buffer, timeout: .seconds(180))
    }

    /// Sends raw bytes (message data); waits at most `timeout` for them to be written, so a
    /// large body is streamed with bounded memory (RFC 5321 §4.5.3.2.5: 3 minutes per block).
    public func send(raw bytes: [UInt8], timeout: TimeAmount) throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try write(buffer, timeout: timeout)
    }

    private func write(_ buffer: ByteBuffer, timeout: TimeAmount) throws {
        let timedOut = NIOLockedValueBox(false)
        // A write that makes no progress for `timeout` ends the connection (RFC 5321 §4.5.3.2).
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
                    "the server accepted no data for \(timeout.nanoseconds / 1_000_000_000) s; connection closed")
            }
            if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .alreadyClosed {
                throw ConnectionError("the connection is closed")
            }
            throw ConnectionError(ConnectionError.describe(error))
        }
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
