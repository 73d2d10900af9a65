/// What may happen after one exchange: the replies it may get and what each means in context.
///
/// The codes are RFC 5321 §4.3.2's "Command-Reply Sequences" (S: success, I: intermediate,
/// E: error), completed from RFC 3207, RFC 4954 and RFC 3030 for the extensions. `specific`
/// holds the codes whose meaning differs from their class's, including codes that other RFCs
/// define for the exchange (RFC 7504's 521 and 556) and that real servers send (454 and 554 to
/// RCPT): a code is "listed" when it is in either.
public struct ExchangeSpec: Sendable {
    public let successCodes: [Int]
    public let intermediateCodes: [Int]
    public let failureCodes: [Int]
    /// What a reply of each class means as an answer to this exchange.
    public let onSuccess: String
    public let onIntermediate: String
    public let onTransientFailure: String
    public let onPermanentFailure: String
    /// Meanings that differ for one particular code.
    public let specific: [Int: String]
    /// RFC 5321 §4.5.3.2: how long a client should wait for the reply, in seconds.
    public let timeout: Int

    public init(
        success: [Int], intermediate: [Int] = [], failure: [Int],
        onSuccess: String, onIntermediate: String = "the server waits for more",
        onTransientFailure: String, onPermanentFailure: String,
        specific: [Int: String] = [:], timeout: Int = 300
    ) {
        self.successCodes = success
        self.intermediateCodes = intermediate
        self.failureCodes = failure
        self.onSuccess = onSuccess
        self.onIntermediate = onIntermediate
        self.onTransientFailure = onTransientFailure
        self.onPermanentFailure = onPermanentFailure
        self.specific = specific
        self.timeout = timeout
    }

    /// The codes of the command-reply sequence, in the order §4.3.2 gives them.
    public var allCodes: [Int] { successCodes + intermediateCodes + failureCodes }

    /// Whether `code` is a reply this exchange may get: its sequence, a code another RFC or real
    /// servers use for it, or one any command may get (RFC 5321 §4.3.2).
    public func lists(_ code: Int) -> Bool {
        allCodes.contains(code) || specific[code] != nil || Self.anyCommand[code] != nil
    }

    /// What `code` means as the answer to this exchange.
    public func meaning(of code: Int) -> String {
        if let text = specific[code] ?? Self.anyCommand[code] { return text }
        switch ReplyClass(code: code) {
        case .positiveCompletion: return onSuccess
        case .positiveIntermediate: return onIntermediate
        case .transientNegative: return onTransientFailure
        case .permanentNegative: return onPermanentFailure
        case .unknown: return "a code outside RFC 5321's classes; the effect is unknown"
        }
    }

    /// RFC 5321 §4.3.2 (before the list): "any SMTP command can return" 500, 501 and 421. 502 and
    /// 503 (§4.2.4), 521 (Postfix hangs up with it) and 530 (RFC 3207 §4, RFC 4954 §6) may answer
    /// most commands too; a session tells 530's two senses apart by more than the code.
    public static let anyCommand: [Int: String] = [
        421:
            "the server is closing the connection; this session is over (any command may get 421, RFC 5321 §4.3.2)",
        500:
            "the server did not recognise the line, or it was too long; nothing changed (any command may get 500, RFC 5321 §4.3.2)",
        501:
            "the arguments were not accepted; nothing changed (any command may get 501, RFC 5321 §4.3.2)",
        502: "the server does not implement this command; nothing changed (RFC 5321 §4.2.4)",
        521: "the server will not go on and closes the connection (RFC 7504 §3; Postfix hangs up with 521)",
        503: "the server says this command is out of sequence; nothing changed",
        530:
            "the server wants STARTTLS (RFC 3207 §4) or authentication (RFC 4954 §6) first; the text says which; nothing changed",
    ]
}

