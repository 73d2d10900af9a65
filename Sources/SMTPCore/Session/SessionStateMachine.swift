/// The state of one SMTP session, as the console user sees it.
///
/// Events go in (`connectionOpened`, `commandSent`, `endOfDataSent`, `replyReceived`,
/// `tlsEstablished`, `connectionClosed`); what the console must do comes out as actions. It
/// never touches a socket or a terminal, so tests read like the traces of RFC 5321 Appendix D.
///
///     disconnected      --connect----------------------->  awaitingGreeting
///     awaitingGreeting  --220--------------------------->  greeted
///     awaitingGreeting  --554, 521---------------------->  refused      (QUIT only)
///     greeted           --EHLO/HELO, 250---------------->  helloed(capabilities)
///     helloed           --STARTTLS 220, handshake------->  greeted      (capabilities forgotten, RFC 3207 §4.2)
///     helloed           --MAIL, 250--------------------->  mailTransaction
///     mailTransaction   --RCPT, 250/251----------------->  recipientsGiven
///     recipientsGiven   --RCPT, 250/251----------------->  recipientsGiven
///     recipientsGiven   --DATA, 354--------------------->  data
///     data              --"."--------------------------->  helloed      (the reply says whether it was accepted)
///     mail…, rcpt…      --RSET 250, EHLO/HELO 250------->  helloed
///     any               --QUIT 221, any 421, drop------->  closed
public struct SessionStateMachine: Sendable {
    public enum HelloKind: String, Sendable { case ehlo, helo }

    /// What a reply answered.
    public enum ReplySource: Hashable, Sendable {
        case greeting
        case command(SMTPCommand)
        case endOfData
        case authContinuation

        /// The name used in annotations: "MAIL", "the greeting", "the end of data".
        public var name: String {
            switch self {
            case .greeting: return "greeting"
            case .command(let command):
                return command.verb?.rawValue ?? VisibleText.escape(command.verbText.uppercased())
            case .endOfData: return "end of data"
            case .authContinuation: return "AUTH response"
            }
        }

        public var exchange: ExchangeSpec? {
            switch self {
            case .greeting: return CommandTable.greeting
            case .endOfData: return CommandTable.endOfData
            case .authContinuation: return CommandTable.authContinuation
            case .command(let command): return command.verb.map { CommandTable.spec($0).exchange }
            }
        }
    }

    /// What the console must do after an event.
    public enum Action: Hashable, Sendable {
        /// 354: the lines typed next are the message.
        case enterDataMode
        /// 220 to STARTTLS: the TLS handshake must start before anything else is sent.
        case startTLSHandshake
        /// 334: the next line is an answer to a SASL challenge; never echo or store it in clear.
        case expectSecretResponse
        /// 221, 421, a refused greeting: the server is closing or has closed the connection.
        case closeConnection
    }

    /// The interpretation of one reply.
    public struct ReplyOutcome: Hashable, Sendable {
        public var reply: SMTPReply
        /// The exchange it answered; nil for an unsolicited reply.
        public var answered: ReplySource?
        /// What the reply means as an answer to `answered`.
        public var meaning: String
        public var nextSteps: [String]
        public var actions: [Action]
        public var warnings: [String]
    }

    public private(set) var phase: SessionPhase = .disconnected
    public private(set) var helloKind: HelloKind?
    /// The extensions of the last successful EHLO; empty after HELO, nil before any.
    public private(set) var capabilities: EHLOCapabilities?
    public private(set) var isTLS = false
    /// The server said 220 to STARTTLS: nothing but the TLS handshake may follow.
    public private(set) var isAwaitingTLSHandshake = false
    public private(set) var isAuthenticated = false
    public private(set) var sender: String?
    public private(set) var acceptedRecipients: [String] = []
    public private(set) var refusedRecipients = 0
    public private(set) var lastReply: SMTPReply?
    public private(set) var lastAnswered: ReplySource?
    /// Exchanges awaiting a reply, oldest first (more than one only when pipelining).
    public private(set) var pending: [ReplySource] = []

    public init() {}

    // MARK: Events

    public mutating func connectionOpened(overTLS: Bool = false) {
        self = SessionStateMachine()
        phase = .awaitingGreeting
        isTLS = overTLS
        pending = [.greeting]
    }

    /// Records a command line sent to the server. Call `warnings(for:)` first to show what is wrong with it.
    public mutating func commandSent(_ command: SMTPCommand) {
        pending.append(.command(command))
    }

    /// The answer to a 334 challenge was sent.
    public mutating func authResponseSent() {
        pending.append(.authContinuation)
    }

