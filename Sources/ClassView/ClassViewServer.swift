import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SMTPCore
import SMTPServer

/// The class view's web server: binds `host`:`port` and serves `ClassViewRoutes` over HTTP/1.1.
public enum ClassViewServer {
    /// Binds on the server's own event loops; stops when `group` shuts down or `close()` is called.
    ///
    /// - Parameter isPublic: `--dashboard-public`: requests may also name the server by `host`
    ///   as given and by the machine's host name; otherwise only by the address the connection
    ///   came to and `localhost` (see `ClassViewHosts`).
    public static func start(
        record: ClassRecord, host: String, port: Int,
        group: EventLoopGroup, isPublic: Bool = false
    ) throws -> RunningClassView {
        let routes = ClassViewRoutes(record: record)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let hosts = ClassViewHosts(
                        names: names(host: host, local: channel.localAddress, isPublic: isPublic),
                        port: channel.localAddress?.port ?? port, isPublic: isPublic)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ClassViewHandler(routes: routes, hosts: hosts))
                }
            }
            .bind(host: host, port: port).wait()
        return RunningClassView(channel: channel)
    }

    /// What names this server for one connection: the address it came to (for a wildcard bind,
    /// `0.0.0.0` or `::`, the interface's), `host` when it is an address; with `isPublic`, also
    /// `host` as a name and the machine's host name, whole and up to its first dot.
    static func names(host: String, local: SocketAddress?, isPublic: Bool) -> [String] {
        // `0.0.0.0` and `::` are where to listen, never a name to be reached by.
        let isAddress = IPAddress(host: host).map { !$0.octets.allSatisfy { $0 == 0 } } ?? false
        var names = [local?.ipAddress, isAddress ? host : nil].compactMap { $0 }
        guard isPublic else { return names }
        let machine = ProcessInfo.processInfo.hostName
        if IPAddress(host: host) == nil { names.append(host) }
        names += [machine, String(machine.prefix { $0 != "." })]
        return names
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
