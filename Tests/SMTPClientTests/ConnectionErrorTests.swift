import Foundation
import NIOCore
import NIOSSL
import Testing

@testable import SMTPClient

/// Connection failures: a code that tests and callers match, and one sentence a user can act on.
@Suite struct ConnectionErrorTests {
    /// An error as SwiftNIO, the kernel or BoringSSL report it, and what it must become.
    struct Case: Sendable, CustomTestStringConvertible {
        let make: @Sendable () -> ConnectionError
        let code: ConnectionError.Code
        let sentence: String
        var testDescription: String { "\(code)" }

        init(
            _ error: @autoclosure @escaping @Sendable () -> any Error, socketPath: String? = nil,
            _ code: ConnectionError.Code, _ sentence: String
        ) {
            make = { ConnectionError(error(), socketPath: socketPath) }
            self.code = code
            self.sentence = sentence
        }

        init(made: @escaping @Sendable () -> ConnectionError, _ code: ConnectionError.Code, _ sentence: String) {
            make = made
            self.code = code
            self.sentence = sentence
        }
    }

    static let tlsReason = "handshakeFailed(sslError([Error: 268435703 error:100000f7:SSL routines:OPENSSL_internal:"

    /// One case per code (two where TCP and a socket read differently): the sentence is sensible.
    static let cases: [Case] = [
        Case(IOError(errnoCode: ECONNREFUSED, reason: "connect"), .connectionRefused, "connection refused"),
        Case(
            IOError(errnoCode: ECONNREFUSED, reason: "connect"), socketPath: "/run/lmtp", .connectionRefused,
            "connection refused: nothing listens on /run/lmtp"),
        Case(IOError(errnoCode: ECONNRESET, reason: "read"), .connectionReset, "connection reset by the server"),
        Case(IOError(errnoCode: ETIMEDOUT, reason: "connect"), .timedOut, "connection timed out"),
        Case(ChannelError.connectTimeout(.seconds(30)), .timedOut, "no answer to the TCP connection within 30 s"),
        Case(IOError(errnoCode: EHOSTUNREACH, reason: "connect"), .hostUnreachable, "host unreachable"),
        Case(IOError(errnoCode: ENETUNREACH, reason: "connect"), .networkUnreachable, "network unreachable"),
        Case(
            made: {
                .unknownHost("mx.invalid", errorCode: Int(EAI_NONAME), errorDescription: "Name or service not known")
            },
            .unknownHost, "unknown host 'mx.invalid'"),
        Case(
            made: {
                .unknownHost(
                    "mx.test", errorCode: Int(EAI_AGAIN), errorDescription: "Temporary failure in name resolution")
            }, .nameResolutionFailed, "cannot resolve 'mx.test' now (Temporary failure in name resolution)"),
        Case(SocketAddressError.failedToParseIPString("1.2.3"), .badAddress, "'1.2.3' is not an IP address"),
        Case(
            IOError(errnoCode: EPERM, reason: "connect"), .permissionDenied,
            "permission denied: this machine forbids the connection (a firewall?)"),
        Case(
            IOError(errnoCode: EACCES, reason: "connect"), socketPath: "/run/lmtp", .permissionDenied,
            "permission denied: cannot write to the socket /run/lmtp"),
        Case(
            IOError(errnoCode: ENOENT, reason: "connect"), socketPath: "/run/lmtp", .noSocket,
            "no such socket /run/lmtp"),
        Case(
            IOError(errnoCode: ENOTDIR, reason: "connect"), socketPath: "/etc/passwd/x", .noSocket,
            "no such socket /etc/passwd/x"),
        Case(
            IOError(errnoCode: EPROTOTYPE, reason: "connect"), socketPath: "/dev/log", .wrongSocketType,
            "/dev/log is not a stream socket"),
        Case(
            SocketAddressError.unixDomainSocketPathTooLong, socketPath: "/tmp/" + String(repeating: "x", count: 200),
            .socketPathTooLong,
            "the socket path is 205 bytes, more than the \(MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1) "
                + "a UNIX socket address holds: /tmp/" + String(repeating: "x", count: 200)),
        Case(
            IOError(errnoCode: EPIPE, reason: "write"), .brokenPipe,
            "the server closed the connection while we were writing"),
        Case(ChannelError.ioOnClosedChannel, .closed, "the connection is closed"),
        Case(ChannelPipelineError.notFound, .closed, "the connection is closed"),
        Case(
            NIOSSLError.uncleanShutdown, .tlsUncleanShutdown, "the server closed the connection without ending TLS"),
        Case(
            made: { .tlsHandshakeFailure("handshakeFailed(sslError([EOF during handshake]))") },
            .tlsClosedDuringHandshake, "the server closed the connection during the TLS handshake"),
        Case(
            made: { .tlsHandshakeFailure(tlsReason + "WRONG_VERSION_NUMBER at ssl/tls_record.cc:231]))") },
            .tlsNotSpoken,
            "the server did not answer in TLS (plaintext, or another protocol, on this port?) [WRONG_VERSION_NUMBER]"),
        Case(
            made: { .tlsHandshakeFailure(tlsReason + "NO_SHARED_CIPHER]))") }, .tlsNothingInCommon,
            "no cipher suite in common with the server [NO_SHARED_CIPHER]"),
        Case(
            made: { .tlsHandshakeFailure(tlsReason + "TLSV1_ALERT_PROTOCOL_VERSION]))") }, .tlsVersionRefused,
            "the server does not accept the TLS versions offered [TLSV1_ALERT_PROTOCOL_VERSION]"),
        Case(
            made: { .tlsHandshakeFailure(tlsReason + "CERTIFICATE_VERIFY_FAILED]))") }, .tlsCertificateRejected,
            "the server's certificate was not accepted [CERTIFICATE_VERIFY_FAILED]"),
        Case(
            made: { .tlsHandshakeFailure(tlsReason + "SOMETHING_NEW]))") }, .tlsHandshakeFailed,
            "the TLS handshake failed [SOMETHING_NEW]"),
        Case(NIOSSLError.noCertificateToValidate, .tlsError, "TLS error: noCertificateToValidate"),
        Case(IOError(errnoCode: EMFILE, reason: "socket"), .other, "\(IOError(errnoCode: EMFILE, reason: "socket"))"),
    ]

