import NIOCore
import SMTPCore

/// Sends the PROXY protocol header the moment the connection is open, then leaves the pipeline.
///
/// It sits first, nearest the network, so that its bytes go out ahead of everything: ahead of
/// the TLS ClientHello of implicit TLS (the header belongs to the TCP connection, not to what it
/// carries) and before any byte is read. The header describes the connection as the kernel has
/// it (`getsockname`/`getpeername`, as haproxy's proxy-protocol.txt §2.1 asks of a sender that
/// opens its own connections), unless a client to claim was given (`--proxy-from`).
///
/// ### Why a handler and not a write after `connect` returns?
/// With implicit TLS the TLS handler writes its ClientHello in `channelActive`, before `connect`'s
/// future completes; only a handler ahead of it in the pipeline can write first.
final class ProxyHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let version: ProxyHeader.Version
    private let claimedClient: ProxyHeader.Endpoint?
    private let report: @Sendable (ConnectionEvent) -> Void

    init(
        version: ProxyHeader.Version, claimedClient: ProxyHeader.Endpoint?,
        report: @escaping @Sendable (ConnectionEvent) -> Void
    ) {
        self.version = version
        self.claimedClient = claimedClient
        self.report = report
    }

    /// The header for a connection between `local` and `remote`: TCP endpoints from the
    /// addresses (the client replaced by `claimedClient` when given), `.unknown` for a socket.
    static func header(
        version: ProxyHeader.Version, claimedClient: ProxyHeader.Endpoint?, local: SocketAddress?,
        remote: SocketAddress?
    ) -> ProxyHeader {
        guard let server = remote.flatMap(endpoint), let client = claimedClient ?? local.flatMap(endpoint) else {
            return ProxyHeader(version: version, connection: .unknown)
        }
        return ProxyHeader(version: version, connection: .tcp(client: client, server: server))
    }

    private static func endpoint(_ address: SocketAddress) -> ProxyHeader.Endpoint? {
        switch address {
        case .v4, .v6:
            guard let text = address.ipAddress, let ip = IPAddress(parsing: text), let port = address.port else {
                return nil
            }
            return ProxyHeader.Endpoint(address: ip, port: port)
        case .unixDomainSocket:
            return nil
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func send(context: ChannelHandlerContext) {
        let header = Self.header(
            version: version, claimedClient: claimedClient, local: context.channel.localAddress,
            remote: context.channel.remoteAddress)
        // proxy-protocol.txt §2: "the sender must always ensure that the header is sent at once".
        let buffer = context.channel.allocator.buffer(bytes: header.bytes)
        let report = self.report
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenSuccess { report(.proxyHeaderSent(header)) }
        context.writeAndFlush(NIOAny(buffer), promise: written)
    }
}