    /// The line `.` that ends the message was sent: the transaction is over whatever the reply.
    public mutating func endOfDataSent() {
        precondition(phase == .data, "end of data sent outside data mode")
        phase = .helloed
        sender = nil
        acceptedRecipients = []
        refusedRecipients = 0
        pending.append(.endOfData)
    }

    public mutating func tlsEstablished() {
        // RFC 3207 §4.2: the server discards all knowledge obtained from the client, and the
        // client must discard what it learnt from the server, then EHLO again.
        isTLS = true
        isAwaitingTLSHandshake = false
        isAuthenticated = false
        capabilities = nil
        helloKind = nil
        clearTransaction()
        // With implicit TLS the handshake comes before the greeting, which is still awaited.
        if phase != .closed, phase != .awaitingGreeting { phase = .greeted }
    }

    public mutating func connectionClosed() {
        phase = .closed
        isAwaitingTLSHandshake = false
        pending = []
    }

    /// Interprets one complete reply and moves the session on.
    public mutating func replyReceived(_ reply: SMTPReply) -> ReplyOutcome {
        lastReply = reply
        let source = pending.isEmpty ? nil : pending.removeFirst()
        lastAnswered = source
        var actions: [Action] = []
        var warnings = Self.enhancedCodeWarnings(reply)
        let code = reply.code

        if let source, let exchange = source.exchange, !exchange.allCodes.contains(code),
            ExchangeSpec.anyCommand[code] == nil
        {
            let listed = exchange.allCodes.map(String.init).joined(separator: ", ")
            warnings.append("\(code) is not a reply the RFC lists for \(source.name) (\(listed))")
        }

        if code == 421 {
            phase = .closed
            actions.append(.closeConnection)
        } else if let source {
            apply(reply, to: source, actions: &actions)
        } else {
            warnings.append("unsolicited reply: no command was waiting for an answer")
        }

        let meaning: String
        if let source, let exchange = source.exchange {
            meaning = exchange.meaning(of: code)
        } else if code == 421 {
            meaning = ExchangeSpec.anyCommand[421]!
        } else {
            meaning = ReplyCodeTable.title(code)
        }
        return ReplyOutcome(
            reply: reply, answered: source, meaning: meaning, nextSteps: nextSteps, actions: actions,
            warnings: warnings)
    }

    private mutating func apply(_ reply: SMTPReply, to source: ReplySource, actions: inout [Action]) {
        let code = reply.code
        let isPositive = reply.replyClass == .positiveCompletion
        switch source {
        case .greeting:
            if code == 220 {
                phase = .greeted
            } else if reply.replyClass == .permanentNegative {
                phase = .refused
            } else {
                phase = .closed
                actions.append(.closeConnection)
            }
        case .endOfData:
            break
        case .authContinuation:
            if code == 235 { isAuthenticated = true }
            if code == 334 { actions.append(.expectSecretResponse) }
        case .command(let command):
            guard let verb = command.verb else { return }
            switch verb {
            case .ehlo, .helo, .lhlo:
                guard isPositive else { return }
                helloKind = verb == .helo ? .helo : .ehlo
                capabilities = verb == .helo ? EHLOCapabilities() : EHLOCapabilities(reply: reply)
                clearTransaction()
                phase = .helloed
            case .mail:
                guard isPositive, phase == .helloed else { return }
                sender = command.path ?? command.argument
                phase = .mailTransaction
            case .rcpt:
                guard phase == .mailTransaction || phase == .recipientsGiven else { return }
                if isPositive {
                    acceptedRecipients.append(command.path ?? command.argument)
                    phase = .recipientsGiven
                } else {
                    refusedRecipients += 1
                }
            case .data:
                if code == 354 {
                    phase = .data
                    actions.append(.enterDataMode)
                }
            case .bdat:
                // RFC 3030 §2: after LAST the transaction is done; after a refused chunk it has
                // failed, but only RSET ends it on both sides, so the phase stays until then.
                let isLast = command.argument.uppercased().split(separator: " ").contains("LAST")
                if isPositive, isLast {
                    clearTransaction()
                    phase = .helloed
                }
            case .rset:
                if isPositive, phase == .mailTransaction || phase == .recipientsGiven {
                    clearTransaction()
                    phase = .helloed
                }
            case .quit:
                if code == 221 {
                    phase = .closed
                    actions.append(.closeConnection)
                }
            case .starttls:
                if code == 220 {
                    isAwaitingTLSHandshake = true
                    actions.append(.startTLSHandshake)
                }
            case .auth:
                if code == 235 { isAuthenticated = true }
                if code == 334 { actions.append(.expectSecretResponse) }
            case .vrfy, .expn, .help, .noop, .etrn:
                break
            }
        }
    }

