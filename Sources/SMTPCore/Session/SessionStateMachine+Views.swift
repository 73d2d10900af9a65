/// What the console shows of the session: where it stands, what is awaited, what may come next.
extension SessionStateMachine {
    /// The phase the replies have established.
    public var phase: SessionPhase { confirmed.state.phase }

    /// The phase once every queued exchange has its reply (if each succeeds).
    public var predictedPhase: SessionPhase { predicted.state.phase }

    public var sessionProtocol: SessionProtocol { confirmed.sessionProtocol }
    public var isTLS: Bool { confirmed.isTLS }
    public var isAuthenticated: Bool { confirmed.isAuthenticated }
    public var helloKind: Hello.Kind? { confirmed.state.hello?.kind }
    /// The extensions of the last successful EHLO or LHLO; empty after HELO, nil before any (and
    /// after STARTTLS, which forgets them, RFC 3207 §4.2).
    public var capabilities: EHLOCapabilities? { confirmed.state.hello?.capabilities }
    public var sender: String? { confirmed.state.transaction?.sender }
    public var acceptedRecipients: [String] { confirmed.state.transaction?.acceptedRecipients ?? [] }
    public var refusedRecipients: [String] { confirmed.state.transaction?.refusedRecipients ?? [] }
    public var acceptedChunks: Int { confirmed.state.transaction?.acceptedChunks ?? 0 }
    /// The client ended the session: the last reply was 221 to its QUIT (RFC 5321 §4.1.1.10),
    /// not a 421 or a close the server chose.
    public var isEndedByQuit: Bool {
        lastReply?.code == 221 && lastAnswered?.verb == .quit
    }
    /// Exchanges awaiting a reply, oldest first (more than one when pipelining, or after Ctrl-C).
    public var pending: [PendingExchange] { queue }

    /// How many replies the queued exchanges still owe, or nil while that cannot be known (a
    /// PRDR end of data before its 353; LMTP's or PRDR's BDAT LAST before its first reply).
    public var repliesOwed: Int? {
        var total = 0
        for exchange in queue {
            if exchange.repliesTaken == 0 {
                if case .prdr = exchange.expectation { return nil }
                if exchange.source.command?.bdatChunk?.isLast == true,
                    confirmed.sessionProtocol == .lmtp || confirmed.state.transaction?.requestsPRDR == true
                {
                    return nil
                }
            }
            total += exchange.repliesOwed
        }
        return total
    }

    /// The answer now due is AUTH LOGIN's user name (draft-murchison-sasl-login §2.1): no
    /// secret, so it is shown and recorded. Every other answer to a 334 may be a secret.
    ///
    /// ### Why the SASL state, not the prompt?
    /// A 334's text is whatever the server chose: one that words its password prompt
    /// `Username:` (or a server that is not ours, in a transcript given to `ehlo render`) must
    /// not get the password shown. The state decides: the first 334 to an `AUTH LOGIN` that
    /// carried no initial response asks for the user name; after that, or after `AUTH LOGIN
    /// <user>`, or with any other mechanism, every answer until the final reply is redacted.
    /// A prompt that says "password" keeps even that first answer redacted.
    public var isUserNameAsked: Bool {
        guard inputMode == .challengeAnswer, case .command(let command) = lastAnswered,
            command.authMechanism == "LOGIN", !command.hasAuthInitialResponse
        else { return false }
        let prompt = lastReply.flatMap(ReplyAnnotator.decodedChallenge)?.lowercased() ?? ""
        return !prompt.contains("pass")
    }