    @Test(arguments: cases)
    func eachCodeReadsAsASentence(_ example: Case) {
        let error = example.make()
        #expect(error.code == example.code)
        #expect(error.description == example.sentence)
        #expect("\(error)" == example.sentence)
    }

    /// Every code is covered above, and no two codes share a name.
    @Test func codesAreDistinctAndAllExercised() {
        let all: [ConnectionError.Code] = [
            .connectionRefused, .connectionReset, .timedOut, .hostUnreachable, .networkUnreachable, .unknownHost,
            .nameResolutionFailed, .noAddress, .badAddress, .permissionDenied, .noSocket, .notASocket, .wrongSocketType,
            .socketPathTooLong, .brokenPipe, .closed, .writeTimedOut, .tlsUncleanShutdown, .tlsClosedDuringHandshake,
            .tlsNotSpoken, .tlsNothingInCommon, .tlsVersionRefused, .tlsCertificateRejected, .tlsHandshakeFailed,
            .tlsError, .other,
        ]
        #expect(Set(all).count == all.count)
        #expect(Set(all.map(\.description)).count == all.count)
        // .noAddress needs a NIOConnectionError (not constructible here); .writeTimedOut a real
        // stalled write (SMTPConnection.write); .notASocket a file on disk (UnixSocketTests).
        let untested: Set<ConnectionError.Code> = [.noAddress, .writeTimedOut, .notASocket]
        #expect(Set(all).subtracting(Set(Self.cases.map(\.code))) == untested)
    }

    @Test func aConnectionErrorPassesThroughUnchanged() {
        let original = ConnectionError(.writeTimedOut, "the server accepted no data for 3 s; connection closed")
        let again = ConnectionError(original as any Error)
        #expect(again.code == .writeTimedOut)
        #expect(again.description == original.description)
    }

    @Test func socketWordsAreOnlyForSockets() {
        #expect(ConnectionError(IOError(errnoCode: ENOENT, reason: "connect")).code == .other)
        #expect(
            ConnectionError(ChannelError.connectTimeout(.seconds(5)), socketPath: "/run/x").description
                == "no answer from the socket /run/x within 5 s")
    }
}
