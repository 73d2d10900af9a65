import NIOCore
import NIOPosix

/// A failure to connect or to keep the connection, in one sentence a user can act on.
public struct ConnectionError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ECONNRESET: return "connection reset by the server"
            case ETIMEDOUT: return "connection timed out"
            case EHOSTUNREACH: return "host unreachable"
            case ENETUNREACH: return "network unreachable"
            case EPIPE: return "the server closed the connection while we were writing"
            default: return error.description
            }
        }
        if let error = error as? NIOConnectionError {
            if let dnsError = error.dnsAAAAError ?? error.dnsAError, error.connectionErrors.isEmpty {
                return "cannot resolve the name (\(describe(dnsError)))"
            }
            if let first = error.connectionErrors.first {
                return describe(first.error)
            }
            return "no address to connect to"
        }
        if let error = error as? SocketAddressError {
            switch error {
            case .unknown(let host, _): return "unknown host '\(host)'"
            default: return "\(error)"
            }
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout(let amount):
                return "no answer to the TCP connection within \(amount.nanoseconds / 1_000_000_000) s"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