    /// What the next typed line is.
    public var inputMode: InputMode {
        if skip != nil { return .skipping }
        let marks = queueMarks
        if let index = marks.lastChunk, let size = queue[index].source.command?.bdatChunk?.size {
            return .chunk(remaining: queue[index].octetsToSend, size: size)
        }
        switch confirmed.state {
        case .disconnected, .closed: return .offline
        case .message: return .message
        case .tlsHandshake: return .tlsHandshake
        case .authenticating where queue.isEmpty: return .challengeAnswer
        default: break
        }
        // DATA's 354, STARTTLS's 220 and AUTH's 334 change what the next lines are.
        if let index = marks.firstDeciding {
            return .awaitingReply(queue[index].source)
        }
        return .commands
    }

    static func decidesInput(_ source: ReplySource) -> Bool {
        switch source {
        case .authContinuation: return true
        case .command(let command):
            switch command.verb {
            case .data?, .starttls?, .auth?: return true
            default: return false
            }
        case .greeting, .endOfData: return false
        }
    }

    // MARK: What may come next

    /// Whether a command belongs in the lists of what may come next: its phase, its protocol, its
    /// extension, and DATA not after BODY=BINARYMIME (RFC 3030 §3).
    static func isOffered(_ spec: CommandSpec, in snapshot: Snapshot, phases: KeyPath<CommandSpec, Set<SessionPhase>>)
        -> Bool
    {
        spec[keyPath: phases].contains(snapshot.state.phase) && spec.protocols.contains(snapshot.sessionProtocol)
            && extensionSatisfied(spec, in: snapshot)
            && !(spec.verb == .data && snapshot.state.transaction?.isBinaryMIME == true)
    }

    /// Whether the extension a command needs was advertised, and the command still makes sense.
    private static func extensionSatisfied(_ spec: CommandSpec, in snapshot: Snapshot) -> Bool {
        guard let keyword = spec.requiredExtension else { return true }
        guard snapshot.state.hello?.capabilities?.has(keyword) == true else { return false }
        if spec.verb == .starttls { return !snapshot.isTLS }
        if spec.verb == .auth { return !snapshot.isAuthenticated }
        return true
    }

    /// The commands that are in sequence once the queued exchanges are answered, in table order.
    public var legalCommands: [CommandSpec] {
        let snapshot = predicted
        return CommandTable.commands.filter { Self.isOffered($0, in: snapshot, phases: \.legalIn) }
    }

    /// The usual next steps, as shown after "next:" (RFC 5321 §4.1.4, §4.3.2).
    public var nextSteps: [String] { nextStepsBasis.steps }

    var nextStepsBasis: NextSteps { NextSteps(mode: inputMode, confirmed: confirmed) }

    /// What the next steps follow from, kept in a reply's outcome so that they are worked out
    /// only if they are shown or recorded.
    struct NextSteps: Hashable, Sendable {
        var mode: InputMode
        var confirmed: Snapshot

        var steps: [String] {
            switch mode {
            case .offline: return ["/connect HOST[:PORT]"]
            case .message: return ["the message lines", "a line holding only . to end it"]
            case .chunk(let remaining, _): return ["the \(remaining) octets left of this BDAT chunk"]
            case .challengeAnswer: return ["a base64 answer", "* to cancel"]
            case .tlsHandshake: return ["the TLS handshake"]
            case .awaitingReply(let source): return ["wait for the reply to \(source.name)"]
            case .skipping:
                return confirmed.state.isMessage
                    ? ["the final . alone: the message lines are skipped (RFC 2920 §3.1)"]
                    : ["the script's lines after the skipped ones"]
            case .commands: break
            }
            if confirmed.state == .awaitingGreeting { return ["wait for the greeting"] }
            if confirmed.state.transaction?.isDataRefused == true { return ["RSET", "QUIT"] }
            return CommandTable.commands.filter {
                SessionStateMachine.isOffered($0, in: confirmed, phases: \.suggestedIn)
            }.map(\.template)
        }
    }