/// Where a command may stand in a pipelined group (RFC 2920 §3.1).
public enum PipeliningRule: Hashable, Sendable {
    /// "RSET, MAIL FROM, SEND FROM, SOML FROM, SAML FROM, and RCPT TO can all appear anywhere in a
    /// pipelined command group" (RFC 2920 §3.1); so can BDAT, whose chunks RFC 3030 §4 pipelines,
    /// except that the client "MUST wait for the results of the LAST BDAT" before a new
    /// transaction (RFC 4468 §3.2).
    case anywhere
    /// The command changes the state in a way the client must see before it goes on, so it ends
    /// its group: EHLO, DATA, VRFY, EXPN, TURN, QUIT and NOOP (RFC 2920 §3.1); STARTTLS (RFC 3207
    /// §4) and AUTH (RFC 4954 §4) say so too, and other extensions' commands do unless they say
    /// otherwise (RFC 2920 §3.1).
    case endsGroup
}

extension CommandTable {
    /// Whether `command` must be the last of its pipelined group.
    ///
    /// RFC 4954 §4 makes one exception for AUTH: with an initial response, for a mechanism that
    /// completes in one round trip and negotiates no security layer (PLAIN, EXTERNAL), it may be
    /// followed by the commands of the transaction.
    public static func endsGroup(_ command: SMTPCommand) -> Bool {
        guard let verb = command.verb else { return true }
        if verb == .bdat { return command.bdatChunk?.isLast != false }
        if verb == .auth, ["PLAIN", "EXTERNAL"].contains(command.authMechanism ?? ""),
            command.argument.split(separator: " ").count == 2
        {
            return false
        }
        return spec(verb).pipelining == .endsGroup
    }
}

/// Which protocol a command belongs to: LMTP replaces EHLO and HELO with LHLO (RFC 2033 §4.1).
public enum SessionProtocol: String, Hashable, Sendable, CaseIterable {
    case smtp
    case lmtp

    /// The default TCP port: 25 for SMTP; for LMTP, which must not use 25 (RFC 2033 §5) and names
    /// no port of its own, 24 as LMTP servers commonly do (IANA: "any private mail system").
    public var defaultPort: Int { self == .smtp ? 25 : 24 }
}

/// One SMTP command: its syntax, where it is legal, what it needs and the replies it may get.
///
/// A class, immutable: a row is looked up for every line sent and every reply, and handing one
/// out is then one reference counted, not each of its strings and sets.
public final class CommandSpec: Sendable {
    public let verb: SMTPVerb
    public let syntax: String
    /// How the command is written in a list of next steps, e.g. `RCPT TO:<…>`.
    public let template: String
    public let summary: String
    public let reference: String
    /// Phases in which the command is in sequence.
    public let legalIn: Set<SessionPhase>
    /// Phases in whose "next:" list the command is shown (a subset of `legalIn`).
    public let suggestedIn: Set<SessionPhase>
    /// The EHLO keyword that must have been advertised, if any.
    public let requiredExtension: String?
    /// The rule a user breaks by sending the command out of sequence.
    public let sequenceRule: String
    public let pipelining: PipeliningRule
    /// The protocols the command belongs to.
    public let protocols: Set<SessionProtocol>
    public let exchange: ExchangeSpec

    init(
        verb: SMTPVerb, syntax: String, template: String, summary: String, reference: String,
        legalIn: Set<SessionPhase>, suggestedIn: Set<SessionPhase>, requiredExtension: String? = nil,
        sequenceRule: String, pipelining: PipeliningRule = .endsGroup,
        protocols: Set<SessionProtocol> = [.smtp, .lmtp], exchange: ExchangeSpec
    ) {
        self.verb = verb
        self.syntax = syntax
        self.template = template
        self.summary = summary
        self.reference = reference
        self.legalIn = legalIn
        self.suggestedIn = suggestedIn
        self.requiredExtension = requiredExtension
        self.sequenceRule = sequenceRule
        self.pipelining = pipelining
        self.protocols = protocols
        self.exchange = exchange
    }
}

/// The command table: one row per verb (RFC 5321 §4.1.1 and extensions), plus the exchanges
/// that are not commands: the greeting, the end of message data, the last BDAT chunk and the
/// answers to AUTH challenges.
public enum CommandTable {
    public static let greeting = ExchangeSpec(
        success: [220], failure: [554],
        onSuccess: "the server is ready for EHLO",
        onTransientFailure: "the server will not serve you now; it will close the connection",
        onPermanentFailure: "the server refuses this session; it waits only for QUIT",
        specific: [521: "this host never accepts mail (RFC 7504 §3); the session is over"],
        timeout: 300
    )

