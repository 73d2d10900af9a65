import NIOCore
import NIOPosix
import SMTPCore

/// Owns the network thread and opens connections; one per console run.
public final class SMTPConnector: @unchecked Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    public init() {}

    /// The network thread's event loop: every connection of this connector is served there.
    public var eventLoop: any EventLoop { group.next() }

    /// Connects to `address`: over TCP, resolving names (IPv4 and IPv6), or to a UNIX-domain
    /// socket. Returns once connected, or throws.
    ///
    /// - Parameter report: called on the network thread for every reply, malformed line and the close.
    /// - Throws: `ConnectionError`: a `code` such as `.connectionRefused` or `.noSocket`, and a
    ///   sentence such as "connection refused" or "no such socket /run/lmtp".
    ///
    /// - Parameter settings: `-4`/`-6`, `--source` and `--proxy` (see `ConnectionSettings`).
    /// - Parameter wakeUps: the inbox `report` posts to, whose wake-up is held while a read's
    ///   replies are reported (see `EventInbox`).
    public func connect(
        to address: ServerAddress, timeoutSeconds: Int, implicitTLS: TLSSettings? = nil,
        settings: ConnectionSettings = ConnectionSettings(), wakeUps: (any WakeUpHolding)? = nil,
        report: @escaping @Sendable (ConnectionEvent) -> Void
    ) async throws(ConnectionError) -> SMTPConnection {
        try await SMTPConnection.connect(
            to: address, connectTimeout: .seconds(Int64(timeoutSeconds)), implicitTLS: implicitTLS,
            settings: settings, group: group, wakeUps: wakeUps, report: report)
    }

    /// Stops the network thread; call it from another thread than the network thread.
    public func shutdown() {
        try? group.syncShutdownGracefully()
    }
}
