/// How many sessions a practice server holds at once, in all and from one client address.
///
/// RFC 5321 §3.1: a server that cannot take a session now may answer the connection with 421
/// instead of a greeting, and §4.2.2 makes 421 the reply that closes the channel. The counts are
/// of open sessions, not of connections per minute: a client that leaves frees its place.
///
/// ### Why 50 from one address?
/// A class behind one NAT (a school's Wi-Fi, a lab's router) reaches the server from a single
/// address: 25 students with a console and a script each must still get in. Postfix's
/// smtpd_client_connection_count_limit is 50 too; Exim's smtp_accept_max_per_host is unset by
/// default. 200 in all keeps a laptop's descriptors and memory safe (each session may hold a
/// message of up to SIZE octets while it arrives).
public struct ConnectionLimits: Hashable, Sendable {
    /// Open sessions in all; more are refused with 421. 0: no limit.
    public var maximumConnections = 200
    /// Open sessions from one client address; more are refused with 421. 0: no limit.
    public var maximumConnectionsPerClient = 50

    public init() {}

    /// Which limit refused a connection.
    public enum Exceeded: Hashable, Sendable {
        case server(maximum: Int)
        case client(address: String, maximum: Int)
    }

    /// The open sessions, in all and per client address.
    public struct Counts: Hashable, Sendable {
        public private(set) var total = 0
        public private(set) var perClient: [String: Int] = [:]

        public init() {}

        /// Counts a new session in, or says which limit it would break (then nothing is counted).
        /// A nil `client` (a UNIX-domain socket's, all from the same place) meets only the total.
        public mutating func admit(client: String?, limits: ConnectionLimits) -> Exceeded? {
            if limits.maximumConnections > 0, total >= limits.maximumConnections {
                return .server(maximum: limits.maximumConnections)
            }
            if let client, limits.maximumConnectionsPerClient > 0,
                perClient[client, default: 0] >= limits.maximumConnectionsPerClient
            {
                return .client(address: client, maximum: limits.maximumConnectionsPerClient)
            }
            total += 1
            if let client { perClient[client, default: 0] += 1 }
            return nil
        }

        /// A session counted by `admit` has closed.
        public mutating func release(client: String?) {
            precondition(total > 0, "a session released that was never admitted")
            total -= 1
            guard let client, let count = perClient[client] else { return }
            perClient[client] = count > 1 ? count - 1 : nil
        }
    }

    /// The reply instead of the greeting (RFC 5321 §3.1, §4.2.2; RFC 3463 §3.8: 4.7.0).
    ///
    /// Real servers' texts: Postfix "421 4.7.0 <host> Error: too many connections from <addr>",
    /// Exim "421 Too many concurrent SMTP connections; please try again later" and "… from this
    /// IP address; please try again later".
    public static func refusal(_ exceeded: Exceeded, domain: String) -> ServerReply {
        switch exceeded {
        case .server(let maximum):
            return ServerReply(
                421, esc(4, 7, 0), "\(domain) Too many connections (\(maximum) open), try again later")
        case .client(let address, let maximum):
            return ServerReply(
                421, esc(4, 7, 0), "\(domain) Too many connections from \(address) (\(maximum) open), try again later")
        }
    }
}