    private mutating func clearTransaction() {
        sender = nil
        acceptedRecipients = []
        refusedRecipients = 0
    }

    // MARK: Derived

    /// Whether a command is advertised/allowed by the extensions the server listed.
    private func extensionSatisfied(_ spec: CommandSpec) -> Bool {
        if spec.verb == .lhlo { return false }
        guard let keyword = spec.requiredExtension else { return true }
        guard capabilities?.has(keyword) == true else { return false }
        if spec.verb == .starttls { return !isTLS }
        if spec.verb == .auth { return !isAuthenticated }
        return true
    }

    /// The commands that are in sequence now, in table order.
    public var legalCommands: [CommandSpec] {
        CommandTable.commands.filter { $0.legalIn.contains(phase) && extensionSatisfied($0) }
    }

    /// The usual next steps, as shown after "next:" (RFC 5321 §4.1.4, §4.3.2).
    public var nextSteps: [String] {
        switch phase {
        case .disconnected, .closed:
            return ["/connect HOST[:PORT]"]
        case .awaitingGreeting:
            return ["wait for the greeting"]
        case .data:
            return ["the message lines", "a line holding only . to end it"]
        case .greeted, .helloed, .mailTransaction, .recipientsGiven, .refused:
            if isAwaitingChallengeAnswer {
                return ["a base64 answer", "* to cancel"]
            }
            if isAwaitingTLSHandshake {
                return ["the TLS handshake"]
            }
            return CommandTable.commands
                .filter { $0.suggestedIn.contains(phase) && extensionSatisfied($0) }
                .map(\.template)
        }
    }

    private func isAwaitingChallengeAnswer(_ source: ReplySource) -> Bool {
        guard lastReply?.code == 334 else { return false }
        switch source {
        case .authContinuation: return true
        case .command(let command): return command.verb == .auth
        default: return false
        }
    }

    /// True after a 334 challenge: the next line is a secret.
    public var isAwaitingChallengeAnswer: Bool {
        pending.isEmpty && lastAnswered.map(isAwaitingChallengeAnswer) == true
    }

    /// Why this command is out of sequence, not advertised, or malformed; empty when it is fine.
    public func warnings(for command: SMTPCommand) -> [String] {
        guard let verb = command.verb else {
            return [
                "\(command.verbText.isEmpty ? "an empty line" : "'\(VisibleText.escape(command.verbText))'") is not a command ehlo knows; sending it anyway"
            ]
        }
        let spec = CommandTable.spec(verb)
        var warnings: [String] = []
        if phase == .disconnected || phase == .closed {
            return warnings
        }
        if !spec.legalIn.contains(phase) {
            warnings.append("\(verb.rawValue) is out of sequence here (\(phaseDescription)): \(spec.sequenceRule)")
        } else if let keyword = spec.requiredExtension {
            if capabilities?.has(keyword) != true {
                let why =
                    helloKind == .helo
                    ? "the session was opened with HELO, which advertises nothing"
                    : "the last EHLO did not advertise \(keyword)"
                warnings.append(
                    "\(verb.rawValue) needs the \(keyword) extension, but \(why) (\(ExtensionTable.row(keyword)?.reference ?? spec.reference))"
                )
            } else if verb == .starttls, isTLS {
                warnings.append("the connection already uses TLS; a second STARTTLS is not allowed (RFC 3207 §4.2)")
            } else if verb == .auth, isAuthenticated {
                warnings.append("already authenticated; a second AUTH is not allowed (RFC 4954 §4)")
            }
        }
        if verb == .auth, !isTLS {
            warnings.append(
                "AUTH on a connection without TLS: the credentials cross the network readable (RFC 4954 §4, RFC 8314)")
        }
        if verb == .auth, let mechanism = command.authMechanism, let offered = capabilities?.authMechanisms,
            !offered.isEmpty, !offered.contains(mechanism)
        {
            warnings.append(
                "the server did not list \(mechanism) among its AUTH mechanisms (\(offered.joined(separator: " ")))")
        }
        warnings += syntaxWarnings(for: command, verb: verb)
        return warnings
    }

