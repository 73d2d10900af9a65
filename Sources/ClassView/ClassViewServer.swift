import NIOCore
import NIOHTTP1
import NIOPosix
import SMTPCore
import SMTPServer

/// The class view's web server: binds `host`:`port` and serves `ClassViewRoutes` over HTTP/1.1.
public enum ClassViewServer {
    /// Binds on the server's own event loops; stops when `group` shuts down or `close()` is called.
    public static func start(
        record: ClassRecord, host: String, port: Int,
        group: EventLoopGroup
    ) throws -> RunningClassView {
        let routes = ClassViewRoutes(record: record)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ClassViewHandler(routes: routes))
                }
            }
            .bind(host: host, port: port).wait()
        return RunningClassView(channel: channel)
    }

    /// Loopback: 127.0.0.0/8, ::1 and `localhost`. Anything else shows the class to the network.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        guard let address = IPAddress(host: host) else { return false }
        if let ipv4 = address.ipv4 { return ipv4[0] == 127 }
        return address.octets == Array(repeating: 0, count: 15) + [1]
    }
}

/// A class view that is listening.
public final class RunningClassView: Sendable {
    private let channel: Channel
    public let host: String
    public let port: Int

    init(channel: Channel) {
        self.channel = channel
        host = channel.localAddress?.ipAddress ?? "127.0.0.1"
        port = channel.localAddress?.port ?? 0
    }

    /// `http://127.0.0.1:8025/` or `http://[::1]:8025/`.
    public var url: String {
        host.contains(":") ? "http://[\(host)]:\(port)/" : "http://\(host):\(port)/"
    }

    public func close() {
        try? channel.close().wait()
    }
}
