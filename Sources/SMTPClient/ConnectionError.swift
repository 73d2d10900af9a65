import NIOCore
import NIOPosix
import NIOSSL

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
        if let error = error as? NIOSSLError {
            return describeTLS(error)
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

    /// BoringSSL's reasons, in words; the raw reason code stays in brackets for searching.
    private static func describeTLS(_ error: NIOSSLError) -> String {
        switch error {
        case .uncleanShutdown:
            return "the server closed the connection without ending TLS"
        case .handshakeFailed(let boringError):
            let text = "\(boringError)"
            if text.contains("EOF during handshake") {
                return "the server closed the connection during the TLS handshake"
            }
            let code = text.range(of: "OPENSSL_internal:").map { range in
                String(text[range.upperBound...].prefix { $0 != " " && $0 != "]" })
            }
            let words: [String: String] = [
                "WRONG_VERSION_NUMBER":
                    "the server did not answer in TLS (plaintext, or another protocol, on this port?)",
                "SSLV3_ALERT_HANDSHAKE_FAILURE":
                    "the server refused the handshake: no protocol version or cipher suite in common",
                "TLSV1_ALERT_PROTOCOL_VERSION": "the server does not accept the TLS versions offered (1.2, 1.3)",
                "UNSUPPORTED_PROTOCOL": "the server offered only a TLS version that is no longer accepted",
                "NO_SHARED_CIPHER": "no cipher suite in common with the server",
                "TLSV1_ALERT_INTERNAL_ERROR": "the server reported an internal TLS error",
                "CERTIFICATE_VERIFY_FAILED": "the server's certificate was not accepted",
            ]
            guard let code else { return "the TLS handshake failed" }
            return "\(words[code] ?? "the TLS handshake failed") [\(code)]"
        default:
            return "TLS error: \(error)"
        }
    }
}
