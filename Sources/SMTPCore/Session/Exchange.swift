/// What a reply answers: the greeting, a command, the end of a message, or an answer to a challenge.
public enum ReplySource: Hashable, Sendable {
    case greeting
    case command(SMTPCommand)
    /// The line `.` after DATA's 354 (RFC 5321 §4.1.1.4).
    case endOfData
    /// An answer to a 334 challenge (RFC 4954 §4).
    case authContinuation

    /// The name used in annotations: "MAIL", "the greeting", "end of data".
    public var name: String {
        switch self {
        case .greeting: return "greeting"
        case .command(let command):
            return command.verb?.rawValue ?? VisibleText.escape(command.verbText.uppercased())
        case .endOfData: return "end of data"
        case .authContinuation: return "AUTH response"
        }
    }

    /// The name with the command's argument, for telling pipelined replies apart: `RCPT TO:<bob@…>`.
    public var detailedName: String {
        guard case .command(let command) = self, let verb = command.verb, !command.argument.isEmpty else {
            return name
        }
        switch verb {
        case .mail, .rcpt, .bdat, .vrfy, .expn, .ehlo, .helo, .lhlo, .etrn, .help:
            return "\(verb.rawValue) \(VisibleText.escape(command.argument))"
        case .auth:
            return "AUTH \(command.authMechanism ?? "")"
        case .data, .rset, .noop, .quit, .starttls:
            return name
        }
    }

    /// The replies this exchange may get and what each means (`CommandTable`).
    public var exchange: ExchangeSpec? {
        switch self {
        case .greeting: return CommandTable.greeting
        case .endOfData: return CommandTable.endOfData
        case .authContinuation: return CommandTable.authContinuation
        case .command(let command):
            guard let verb = command.verb else { return nil }
            if verb == .bdat, command.bdatChunk?.isLast == true { return CommandTable.lastChunk }
            return CommandTable.exchange(verb)
        }
    }

    public var verb: SMTPVerb? {
        if case .command(let command) = self { return command.verb }
        return nil
    }
}

/// One exchange still owed a reply (or several), oldest first in the session's queue.
///
/// Most exchanges take one reply. Three take more (RFC 5321 §4.2 does not cover them; their
/// extensions do): LMTP's end of data, one per accepted recipient in RCPT order (RFC 2033 §4.2);
/// a PRDR end of data, 353, then one per recipient, then one for the message (draft-hall-prdr);
/// and BDAT LAST in either, since it ends the message as the final dot does.
public struct PendingExchange: Hashable, Sendable {
    /// How many replies the exchange takes.
    public enum Expectation: Hashable, Sendable {
        case one
        /// LMTP: one reply for each of these recipients, in this order.
        case perRecipient([String])
        /// PRDR: 353 first; then, if it came, one per recipient and the final reply.
        case prdr([String])
    }

    public let source: ReplySource
    /// When the exchange's last line was written (the console's clock), for the reply's latency;
    /// nil while it is held for a pipelined group.
    public internal(set) var sentAt: Double?
    public internal(set) var expectation: Expectation
    /// Replies taken so far.
    public internal(set) var repliesTaken = 0
    /// For BDAT: chunk octets not yet sent; the server answers only once they are all there.
    public internal(set) var octetsToSend = 0
    /// PRDR: whether the server agreed with 353 (then the per-recipient replies follow).
    var isPRDRAccepted = false
    /// Sent while a pipelined group was built: a chunk's end does not end the group.
    var isGrouped = false
    /// Written in one write with other exchanges (RFC 2920): its replies are named in full.
    public internal(set) var isPipelined = false
    /// The lines after it in the input are its message (a script's DATA or BDAT).
    var bodyFollowsInInput = false
    /// The caller's name for the line that opened it (replay: the transcript's line number).
    public internal(set) var tag: Int?

    init(_ source: ReplySource, sentAt: Double?, expectation: Expectation = .one, tag: Int? = nil) {
        self.source = source
        self.sentAt = sentAt
        self.expectation = expectation
        self.tag = tag
    }

    /// The replies still owed, as far as they can be counted now.
    public var repliesOwed: Int {
        switch expectation {
        case .one:
            return 1 - repliesTaken
        case .perRecipient(let recipients):
            return max(recipients.count, 1) - repliesTaken
        case .prdr(let recipients):
            guard repliesTaken > 0 else { return 1 }
            return isPRDRAccepted ? recipients.count + 2 - repliesTaken : 0
        }
    }

    /// How the exchange is named in "awaited:": its command, or how many more replies it takes.
    var awaitedName: String {
        let name = isPipelined ? source.detailedName : source.name
        guard repliesTaken > 0 else { return name }
        let owed = repliesOwed
        return "\(owed) more repl\(owed == 1 ? "y" : "ies") to \(name)"
    }

    /// The recipient the next reply is for, when replies are per recipient.
    var recipientOfNextReply: (address: String, position: Int, count: Int)? {
        switch expectation {
        case .one:
            return nil
        case .perRecipient(let recipients):
            guard repliesTaken < recipients.count else { return nil }
            return (recipients[repliesTaken], repliesTaken + 1, recipients.count)
        case .prdr(let recipients):
            // Reply 0 is the 353; the last one is for the whole message.
            let index = repliesTaken - 1
            guard isPRDRAccepted, index >= 0, index < recipients.count else { return nil }
            return (recipients[index], index + 1, recipients.count)
        }
    }
}
