import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A DNS server for one test: a UDP socket on 127.0.0.1 or ::1 and a thread that answers each
/// query with what `respond` returns (nil: no answer at all, as a dead server).
///
/// Every wait is bounded (a 200 ms receive timeout, rechecked until `stop`), so a failing test
/// never hangs the suite.
final class UDPResponder: @unchecked Sendable {
    let port: Int
    private let socket: Int32
    private let respond: @Sendable ([UInt8]) -> [UInt8]?
    private let lock = NSLock()
    private var stopped = false
    private var received: [[UInt8]] = []
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    /// The queries received so far.
    var queries: [[UInt8]] { lock.withLock { received } }

    init(ipv6: Bool = false, respond: @escaping @Sendable ([UInt8]) -> [UInt8]?) throws {
        self.respond = respond
        (socket, port) = try Self.bindLoopback(ipv6: ipv6)
        let thread = Thread { [unowned self] in self.serve() }
        self.thread = thread
        thread.start()
    }

    /// A UDP socket on 127.0.0.1 or ::1, port chosen by the kernel, with a 200 ms receive timeout.
    private static func bindLoopback(ipv6: Bool) throws -> (Int32, Int) {
        let fd = Glibc.socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var storage = sockaddr_storage()
        let length: socklen_t
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            withUnsafeBytes(of: address) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        var bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        var actual = length
        if bound == 0 {
            bound = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actual) }
            }
        }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        let port = withUnsafeBytes(of: storage) { bytes in
            // sin_port and sin6_port both follow the 2-byte family, in network order.
            Int(bytes[2]) << 8 | Int(bytes[3])
        }
        return (fd, port)
    }

    private func serve() {
        defer { done.signal() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ stopped }) {
            var peer = sockaddr_storage()
            var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(socket, &buffer, buffer.count, 0, $0, &peerLength)
                }
            }
            guard count > 0 else { continue }
            let query = Array(buffer.prefix(count))
            lock.withLock { received.append(query) }
            guard let reply = respond(query) else { continue }
            _ = withUnsafePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, reply, reply.count, 0, $0, peerLength)
                }
            }
        }
    }

    func stop() {
        lock.withLock { stopped = true }
        _ = done.wait(timeout: .now() + 5)
        close(socket)
    }
}

/// A loopback port with nothing listening on it (UDP).
func closedUDPPort() throws -> Int {
    let responder = try UDPResponder { _ in nil }
    let port = responder.port
    responder.stop()
    return port
}