    /// The line `.` after the message (RFC 5321 §4.3.2, "DATA I: 354 -> data -> S: 250").
    public static let endOfData = ExchangeSpec(
        success: [250], failure: [552, 554, 451, 452, 450, 550],
        onSuccess: "the message is accepted for delivery; the transaction is over",
        onTransientFailure: "the message was not accepted, for now; the transaction is over, send it again later",
        onPermanentFailure: "the message was refused; the transaction is over",
        specific: [
            353:
                "PRDR: the server checks the message; one reply per recipient follows, then one for the message (draft-hall-prdr-00 §4.5.1)"
        ],
        timeout: 600
    )

    /// `BDAT <n> LAST`: the chunk and the end of the message in one (RFC 3030 §2).
    public static let lastChunk = ExchangeSpec(
        success: [250], failure: [552, 554, 451, 452, 450, 550, 503],
        onSuccess: "the last chunk and the message are accepted; the transaction is over",
        onTransientFailure:
            "the message was not accepted, for now; the transaction has failed, RSET is due (RFC 3030 §2)",
        onPermanentFailure: "the message was refused; the transaction has failed, RSET is due (RFC 3030 §2)",
        specific: [
            503: "BDAT is out of sequence here (no accepted recipient, or after DATA); RSET is due (RFC 3030 §2)",
            353:
                "PRDR: the server checks the message; one reply per recipient follows, then one for the message (draft-hall-prdr-00 §4.5.1)",
        ],
        timeout: 600
    )

    /// One of the replies after the message that LMTP (RFC 2033 §4.2) and PRDR (draft-hall-prdr-00
    /// §4.5.2) give per recipient, in the order of the accepted RCPTs.
    public static let recipientDelivery = ExchangeSpec(
        success: [250, 251], failure: [450, 451, 452, 550, 551, 552, 553, 554],
        onSuccess: "the message is delivered to this recipient",
        onTransientFailure:
            "not delivered to this recipient, for now; send it again later for this recipient only (RFC 2033 §4.2)",
        onPermanentFailure: "the message is refused for this recipient; the others are not affected",
        specific: [
            452: "not delivered to this recipient, for now: mailbox or storage full; try later for this recipient",
            552: "refused for this recipient: the mailbox is over its quota or the message too big for it",
        ],
        timeout: 600
    )

    /// One of PRDR's replies per recipient (draft-hall-prdr-00 §4.5.2): whether the message would be
    /// acceptable to the recipient; "the client MUST NOT act on these responses until the final
    /// response is received".
    public static let prdrRecipient = ExchangeSpec(
        success: [250, 251], failure: [450, 451, 452, 550, 551, 552, 553, 554],
        onSuccess: "this recipient would accept the message; the message's final reply decides",
        onTransientFailure: "this recipient refuses the message for now; the message's final reply decides",
        onPermanentFailure: "this recipient refuses the message; the message's final reply decides",
        timeout: 600
    )

    /// PRDR's last reply after the per-recipient ones: the message as a whole (draft-hall-prdr-00 §4.5.3).
    public static let prdrMessage = ExchangeSpec(
        success: [250], failure: [450, 451, 452, 550, 552, 554],
        onSuccess: "the message is accepted for the recipients whose replies were 2xx; the transaction is over",
        onTransientFailure: "the message as a whole failed, for now; the transaction is over",
        onPermanentFailure: "the message as a whole was refused; the transaction is over",
        timeout: 600
    )

    /// RFC 4954 §4: the client's answers to 334 challenges.
    public static let authContinuation = ExchangeSpec(
        success: [235], intermediate: [334], failure: [432, 454, 500, 501, 534, 535, 538],
        onSuccess: "you are authenticated",
        onIntermediate: "the server sends the next challenge; answer with base64 or * to cancel",
        onTransientFailure: "authentication failed for now; try again later",
        onPermanentFailure: "authentication failed",
        specific: [
            501: "the exchange was cancelled or the answer was not valid base64",
            535: "the credentials were rejected",
            500: "the answer line was too long (RFC 4954 §4)",
            432: "the account needs a password transition: authenticate once with PLAIN over TLS (RFC 4954 §6)",
            454: "a temporary failure on the server's side (RFC 4954 §6); try again later",
        ]
    )

    private static let anyOpen = SessionPhase.connected

