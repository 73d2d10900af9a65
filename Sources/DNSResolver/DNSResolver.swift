import CResolv
import SMTPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Asks DNS questions through the C library's resolver (libresolv's `res_nsend`), one at a time,
/// blocking the calling thread for at most the timeouts and attempts it is given.
///
/// By default the questions go to the system's name servers (/etc/resolv.conf, with its
/// `options timeout:` and `attempts:`); `server` (`--resolver`) sends them to one server and
/// port instead. Nothing is cached and no search list is applied: each name is asked as given.
public struct DNSResolver: Sendable {
    /// The server to ask; nil for the system's.
    public var server: DNSServerAddress?
    /// At most this many seconds per question in all (`--timeout`); nil keeps the system's timeouts.
    public var timeoutSeconds: Int?

    public init(server: DNSServerAddress? = nil, timeoutSeconds: Int? = nil) {
        self.server = server
        self.timeoutSeconds = timeoutSeconds
    }

    /// Who is asked, for sentences: `127.0.0.1:53`, or "the system's resolver".
    public var serverDescription: String {
        server?.description ?? "the system's resolver"
    }

    /// Asks one question and waits for its response.
    ///
    /// - Returns: the response, whatever its code (NXDOMAIN and SERVFAIL included), or why there
    ///   is none: no response in time, a closed port, a name DNS cannot carry.
    public func query(_ name: String, _ type: DNSRecordType) -> DNSResult {
        var answer = [UInt8](repeating: 0, count: 65_535)
        var errorNumber: Int32 = 0
        let (perAttempt, attempts) = Self.split(timeoutSeconds)
        let length: Int32 =
            if let server {
                server.address.description.withCString { address in
                    var config = cresolv_config(
                        server: address, port: Int32(server.port), timeout_seconds: perAttempt, attempts: attempts)
                    return cresolv_query(
                        &config, name, Int32(type.rawValue), &answer, Int32(answer.count), &errorNumber)
                }
            } else {
                withUnsafePointer(
                    to: cresolv_config(server: nil, port: 0, timeout_seconds: perAttempt, attempts: attempts)
                ) { config in
                    cresolv_query(config, name, Int32(type.rawValue), &answer, Int32(answer.count), &errorNumber)
                }
            }
        guard length >= 0 else { return .failure(failure(errorNumber)) }
        do {
            return .success(try DNSAnswer(message: Array(answer.prefix(Int(length)))))
        } catch {
            return .failure(error)
        }
    }

    /// `--timeout N` as attempts of equal length that add up to at most N seconds: two attempts
    /// from 2 s on (a lost datagram is retried), one below. glibc waits `retrans` seconds for each
    /// attempt at a single server (res_send.c, send_dg).
    static func split(_ timeout: Int?) -> (perAttempt: Int32, attempts: Int32) {
        guard let timeout, timeout > 0 else { return (0, 0) }
        let attempts = timeout >= 2 ? 2 : 1
        return (Int32(timeout / attempts), Int32(attempts))
    }

    private func failure(_ errorNumber: Int32) -> DNSQueryFailure {
        switch errorNumber {
        case ETIMEDOUT:
            let seconds = timeoutSeconds.map { " within \($0) s" } ?? ""
            return DNSQueryFailure(.timedOut, "no response from \(serverDescription)\(seconds)")
        case ECONNREFUSED:
            return DNSQueryFailure(
                .refusedConnection, "\(serverDescription) does not answer DNS (its port is closed: connection refused)")
        case EINVAL:
            return DNSQueryFailure(.badQuestion, "the name cannot be asked (too long for DNS, or an empty label)")
        default:
            return DNSQueryFailure(.other, "the question could not be sent (\(String(cString: strerror(errorNumber))))")
        }
    }
}