    /// Lines for `/state` and `/next`: each exchange still awaited, oldest first.
    public var awaitedDescription: [String] {
        queue.map { exchange in
            var line = exchange.source.detailedName
            if exchange.octetsToSend > 0 {
                line += ": \(exchange.octetsToSend) chunk octets still to send"
            } else if exchange.sentAt == nil {
                line += ": held for the pipelined group, not sent yet"
            } else {
                let owed = exchange.repliesOwed
                switch exchange.expectation {
                case .one: line += ": its reply"
                case .perRecipient(let recipients):
                    line += ": \(owed) of \(recipients.count) per-recipient replies (LMTP)"
                case .prdr(let recipients):
                    line +=
                        exchange.repliesTaken == 0
                        ? ": 353, then \(recipients.count) per-recipient replies and the message's (PRDR)"
                        : ": \(owed) more (PRDR)"
                }
            }
            return line
        }
    }

    // MARK: Descriptions

    /// A few words for where the session stands, as shown in warnings and `/state`.
    public var phaseDescription: String {
        describe(confirmed)
    }

    private func describe(_ snapshot: Snapshot) -> String {
        let hello = snapshot.state.hello?.kind.rawValue.uppercased() ?? "EHLO"
        switch snapshot.state {
        case .disconnected: return "not connected"
        case .awaitingGreeting: return "waiting for the greeting"
        case .greeted: return "greeted, no \(snapshot.sessionProtocol == .lmtp ? "LHLO" : "EHLO") yet"
        case .helloed: return "after \(hello), no transaction"
        case .transaction(_, let transaction):
            if transaction.acceptedChunks > 0 {
                return
                    "in a transaction, \(transaction.acceptedChunks) BDAT chunk\(transaction.acceptedChunks == 1 ? "" : "s") accepted"
            }
            let count = transaction.acceptedRecipients.count
            return count == 0
                ? "in a transaction, no recipient accepted yet"
                : "in a transaction with \(count) accepted recipient\(count == 1 ? "" : "s")"
        case .failedTransaction: return "in a failed transaction: RSET is due (RFC 3030 §2)"
        case .message: return "sending the message"
        case .authenticating: return "answering an AUTH challenge"
        case .tlsHandshake: return "in the TLS handshake"
        case .refused: return "the server refused the session"
        case .closed: return "connection closed"
        }
    }

    /// The state words in the prompt: `mail rcpt=2 tls`.
    public var promptTags: [String] {
        var tags: [String]
        switch confirmed.state {
        case .disconnected: tags = []
        case .awaitingGreeting: tags = ["connecting"]
        case .greeted: tags = ["greeted"]
        case .helloed(let hello), .authenticating(let hello): tags = [hello.kind.rawValue]
        case .transaction(_, let transaction), .message(_, let transaction):
            tags = ["mail"]
            if !transaction.acceptedRecipients.isEmpty { tags.append("rcpt=\(transaction.acceptedRecipients.count)") }
            if transaction.acceptedChunks > 0 { tags.append("chunks=\(transaction.acceptedChunks)") }
        case .failedTransaction: tags = ["mail", "rset-due"]
        case .tlsHandshake: tags = ["handshake"]
        case .refused: tags = ["refused"]
        case .closed: tags = ["closed"]
        }
        guard confirmed.state != .closed else { return tags }
        if confirmed.sessionProtocol == .lmtp { tags.append("lmtp") }
        if confirmed.isTLS { tags.append("tls") }
        if confirmed.isAuthenticated { tags.append("auth") }
        let written = queue.filter { $0.sentAt != nil }.count
        if written > 0, inputMode == .commands { tags.append("awaiting=\(written)") }
        return tags
    }

    /// A note when pipelining is used but the server did not offer it (RFC 2920 §3), else nil.
    public var pipeliningWarning: String? {
        guard let capabilities = predicted.state.hello?.capabilities ?? capabilities, !capabilities.has("PIPELINING")
        else { return nil }
        return
            "the server did not advertise PIPELINING: it may drop or refuse commands that arrive before their turn (RFC 2920 §3); Postfix logs \"improper command pipelining\""
    }
}