    /// RFC 5321 §4.5.3.2.5: "Data Block: 3 minutes", the wait for each write of message data.
    public static let dataBlockTimeout = 180

    public static let commands: [CommandSpec] = [
        CommandSpec(
            verb: .ehlo, syntax: "EHLO <domain or address literal>", template: "EHLO <domain>",
            summary: "Open the session and ask for the server's service extensions.",
            reference: "RFC 5321 §4.1.1.1", legalIn: anyOpen, suggestedIn: [.greeted],
            sequenceRule: "EHLO comes after the server's 220 greeting (RFC 5321 §3.1)", protocols: [.smtp],
            exchange: ExchangeSpec(
                success: [250], failure: [504, 550, 502],
                onSuccess: "the session is open and the server listed its extensions (/caps)",
                onTransientFailure: "EHLO was not accepted for now",
                onPermanentFailure: "EHLO was not accepted; try HELO or another domain",
                specific: [
                    502: "this server does not speak ESMTP; fall back to HELO (RFC 5321 §3.2)",
                    500: "this server does not know EHLO (an old one); fall back to HELO (RFC 5321 §3.2)",
                ])),
        CommandSpec(
            verb: .helo, syntax: "HELO <domain>", template: "HELO <domain>",
            summary: "Open the session without service extensions (the pre-ESMTP greeting).",
            reference: "RFC 5321 §4.1.1.1", legalIn: anyOpen, suggestedIn: [.greeted],
            sequenceRule: "HELO comes after the server's 220 greeting (RFC 5321 §3.1)", protocols: [.smtp],
            exchange: ExchangeSpec(
                success: [250], failure: [504, 550, 502],
                onSuccess: "the session is open, without extensions: ESMTP parameters may not be used",
                onTransientFailure: "HELO was not accepted for now",
                onPermanentFailure: "HELO was not accepted")),
        CommandSpec(
            verb: .lhlo, syntax: "LHLO <domain or address literal>", template: "LHLO <domain>",
            summary: "Open an LMTP session; the reply lists the server's extensions, as EHLO's does.",
            reference: "RFC 2033 §4.1", legalIn: anyOpen, suggestedIn: [.greeted],
            sequenceRule: "LHLO comes after the LMTP server's 220 greeting (RFC 2033 §4.1)", protocols: [.lmtp],
            exchange: ExchangeSpec(
                success: [250], failure: [504, 550, 500, 502],
                onSuccess: "the LMTP session is open and the server listed its extensions (/caps)",
                onTransientFailure: "LHLO was not accepted for now",
                onPermanentFailure: "LHLO was not accepted",
                specific: [500: "this server does not speak LMTP; greet it with EHLO (connect without --lmtp)"])),
        CommandSpec(
            verb: .starttls, syntax: "STARTTLS", template: "STARTTLS",
            summary: "Switch the connection to TLS; after the handshake, EHLO again.",
            reference: "RFC 3207 §4", legalIn: [.helloed], suggestedIn: [.helloed], requiredExtension: "STARTTLS",
            sequenceRule: "STARTTLS needs an EHLO whose reply advertised STARTTLS, outside a transaction (RFC 3207 §4)",
            exchange: ExchangeSpec(
                success: [220], failure: [454, 501],
                onSuccess:
                    "start the TLS handshake now; afterwards the server forgets this session and EHLO is due again",
                onTransientFailure: "TLS is not available for now; the session goes on in plain text",
                onPermanentFailure: "TLS was not started",
                specific: [
                    501: "STARTTLS takes no arguments",
                    503: "TLS is already on, or STARTTLS is out of sequence",
                ])),
        CommandSpec(
            verb: .auth, syntax: "AUTH <mechanism> [initial-response]", template: "AUTH <mechanism>",
            summary: "Authenticate with a SASL mechanism the server advertised.",
            reference: "RFC 4954 §4", legalIn: [.helloed], suggestedIn: [.helloed], requiredExtension: "AUTH",
            sequenceRule:
                "AUTH needs an EHLO whose reply advertised AUTH, outside a transaction, once per session (RFC 4954 §4)",
            exchange: ExchangeSpec(
                success: [235], intermediate: [334], failure: [432, 454, 500, 501, 503, 504, 530, 534, 535, 538],
                onSuccess: "you are authenticated",
                onIntermediate: "the server sends a challenge; answer with a base64 line, or * to cancel",
                onTransientFailure: "authentication failed for now",
                onPermanentFailure: "authentication failed",
                specific: [
                    504: "the server does not offer this mechanism",
                    503: "already authenticated, or AUTH is out of sequence",
                    535: "the credentials were rejected",
                    538: "this mechanism needs TLS first (STARTTLS)",
                    530:
                        "the server wants TLS first: AUTH itself cannot need authentication (RFC 4954 §6), so this is RFC 3207 §4's 530",
                    534: "the server will not accept this mechanism here; use a stronger one",
                    432:
                        "the account needs a password transition: authenticate once with PLAIN over TLS (RFC 4954 §6)",
                    454: "a temporary failure on the server's side (RFC 4954 §6); try again later",
                    500: "the AUTH line was too long (RFC 4954 §4)",
                ])),
        CommandSpec(
            verb: .mail, syntax: "MAIL FROM:<reverse-path> [parameters]", template: "MAIL FROM:<…>",
            summary: "Start a mail transaction with the sender's address (<> for bounces).",
            reference: "RFC 5321 §4.1.1.2", legalIn: [.helloed], suggestedIn: [.helloed],
            sequenceRule:
                "MAIL needs a session opened with EHLO or HELO and no transaction in progress (RFC 5321 §4.1.4)",
            pipelining: .anywhere,
            exchange: ExchangeSpec(
                success: [250], failure: [552, 451, 452, 550, 553, 503, 455, 555],
                onSuccess: "the transaction has started with this sender",
                onTransientFailure: "the transaction did not start, for now",
                onPermanentFailure: "the transaction did not start",
                specific: [
                    503: "MAIL is out of sequence (EHLO first, or a transaction is already open)",
                    554: "the sender or this client is refused by policy; the transaction did not start",
                    555: "a parameter after the address is not known or not offered; the transaction did not start",
                ])),
        CommandSpec(
            verb: .rcpt, syntax: "RCPT TO:<forward-path> [parameters]", template: "RCPT TO:<…>",
            summary: "Add one recipient to the transaction; repeat for each recipient.",
            reference: "RFC 5321 §4.1.1.3", legalIn: [.mailTransaction, .recipientsGiven],
            suggestedIn: [.mailTransaction, .recipientsGiven],
            sequenceRule: "RCPT needs a transaction started by MAIL, before the message (RFC 5321 §4.1.4, RFC 3030 §2)",
            pipelining: .anywhere,
            exchange: ExchangeSpec(
                success: [250, 251], failure: [550, 551, 552, 553, 450, 451, 452, 503, 455, 555],
                onSuccess: "this recipient is accepted",
                onTransientFailure: "this recipient is refused for now; the transaction goes on",
                onPermanentFailure: "this recipient is refused; the transaction goes on with the others",
                specific: [
                    251: "this recipient is accepted and the message will be forwarded",
                    551: "this recipient is not served here; the text may name the address to use",
                    452:
                        "this recipient is refused for now (storage, or too many recipients: send it in another transaction after this one, RFC 5321 §4.5.3.1.10); the transaction goes on",
                    550:
                        "this recipient is refused: no such mailbox here, or a policy says no (the enhanced code and the text say which); the transaction goes on with the others",
                    552:
                        "this recipient is refused: its mailbox is over its storage allocation; (for \"too many recipients\" RFC 5321 §4.5.3.1.10 says to treat it as 452 and send the rest in a new transaction); the transaction goes on",
                    553:
                        "this recipient's address is not allowed here (a mailbox name the server refuses, or bad syntax): correct the address; the transaction goes on with the others",
                    503: "there is no transaction: MAIL must come first",
                    454:
                        "this recipient is refused for now by policy (e.g. Postfix's \"Relay access denied\" to a client it cannot yet trust); the transaction goes on",
                    554:
                        "this recipient is refused by policy (relaying, or this client is on a block list); the transaction goes on with the others",
                    556: "the recipient's domain accepts no mail at all (null MX, RFC 7504 §4)",
                ])),
        CommandSpec(
            verb: .data, syntax: "DATA", template: "DATA",
            summary: "Send the message: after 354, the lines of the message and then a lone period.",
            reference: "RFC 5321 §4.1.1.4", legalIn: [.recipientsGiven], suggestedIn: [.recipientsGiven],
            sequenceRule:
                "DATA needs at least one recipient accepted by RCPT, and no BDAT before it (RFC 5321 §4.1.1.4, RFC 3030 §2)",
            exchange: ExchangeSpec(
                success: [], intermediate: [354], failure: [503, 554],
                onSuccess: "accepted",
                onIntermediate: "type the message now; a line holding only . ends it",
                onTransientFailure: "no message input now; the transaction is still open",
                onPermanentFailure: "no message input; the transaction is still open",
                specific: [
                    503: "there is no transaction with an accepted recipient",
                    554: "no valid recipients, or the server refuses the transaction",
                    451:
                        "a local error on the server; no message input now, try again later (RFC 5321 §4.3.2 lists 451 after the data; servers send it to DATA too)",
                    450: "refused for now by policy (greylisting is a common cause); the transaction is still open",
                    550: "refused by policy; no message input",
                    452: "no room for the message now; the transaction is still open",
                ],
                timeout: 120)),
        CommandSpec(
            verb: .bdat, syntax: "BDAT <octets> [LAST]", template: "BDAT <octets> [LAST]",
            summary: "Send the next chunk of the message, of exactly the given size (CHUNKING).",
            reference: "RFC 3030 §2", legalIn: [.recipientsGiven, .chunking],
            suggestedIn: [.recipientsGiven, .chunking],
            requiredExtension: "CHUNKING",
            sequenceRule:
                "BDAT needs at least one accepted recipient and a server that advertised CHUNKING, and no DATA before it (RFC 3030 §2)",
            pipelining: .anywhere,
            exchange: ExchangeSpec(
                success: [250], failure: [552, 554, 451, 452, 450, 550, 503],
                onSuccess: "the chunk is accepted; send the next with BDAT <octets> [LAST]",
                onTransientFailure:
                    "the chunk was not accepted, for now; the transaction has failed, RSET is due (RFC 3030 §2)",
                onPermanentFailure: "the chunk was refused; the transaction has failed, RSET is due (RFC 3030 §2)",
                specific: [
                    503:
                        "BDAT is out of sequence here (no accepted recipient, or after DATA); RSET is due (RFC 3030 §2)"
                ],
                timeout: 600)),
        CommandSpec(
            verb: .rset, syntax: "RSET", template: "RSET",
            summary: "Abort the current transaction; the session stays open.",
            reference: "RFC 5321 §4.1.1.5", legalIn: anyOpen,
            suggestedIn: [.helloed, .mailTransaction, .recipientsGiven, .chunking, .resetRequired],
            sequenceRule: "RSET is allowed at any time after the greeting", pipelining: .anywhere,
            exchange: ExchangeSpec(
                success: [250], failure: [],
                onSuccess: "any transaction is cleared; the session stays open",
                onTransientFailure: "the reset failed for now",
                onPermanentFailure: "the reset failed")),
        CommandSpec(
            verb: .vrfy, syntax: "VRFY <user or mailbox>", template: "VRFY <user>",
            summary: "Ask whether the server knows a user or mailbox.",
            reference: "RFC 5321 §4.1.1.6", legalIn: anyOpen, suggestedIn: [],
            sequenceRule: "VRFY is allowed at any time after the greeting",
            exchange: ExchangeSpec(
                success: [250, 251, 252], failure: [550, 551, 553, 502, 504],
                onSuccess: "the server confirms the mailbox",
                onTransientFailure: "the server cannot answer now",
                onPermanentFailure: "the mailbox is not confirmed",
                specific: [
                    251: "the user is not local; the server names where mail would go",
                    252: "the server will not confirm the user, but would accept mail for it",
                    502: "the server does not offer VRFY (common, for privacy)",
                ])),
        CommandSpec(
            verb: .expn, syntax: "EXPN <mailing list>", template: "EXPN <list>",
            summary: "Ask for the members of a mailing list.",
            reference: "RFC 5321 §4.1.1.7", legalIn: anyOpen, suggestedIn: [],
            sequenceRule: "EXPN is allowed at any time after the greeting",
            exchange: ExchangeSpec(
                success: [250, 252], failure: [550, 500, 502, 504],
                onSuccess: "the list's members follow, one per line",
                onTransientFailure: "the server cannot expand the list now",
                onPermanentFailure: "the list was not expanded",
                specific: [
                    252: "the server will not expand the list",
                    502: "the server does not offer EXPN (common, for privacy)",
                ])),
        CommandSpec(
            verb: .help, syntax: "HELP [topic]", template: "HELP",
            summary: "Ask the server for help text.",
            reference: "RFC 5321 §4.1.1.8", legalIn: anyOpen, suggestedIn: [],
            sequenceRule: "HELP is allowed at any time after the greeting",
            exchange: ExchangeSpec(
                success: [211, 214], failure: [502, 504],
                onSuccess: "help text from the server",
                onTransientFailure: "no help now",
                onPermanentFailure: "no help on that")),
        CommandSpec(
            verb: .noop, syntax: "NOOP", template: "NOOP",
            summary: "Do nothing; checks that the server is alive and resets its idle timer.",
            reference: "RFC 5321 §4.1.1.9", legalIn: anyOpen, suggestedIn: [.mailTransaction, .recipientsGiven],
            sequenceRule: "NOOP is allowed at any time after the greeting",
            exchange: ExchangeSpec(
                success: [250], failure: [],
                onSuccess: "the server is alive; nothing changed",
                onTransientFailure: "NOOP failed for now",
                onPermanentFailure: "NOOP failed")),
        CommandSpec(
            verb: .quit, syntax: "QUIT", template: "QUIT",
            summary: "End the session; the server answers 221 and closes the connection.",
            reference: "RFC 5321 §4.1.1.10", legalIn: anyOpen.union([.awaitingGreeting, .refused]),
            suggestedIn: anyOpen.union([.refused]), sequenceRule: "QUIT is allowed at any time",
            exchange: ExchangeSpec(
                success: [221], failure: [],
                onSuccess: "the server closes the connection; the session is over",
                onTransientFailure: "QUIT was not accepted",
                onPermanentFailure: "QUIT was not accepted")),
        CommandSpec(
            verb: .etrn, syntax: "ETRN <domain>", template: "ETRN <domain>",
            summary: "Ask the server to start delivering mail queued for a domain.",
            reference: "RFC 1985 §5", legalIn: [.helloed], suggestedIn: [], requiredExtension: "ETRN",
            sequenceRule: "ETRN needs an EHLO whose reply advertised ETRN, outside a transaction (RFC 1985 §5)",
            exchange: ExchangeSpec(
                success: [250, 251, 252, 253], failure: [458, 459, 500, 501],
                onSuccess: "the server will run its queue for that domain",
                onTransientFailure: "the queue cannot be run now",
                onPermanentFailure: "the queue was not run",
                specific: [
                    250: "the server has started a queue run for that domain (RFC 1985 §5)",
                    251: "there are no messages waiting for that domain (RFC 1985 §5)",
                    252: "the server has started delivering the messages pending for that domain (RFC 1985 §5)",
                    253: "the server has started delivering the given number of pending messages (RFC 1985 §5)",
                    458: "the server cannot queue messages for that domain now (RFC 1985 §5)",
                    459: "the server will not run its queue for that domain (RFC 1985 §5)",
                ])),
    ]

    /// The rows by verb, built once: `spec` runs for every command typed or sent, and a linear
    /// search copied each row it passed.
    private static let byVerb: [SMTPVerb: CommandSpec] = Dictionary(
        commands.map { ($0.verb, $0) }, uniquingKeysWith: { first, _ in first })

    /// The replies `verb` may get: the one column every reply needs, without copying the row.
    static func exchange(_ verb: SMTPVerb) -> ExchangeSpec {
        guard let exchange = exchangeByVerb[verb] else {
            preconditionFailure("CommandTable has no row for \(verb)")
        }
        return exchange
    }

    private static let exchangeByVerb: [SMTPVerb: ExchangeSpec] = byVerb.mapValues(\.exchange)

    public static func spec(_ verb: SMTPVerb) -> CommandSpec {
        guard let spec = byVerb[verb] else {
            preconditionFailure("CommandTable has no row for \(verb)")
        }
        return spec
    }
}
