import NIOCore
import NIOPosix
import NIOSSL

/// A failure to connect or to keep the connection: a `code` that code matches, and a sentence a
/// user can act on (`description`).
///
/// ### Why a struct with a `Code`, not an enum?
/// As postgres-nio's `PSQLError`: callers and tests compare `code`, people read `description`,
/// and a code added later breaks no one's exhaustive `switch`. The sentence may name what the
/// code cannot (the socket path, the seconds waited, BoringSSL's reason in brackets). What code
/// may act on beyond the code travels as a typed field, as `PSQLError`'s do: `certificateProblems`.
public struct ConnectionError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What went wrong, for matching; `description` is its name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case connectionRefused, connectionReset, timedOut, hostUnreachable, networkUnreachable
            case unknownHost, nameResolutionFailed, noAddress, badAddress, permissionDenied
            case noSocket, notASocket, wrongSocketType, socketPathTooLong
            case brokenPipe, closed, writeTimedOut
            case tlsUncleanShutdown, tlsClosedDuringHandshake, tlsNotSpoken, tlsNothingInCommon
            case tlsVersionRefused, tlsCertificateRejected, tlsHandshakeFailed, tlsError
            case tlsClientCertificateRequired, tlsClientCertificateRejected
            case other
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        public var description: String { base.rawValue }

        /// TCP: RST to the SYN. A socket: its file exists but no one accepts on it.
        public static let connectionRefused = Code(.connectionRefused)
        /// The peer reset an established connection.
        public static let connectionReset = Code(.connectionReset)
        /// The TCP connection was not established in time (the kernel's timer or `--timeout`).
        public static let timedOut = Code(.timedOut)
        public static let hostUnreachable = Code(.hostUnreachable)
        public static let networkUnreachable = Code(.networkUnreachable)
        /// The name does not exist in DNS (or /etc/hosts).
        public static let unknownHost = Code(.unknownHost)
        /// DNS could not answer now (a temporary failure, a broken resolver); the name may exist.
        public static let nameResolutionFailed = Code(.nameResolutionFailed)
        /// Resolution succeeded with no address to try.
        public static let noAddress = Code(.noAddress)
        /// An address of a kind this machine cannot connect to.
        public static let badAddress = Code(.badAddress)
        /// A socket we may not write to (its mode), or a connection this machine forbids (a firewall).
        public static let permissionDenied = Code(.permissionDenied)
        /// No file at the socket path (or a directory on the way is missing).
        public static let noSocket = Code(.noSocket)
        /// The path names a file that is no socket (a regular file, a directory).
        public static let notASocket = Code(.notASocket)
        /// The socket is not a stream socket (a datagram one, say).
        public static let wrongSocketType = Code(.wrongSocketType)
        /// Longer than a UNIX socket address holds (107 bytes on Linux, 103 on macOS).
        public static let socketPathTooLong = Code(.socketPathTooLong)
        /// The server closed while we were writing (EPIPE).
        public static let brokenPipe = Code(.brokenPipe)
        /// The connection was already closed.
        public static let closed = Code(.closed)
        /// The server took no data within the timeout; we closed (RFC 5321 §4.5.3.2).
        public static let writeTimedOut = Code(.writeTimedOut)
        /// TCP ended without TLS's close_notify (RFC 8446 §6.1).
        public static let tlsUncleanShutdown = Code(.tlsUncleanShutdown)
        /// The server closed the connection in the middle of the handshake.
        public static let tlsClosedDuringHandshake = Code(.tlsClosedDuringHandshake)
        /// What came back was not TLS (plaintext, or another protocol on the port).
        public static let tlsNotSpoken = Code(.tlsNotSpoken)
        /// No cipher suite (or other parameter) in common.
        public static let tlsNothingInCommon = Code(.tlsNothingInCommon)
        /// No TLS version in common: the server refused 1.2 and 1.3, or offered only an older one.
        public static let tlsVersionRefused = Code(.tlsVersionRefused)
        /// The server's certificate was refused; `certificateProblems` says why when our own check
        /// found it (it is empty when only BoringSSL refused).
        public static let tlsCertificateRejected = Code(.tlsCertificateRejected)
        /// The server asked for a client certificate (RFC 8446 §4.3.2, RFC 5246 §7.4.4), none was
        /// offered, and it ended the handshake: `--cert` and `--key` give one.
        public static let tlsClientCertificateRequired = Code(.tlsClientCertificateRequired)
        /// The server refused the client certificate offered (`--cert`): an issuer it does not
        /// trust, expired, or not one it accepts.
        public static let tlsClientCertificateRejected = Code(.tlsClientCertificateRejected)
        /// Another handshake failure (BoringSSL's reason is in the sentence).
        public static let tlsHandshakeFailed = Code(.tlsHandshakeFailed)
        /// Another TLS failure after or outside the handshake.
        public static let tlsError = Code(.tlsError)
        /// None of the above; the sentence is the underlying error's text.
        public static let other = Code(.other)
    }

    public let code: Code
    /// One sentence for people, e.g. "connection refused".
    public let description: String
    /// Why the server's certificate is not trusted, in the order found; empty unless `code` is
    /// `.tlsCertificateRejected`.
    public let certificateProblems: [CertificateProblem]
    /// The chain the server presented, leaf first, when a failed handshake got as far as
    /// receiving it: `/cert` shows it after the failure (a refused certificate above all).
    public let certificateChain: [CertificateSummary]

    public init(_ code: Code, _ description: String) {
        self.init(code, description, certificateProblems: [], certificateChain: [])
    }

    private init(
        _ code: Code, _ description: String, certificateProblems: [CertificateProblem],
        certificateChain: [CertificateSummary]
    ) {
        self.code = code
        self.description = description
        self.certificateProblems = certificateProblems
        self.certificateChain = certificateChain
    }

    /// Our check of the server's certificate failed (`CertificateCheck`), for the `problems` given.
    ///
    /// - Parameter chain: what the server presented, for `/cert`.
    public static func certificateRejected(_ problems: [CertificateProblem], chain: [CertificateSummary] = [])
        -> ConnectionError
    {
        ConnectionError(
            .tlsCertificateRejected,
            "the server's certificate is not trusted: \(CertificateProblem.sentence(problems))",
            certificateProblems: problems, certificateChain: chain)
    }

    /// The same failure, with the chain the server presented.
    func presenting(_ chain: [CertificateSummary]) -> ConnectionError {
        ConnectionError(code, description, certificateProblems: certificateProblems, certificateChain: chain)
    }

    /// Classifies what the kernel, SwiftNIO or BoringSSL reported.
    ///
    /// - Parameter socketPath: the UNIX-domain socket being connected to, named in the sentence.
    init(_ error: any Error, socketPath: String? = nil) {
        switch error {
        case let error as ConnectionError:
            self = error
        case let error as IOError:
            self = Self.classify(errno: error.errnoCode, socketPath: socketPath) ?? ConnectionError(.other, "\(error)")
        case let error as NIOConnectionError:
            if let dnsError = error.dnsAAAAError ?? error.dnsAError, error.connectionErrors.isEmpty {
                let cause = ConnectionError(dnsError)
                self =
                    cause.code == .other ? ConnectionError(.unknownHost, "cannot resolve the name (\(cause))") : cause
            } else if let first = error.connectionErrors.first {
                self = ConnectionError(first.error, socketPath: socketPath)
            } else {
                self = ConnectionError(.noAddress, "no address to connect to")
            }
        case let error as SocketAddressError.UnknownHost:
            self = Self.unknownHost(error.host, errorCode: error.errorCode, errorDescription: error.errorDescription)
        case let error as SocketAddressError:
            self = Self.classify(error, socketPath: socketPath)
        case let error as NIOSSLError:
            self = Self.classify(error)
        case let error as ChannelError:
            self = Self.classify(error, socketPath: socketPath)
        case let error as ChannelPipelineError where error == .notFound:
            // The pipeline loses its handlers only when the channel closes.
            self = ConnectionError(.closed, "the connection is closed")
        default:
            self = ConnectionError(.other, "\(error)")
        }
    }

    private static func classify(errno: Int32, socketPath: String?) -> ConnectionError? {
        if let path = socketPath {
            switch errno {
            case ENOENT, ENOTDIR: return ConnectionError(.noSocket, "no such socket \(path)")
            case ECONNREFUSED:
                return ConnectionError(.connectionRefused, "connection refused: nothing listens on \(path)")
            case EACCES, EPERM:
                return ConnectionError(.permissionDenied, "permission denied: cannot write to the socket \(path)")
            case EPROTOTYPE: return ConnectionError(.wrongSocketType, "\(path) is not a stream socket")
            case ENAMETOOLONG: return pathTooLong(path)
            default: break
            }
        }
        switch errno {
        case ECONNREFUSED: return ConnectionError(.connectionRefused, "connection refused")
        case ECONNRESET: return ConnectionError(.connectionReset, "connection reset by the server")
        case ETIMEDOUT: return ConnectionError(.timedOut, "connection timed out")
        case EHOSTUNREACH: return ConnectionError(.hostUnreachable, "host unreachable")
        case ENETUNREACH: return ConnectionError(.networkUnreachable, "network unreachable")
        case EACCES, EPERM:
            return ConnectionError(
                .permissionDenied, "permission denied: this machine forbids the connection (a firewall?)")
        case EPIPE:
            return ConnectionError(.brokenPipe, "the server closed the connection while we were writing")
        default: return nil
        }
    }

    /// getaddrinfo's failure (its `EAI_` code): no such name, or no answer now.
    static func unknownHost(_ host: String, errorCode: Int, errorDescription: String) -> ConnectionError {
        switch Int32(truncatingIfNeeded: errorCode) {
        case EAI_AGAIN, EAI_FAIL:
            return ConnectionError(.nameResolutionFailed, "cannot resolve '\(host)' now (\(errorDescription))")
        default:
            return ConnectionError(.unknownHost, "unknown host '\(host)'")
        }
    }

    private static func classify(_ error: SocketAddressError, socketPath: String?) -> ConnectionError {
        switch error {
        case .unixDomainSocketPathTooLong: return pathTooLong(socketPath ?? "")
        case .failedToParseIPString(let text): return ConnectionError(.badAddress, "'\(text)' is not an IP address")
        case .unsupported: return ConnectionError(.badAddress, "this machine cannot connect to such an address")
        default: return ConnectionError(.other, "\(error)")
        }
    }

    private static func classify(_ error: ChannelError, socketPath: String?) -> ConnectionError {
        switch error {
        case .connectTimeout(let amount):
            let seconds = amount.nanoseconds / 1_000_000_000
            if let path = socketPath {
                return ConnectionError(.timedOut, "no answer from the socket \(path) within \(seconds) s")
            }
            return ConnectionError(.timedOut, "no answer to the TCP connection within \(seconds) s")
        case .ioOnClosedChannel, .alreadyClosed, .outputClosed:
            return ConnectionError(.closed, "the connection is closed")
        default:
            return ConnectionError(.other, "\(error)")
        }
    }

    private static func pathTooLong(_ path: String) -> ConnectionError {
        let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
        return ConnectionError(
            .socketPathTooLong,
            "the socket path is \(path.utf8.count) bytes, more than the \(limit) a UNIX socket address holds: \(path)")
    }

    private static func classify(_ error: NIOSSLError) -> ConnectionError {
        switch error {
        case .uncleanShutdown:
            return ConnectionError(.tlsUncleanShutdown, "the server closed the connection without ending TLS")
        case .handshakeFailed(let boringError):
            return tlsHandshakeFailure("\(boringError)")
        default:
            return ConnectionError(.tlsError, "TLS error: \(error)")
        }
    }

    /// BoringSSL's reason (`…OPENSSL_internal:WRONG_VERSION_NUMBER…` in `text`) in words; the
    /// reason stays in brackets for searching.
    static func tlsHandshakeFailure(_ text: String) -> ConnectionError {
        if text.contains("EOF during handshake") {
            return ConnectionError(
                .tlsClosedDuringHandshake, "the server closed the connection during the TLS handshake")
        }
        let reason = boringSSLReason(in: text)
        guard let reason, let (code, words) = tlsReasons[reason] else {
            return ConnectionError(.tlsHandshakeFailed, "the TLS handshake failed\(reason.map { " [\($0)]" } ?? "")")
        }
        return ConnectionError(code, "\(words) [\(reason)]")
    }

    /// `WRONG_VERSION_NUMBER` out of `…OPENSSL_internal:WRONG_VERSION_NUMBER…`.
    static func boringSSLReason(in text: String) -> String? {
        text.range(of: "OPENSSL_internal:").map { range in
            String(text[range.upperBound...].prefix { $0 != " " && $0 != "]" })
        }
    }

    private static let tlsReasons: [String: (Code, String)] = [
        "WRONG_VERSION_NUMBER":
            (.tlsNotSpoken, "the server did not answer in TLS (plaintext, or another protocol, on this port?)"),
        "SSLV3_ALERT_HANDSHAKE_FAILURE":
            (.tlsNothingInCommon, "the server refused the handshake: no protocol version or cipher suite in common"),
        "TLSV1_ALERT_PROTOCOL_VERSION":
            (.tlsVersionRefused, "the server does not accept the TLS versions offered"),
        "UNSUPPORTED_PROTOCOL":
            (.tlsVersionRefused, "the server offered only a TLS version that is no longer accepted"),
        "NO_SHARED_CIPHER": (.tlsNothingInCommon, "no cipher suite in common with the server"),
        "TLSV1_ALERT_INTERNAL_ERROR": (.tlsHandshakeFailed, "the server reported an internal TLS error"),
        "CERTIFICATE_VERIFY_FAILED": (.tlsCertificateRejected, "the server's certificate was not accepted"),
        "TLSV1_ALERT_CERTIFICATE_REQUIRED":
            (
                .tlsClientCertificateRequired,
                "the server requires a client certificate: give one with --cert FILE --key FILE"
            ),
    ]
}