    private func syntaxWarnings(for command: SMTPCommand, verb: SMTPVerb) -> [String] {
        var warnings: [String] = []
        let argument = command.argument
        switch verb {
        case .mail, .rcpt:
            let keyword = verb == .mail ? "FROM:" : "TO:"
            if !argument.uppercased().hasPrefix(keyword) {
                warnings.append(
                    "\(verb.rawValue) expects \(CommandTable.spec(verb).syntax) (\(CommandTable.spec(verb).reference))")
            } else if command.path == nil {
                warnings.append(
                    "the address should be in angle brackets: \(verb.rawValue) \(keyword)<…> (RFC 5321 §4.1.2)")
            } else if argument.dropFirst(keyword.count).hasPrefix(" ") {
                warnings.append("RFC 5321 §4.1.1.2 allows no space after \(keyword); many servers refuse it")
            }
            warnings += parameterWarnings(command.parameters, verb: verb)
        case .ehlo, .helo, .lhlo:
            if argument.isEmpty {
                warnings.append(
                    "\(verb.rawValue) needs your domain or address literal, e.g. \(verb.rawValue) client.example (RFC 5321 §4.1.1.1)"
                )
            }
        case .data, .rset, .noop, .quit, .starttls:
            if !argument.isEmpty, verb != .noop {
                warnings.append("\(verb.rawValue) takes no arguments (\(CommandTable.spec(verb).reference))")
            }
        case .vrfy, .expn, .etrn, .auth, .bdat:
            if argument.isEmpty {
                warnings.append("\(verb.rawValue) expects \(CommandTable.spec(verb).syntax)")
            }
        case .help:
            break
        }
        return warnings
    }

    private func parameterWarnings(_ parameters: [ESMTPParameter], verb: SMTPVerb) -> [String] {
        guard !parameters.isEmpty else { return [] }
        if helloKind == .helo {
            return ["parameters after the address need EHLO; this session was opened with HELO (RFC 5321 §4.1.2)"]
        }
        var warnings: [String] = []
        for parameter in parameters {
            guard let keyword = ExtensionTable.extensionNeeded(for: parameter, of: verb) else {
                if ExtensionTable.parameter(parameter.keyword, of: verb) == nil, parameter.keyword != "BODY" {
                    warnings.append("\(parameter.keyword) is not a \(verb.rawValue) parameter ehlo knows")
                }
                continue
            }
            if let capabilities, !capabilities.has(keyword) {
                warnings.append(
                    "\(parameter.keyword)\(parameter.value.map { "=\($0)" } ?? "") needs \(keyword), which the last EHLO did not advertise"
                )
            }
            if parameter.keyword == "SIZE", let limit = capabilities?.maximumMessageSize,
                let size = parameter.value.flatMap({ Int($0) }), size > limit
            {
                warnings.append("SIZE=\(size) is over the server's limit of \(limit) octets (RFC 1870 §6)")
            }
        }
        return warnings
    }

    /// RFC 3463 §2 (and RFC 2034): the enhanced code's class must agree with the basic code's.
    static func enhancedCodeWarnings(_ reply: SMTPReply) -> [String] {
        guard let enhanced = reply.enhancedCode else { return [] }
        let basicClass = reply.code / 100
        guard [2, 4, 5].contains(basicClass), enhanced.statusClass != basicClass else { return [] }
        return [
            "enhanced code \(enhanced) (class \(enhanced.statusClass)) contradicts reply code \(reply.code) (class \(basicClass)); RFC 3463 §2 wants them to agree"
        ]
    }

    /// A few words for the phase, as shown in warnings and `/state`.
    public var phaseDescription: String {
        switch phase {
        case .disconnected: return "not connected"
        case .awaitingGreeting: return "waiting for the greeting"
        case .greeted: return "greeted, no EHLO yet"
        case .helloed: return helloKind == .helo ? "after HELO, no transaction" : "after EHLO, no transaction"
        case .mailTransaction: return "in a transaction, no recipient accepted yet"
        case .recipientsGiven:
            return
                "in a transaction with \(acceptedRecipients.count) accepted recipient\(acceptedRecipients.count == 1 ? "" : "s")"
        case .data: return "sending the message"
        case .refused: return "the server refused the session"
        case .closed: return "connection closed"
        }
    }

    /// The state words in the prompt: `mail rcpt=2 tls`.
    public var promptTags: [String] {
        var tags: [String]
        switch phase {
        case .disconnected: tags = []
        case .awaitingGreeting: tags = ["connecting"]
        case .greeted: tags = ["greeted"]
        case .helloed: tags = [helloKind?.rawValue ?? "helo"]
        case .mailTransaction: tags = ["mail"]
        case .recipientsGiven: tags = ["mail", "rcpt=\(acceptedRecipients.count)"]
        case .data: tags = ["data"]
        case .refused: tags = ["refused"]
        case .closed: tags = ["closed"]
        }
        if isTLS, phase != .closed { tags.append("tls") }
        if isAuthenticated, phase != .closed { tags.append("auth") }
        return tags
    }
}
