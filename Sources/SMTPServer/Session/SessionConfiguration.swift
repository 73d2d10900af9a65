import SMTPCore

/// What a practice server session may do, decided once when the server starts.
public struct SessionConfiguration: Sendable {
    /// The domain whose mailboxes the server holds (the lab table's addresses are at it).
    public var domain: String = LabMailboxTable.defaultDomain
    /// RFC 1870: the largest message accepted, in octets; advertised as `SIZE`.
    public var maximumMessageSize = 10 * 1024 * 1024
    /// Users for AUTH, name to password (RFC 4954).
    public var users: [String: String] = [LabMailboxTable.demoUser.name: LabMailboxTable.demoUser.password]
    /// Offer AUTH before STARTTLS (RFC 4954 §4 discourages plain-text passwords in the clear).
    public var allowsPlainAuth = false
    /// Whether a TLS context is available for STARTTLS.
    public var offersTLS = true
    /// Speak LMTP (RFC 2033) instead of SMTP.
    public var isLMTP = false
    /// Answer the connection with 554 and serve nothing but QUIT (RFC 5321 §3.1).
    public var failsGreeting = false
    /// Answer the command after the N-th of a session with 421 and close.
    public var shutdownAfterCommands: Int?
    /// Log every command line (secrets redacted) as a session event.
    public var isVerbose = false
    /// Seconds a greylisted triplet must wait after its first attempt (RFC 6647 §2.1; real
    /// servers use minutes, a class a few seconds).
    public var greylistDelay = 5
    /// When the greylist is forgotten.
    public var greylistReset = GreylistReset.connection

    /// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its CRLF.
    public var maximumCommandLineLength = 512
    /// RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets with its CRLF.
    public var maximumTextLineLength = 1000
    /// RFC 4954 §4: an AUTH line (command or response) may be up to 12288 octets.
    public var maximumAuthLineLength = 12288
    /// RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; more get 452.
    public var maximumRecipients = 100
    /// Errors in a session before the server gives up with 421 (as Postfix's smtpd_hard_error_limit).
    public var maximumErrors = 20
    /// RCPTs past `maximumRecipients` answered with 452 before each further one counts as an error,
    /// so a client that never stops sending RCPT meets `maximumErrors` (Postfix's
    /// smtpd_recipient_overshoot_limit, 1000 there too).
    public var recipientOvershootLimit = 1000
    /// Failed AUTH attempts in a session; the last is answered with 421 and the connection closed.
    public var maximumAuthFailures = 5
    /// The pause before the reply to the first failed AUTH, in milliseconds; it doubles with every
    /// further failure, up to `maximumAuthFailureDelay` (a guesser gets a few tries a minute).
    public var authFailureDelay = 1000
    public var maximumAuthFailureDelay = 30_000

    public init() {}

    /// The name of the protocol in `Received:` headers (RFC 3848).
    func protocolName(isExtended: Bool, isTLS: Bool, isAuthenticated: Bool) -> String {
        let base = isLMTP ? "LMTP" : (isExtended ? "ESMTP" : "SMTP")
        guard base != "SMTP" else { return base }
        return base + (isTLS ? "S" : "") + (isAuthenticated ? "A" : "")
    }
}

/// Remembers greylisted attempts (RFC 6647 §2.1: a temporary refusal of the first attempt of a
/// (client, sender, recipient) triplet, and of any retry before a delay has passed). It holds the
/// clock, so that the session stays a pure state machine.
public protocol GreylistMemory: Sendable {
    /// Records an attempt for `key` and says whether it may pass.
    func attempt(_ key: String) -> GreylistVerdict
}

/// What the greylist says about one attempt.
public enum GreylistVerdict: Hashable, Sendable {
    /// Refused with 450: the first attempt, or a retry `secondsLeft` too early.
    case refused(isFirstAttempt: Bool, secondsLeft: Int)
    /// The delay has passed since the first attempt.
    case passed
}

/// When the practice server forgets whom it greylisted (`--greylist-reset`).
public enum GreylistReset: String, Hashable, Sendable, CaseIterable {
    /// Every connection starts with an empty greylist: a retry passes in the same session once the
    /// delay is over, and a demo replayed in a new connection gets the same codes again.
    case connection
    /// One greylist for the server's life, keyed by client address, sender and recipient, as a
    /// real greylisting MTA keeps it: a retry in a new connection (swaks, an MTA's queue) passes.
    case never
}

/// A message the server accepted, with its envelope, as the final dot or BDAT LAST left it.
public struct ReceivedMessage: Hashable, Sendable {
    /// The reverse-path without angle brackets; empty for the null path `<>`.
    public var sender: String
    /// The accepted forward-paths, in the order given.
    public var recipients: [String]
    /// The message as received: dot-stuffing removed, lines ending in CRLF.
    public var content: [UInt8]
    /// The name the client gave in EHLO, HELO or LHLO.
    public var heloName: String
    public var clientAddress: ClientAddress
    /// RFC 3848's name for the transport, e.g. `ESMTPS`.
    public var protocolName: String
    public var authenticatedUser: String?
}

/// The outcome of storing a message, reported back to the session.
public enum DeliveryResult: Hashable, Sendable {
    case stored(id: String)
    case failed(reason: String)
    /// The disk (or the file size limit) had no room for it: a temporary condition for the client
    /// to retry (RFC 5321 §4.2.3: 452 "insufficient system storage"; RFC 3463 §3.4: 4.3.1).
    case noRoom(reason: String)
}

/// Something that happened in a session, for the server's one-line-per-event log.
public enum SessionEvent: Hashable, Sendable, CustomStringConvertible {
    case hello(verb: String, name: String)
    case tlsStarting
    case pipelinedPlaintextDiscarded(octets: Int)
    case tlsEstablished
    case authenticated(user: String, mechanism: String)
    case authenticationFailed(user: String?, mechanism: String)
    case messageStored(id: String, sender: String, recipients: Int, octets: Int)
    case messageRefused(ServerReply)
    case deliveryFailed(reason: String)
    case dataAbandoned(octets: Int)
    case commandReceived(String)
    case replySent(ServerReply)
    case shuttingDown(reason: String)

    public var description: String {
        switch self {
        case .hello(let verb, let name): return "\(verb) \(name)"
        case .tlsStarting: return "STARTTLS: TLS handshake starting"
        case .pipelinedPlaintextDiscarded(let octets):
            return "discarded \(octets) octets sent after STARTTLS before the handshake (RFC 3207 §6, CVE-2011-0411)"
        case .tlsEstablished: return "TLS established; session reset, EHLO is due again (RFC 3207 §4.2)"
        case .authenticated(let user, let mechanism): return "AUTH \(mechanism) succeeded for \(user)"
        case .authenticationFailed(let user, let mechanism):
            return "AUTH \(mechanism) failed" + (user.map { " for \($0)" } ?? "")
        case .messageStored(let id, let sender, let recipients, let octets):
            return "message \(id) stored: from <\(sender)>, \(recipients) recipient(s), \(octets) octets"
        case .messageRefused(let reply): return "message refused: \(reply.lines.last ?? "")"
        case .deliveryFailed(let reason): return "message not stored: \(reason)"
        case .dataAbandoned(let octets):
            return "client left during the message (\(octets) octets received); nothing stored"
        case .commandReceived(let line): return "C: \(line)"
        case .replySent(let reply): return reply.lines.map { "S: \($0)" }.joined(separator: " | ")
        case .shuttingDown(let reason): return "421 sent: \(reason)"
        }
    }
}
