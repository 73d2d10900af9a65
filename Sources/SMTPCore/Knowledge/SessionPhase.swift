/// Where an SMTP session stands, as far as the legal next commands are concerned.
///
/// RFC 5321 §4.1.4 (order of commands) and §4.3.2 (command-reply sequences) define most of these
/// phases; RFC 3030 §2 adds the chunk sequence of BDAT and the failed one that only RSET clears.
/// `CommandTable` says in which phases each command is in sequence.
public enum SessionPhase: String, Hashable, Sendable, CaseIterable {
    /// No connection.
    case disconnected
    /// Connected; the server has not greeted yet (§3.1: wait for it).
    case awaitingGreeting
    /// Greeted with 220; EHLO or HELO (LMTP: LHLO) is due.
    case greeted
    /// EHLO, HELO or LHLO accepted; no mail transaction open.
    case helloed
    /// MAIL accepted; no recipient accepted yet.
    case mailTransaction
    /// At least one RCPT accepted.
    case recipientsGiven
    /// BDAT chunks accepted, the last one not sent yet (RFC 3030 §2).
    case chunking
    /// A BDAT chunk was refused, or DATA followed BDAT: only RSET clears the transaction (RFC 3030 §2).
    case resetRequired
    /// DATA answered with 354: lines typed now are the message.
    case data
    /// AUTH answered with 334: the next line answers the challenge (RFC 4954 §4).
    case authenticating
    /// STARTTLS answered with 220: nothing but the TLS handshake may follow (RFC 3207 §4).
    case tlsHandshake
    /// The greeting refused the session (554, 521): only QUIT is left (RFC 5321 §3.1).
    case refused
    /// The connection is over (221, 421, or dropped).
    case closed

    /// Every phase with an open, greeted connection in which commands may be typed.
    public static let connected: Set<SessionPhase> = [
        .greeted, .helloed, .mailTransaction, .recipientsGiven, .chunking, .resetRequired,
    ]

    /// Phases inside a mail transaction (MAIL accepted, the message not yet ended).
    public static let inTransaction: Set<SessionPhase> = [
        .mailTransaction, .recipientsGiven, .chunking, .resetRequired,
    ]

    /// The phase in words, for `/help` and warnings.
    public var title: String {
        switch self {
        case .disconnected: return "not connected"
        case .awaitingGreeting: return "waiting for the greeting"
        case .greeted: return "greeted, before EHLO"
        case .helloed: return "after EHLO, no transaction"
        case .mailTransaction: return "after MAIL, before a recipient is accepted"
        case .recipientsGiven: return "with an accepted recipient"
        case .chunking: return "between BDAT chunks"
        case .resetRequired: return "after a refused chunk (RSET is due)"
        case .data: return "in the message"
        case .authenticating: return "answering an AUTH challenge"
        case .tlsHandshake: return "in the TLS handshake"
        case .refused: return "after a refusing greeting"
        case .closed: return "closed"
        }
    }
}
