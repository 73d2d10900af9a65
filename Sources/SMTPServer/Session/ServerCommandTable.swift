import SMTPCore

/// The practice server's side of `CommandTable`: which verbs it answers, and what it adds to the
/// table's sequence rules.
///
/// The verbs, their syntax and help texts, and the phases in which each one is in sequence are
/// `CommandTable`'s rows, shared with the console. This table holds only what a server decides
/// for itself: the verbs it knows of but does not implement, which greeting its protocol takes,
/// and the rules that depend on more than the phase (TLS already on, AUTH already done).
///
/// ### Why 502 for some verbs and 500 for others?
/// RFC 5321 §4.2.4: 500 says the command is not recognised at all, 502 that it is a known SMTP
/// command this server does not implement. A client that sees 502 knows to stop trying it here;
/// a typo gets 500.
enum ServerCommandTable {
    /// A verb that some RFC defines and this server does not implement: it gets 502.
    struct NotImplemented: Hashable, Sendable {
        let verb: String
        let reference: String

        /// A verb of the core's table: its reference comes from the `CommandTable` row.
        init(_ verb: SMTPVerb) {
            self.verb = verb.rawValue
            self.reference = CommandTable.spec(verb).reference
        }

        /// A verb the core does not know.
        init(_ verb: String, reference: String) {
            self.verb = verb
            self.reference = reference
        }
    }

    static let notImplemented: [NotImplemented] = [
        NotImplemented("TURN", reference: "RFC 821 §3.8, obsolete: RFC 5321 Appendix F.1"),
        NotImplemented("SEND", reference: "RFC 821 §3.4, obsolete: RFC 5321 Appendix F.6"),
        NotImplemented("SOML", reference: "RFC 821 §3.4, obsolete: RFC 5321 Appendix F.6"),
        NotImplemented("SAML", reference: "RFC 821 §3.4, obsolete: RFC 5321 Appendix F.6"),
        NotImplemented(.etrn),
        NotImplemented("ATRN", reference: "RFC 2645"),
        NotImplemented("VERB", reference: "Sendmail's verbose mode, in no RFC"),
    ]

    /// The greetings a server of each protocol takes: EHLO and HELO (RFC 5321 §4.1.1.1), or LHLO
    /// alone (RFC 2033 §4.1: no positive reply to HELO or EHLO, "The 500 reply code is recommended").
    static func greetings(isLMTP: Bool) -> Set<SMTPVerb> {
        isLMTP ? [.lhlo] : [.ehlo, .helo]
    }

    /// What the first word of a command line names, for this server.
    enum Recognized: Hashable, Sendable {
        /// A verb of `CommandTable` that this server answers.
        case command(SMTPVerb)
        case notImplemented(NotImplemented)
        /// The other protocol's greeting: LHLO to an SMTP server, EHLO or HELO to an LMTP one.
        case otherProtocolsGreeting(SMTPVerb)
        case unrecognized
    }

    static func recognize(_ word: some StringProtocol, isLMTP: Bool) -> Recognized {
        let word = word.uppercased()
        if let row = notImplemented.first(where: { $0.verb == word }) { return .notImplemented(row) }
        guard let verb = SMTPVerb(rawValue: word) else { return .unrecognized }
        let allGreetings = greetings(isLMTP: true).union(greetings(isLMTP: false))
        if allGreetings.contains(verb), !greetings(isLMTP: isLMTP).contains(verb) {
            return .otherProtocolsGreeting(verb)
        }
        return .command(verb)
    }

    /// The rows of the verbs this server answers, in `CommandTable`'s order (HELP lists them).
    static func answeredCommands(isLMTP: Bool) -> [CommandSpec] {
        CommandTable.commands.filter { recognize($0.verb.rawValue, isLMTP: isLMTP) == .command($0.verb) }
    }

    /// A sequence rule that the phase alone does not decide, answered with 503 when broken.
    struct SessionRule: Sendable {
        let verb: SMTPVerb
        /// Why the command is out of sequence, with the RFC that says so.
        let detail: String
        let isBroken: @Sendable (ServerSessionStateMachine) -> Bool
    }

    static let sessionRules: [SessionRule] = [
        SessionRule(verb: .starttls, detail: "TLS is already active (RFC 3207 §4)") { $0.isTLS },
        SessionRule(
            verb: .auth, detail: "already authenticated: AUTH succeeds once per session (RFC 4954 §4)"
        ) { $0.authenticatedUser != nil },
        SessionRule(verb: .data, detail: "DATA cannot follow BDAT in one transaction (RFC 3030 §2)") { session in
            guard case .transaction(let transaction) = session.state else { return false }
            return transaction.usesChunking
        },
    ]
}
