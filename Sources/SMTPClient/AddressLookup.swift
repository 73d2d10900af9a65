import NIOCore
import SMTPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A host's addresses in one family (`-4`, `-6`, or the family `--source` binds), resolved with
/// `getaddrinfo(3)` before connecting, so that a host with no address of that family is said to
/// have none ("localhost has no IPv6 address (-6); it has 127.0.0.1"), not left to fail in a connect.
///
/// With no family to keep to, SwiftNIO's own resolver and Happy Eyeballs do the work.
enum AddressLookup {
    /// The TCP addresses of `host`:`port` in `family`, in the resolver's order.
    ///
    /// - Throws: `ConnectionError`: `.noAddress` when the host has addresses, but none in
    ///   `family` (or an address literal is of the other family); `.unknownHost` or
    ///   `.nameResolutionFailed` as for any name.
    static func addresses(
        of host: String, port: Int, family: ConnectionSettings.AddressFamily
    ) throws(ConnectionError) -> [SocketAddress] {
        if let literal = IPAddress(parsing: host) {
            guard family.contains(literal) else {
                throw ConnectionError(
                    .noAddress,
                    "\(host) is an \(ConnectionSettings.AddressFamily(of: literal).name) address, not an \(family.name) one (\(family == .ipv4 ? "-4" : "-6"))"
                )
            }
        }
        switch lookUp(host, port: port, family: family) {
        case .success(let addresses) where !addresses.isEmpty:
            return addresses
        case .success, .failure:
            // Say whether the name exists at all, and what it has instead.
            switch lookUp(host, port: port, family: .any) {
            case .success(let others) where !others.isEmpty:
                let listed = others.compactMap(\.ipAddress).reduce(into: [String]()) {
                    if !$0.contains($1) { $0.append($1) }
                }
                throw ConnectionError(
                    .noAddress,
                    "\(host) has no \(family.name) address (\(family == .ipv4 ? "-4" : "-6")); it has \(listed.joined(separator: ", "))"
                )
            case .success:
                throw ConnectionError(.noAddress, "\(host) has no address")
            case .failure(let error):
                throw error
            }
        }
    }

    private static func lookUp(
        _ host: String, port: Int, family: ConnectionSettings.AddressFamily
    ) -> Result<[SocketAddress], ConnectionError> {
        var hints = addrinfo()
        hints.ai_family =
            switch family {
            case .any: AF_UNSPEC
            case .ipv4: AF_INET
            case .ipv6: AF_INET6
            }
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let text = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            return .failure(ConnectionError.unknownHost(host, errorCode: Int(status), errorDescription: text))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let raw = info.ai_addr else { continue }
            switch info.ai_family {
            case AF_INET:
                let address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                addresses.append(SocketAddress(address, host: host))
            case AF_INET6:
                let address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                addresses.append(SocketAddress(address, host: host))
            default:
                continue
            }
        }
        return .success(addresses)
    }
}
