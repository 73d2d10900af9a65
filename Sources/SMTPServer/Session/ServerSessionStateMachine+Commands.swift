import Foundation
import SMTPCore

/// The commands of RFC 5321 §4.1.1 and the extensions: recognised by `ServerCommandTable`, checked
/// against the state in one place (`sequenceRefusal(of:)`, RFC 5321 §4.1.4 and §4.3.2), then answered.
extension ServerSessionStateMachine {
    /// The ESMTP keywords advertised after EHLO or LHLO (each has a row in `ExtensionTable`).
    var capabilities: [String] {
        var keywords = [
            "PIPELINING", "SIZE \(configuration.maximumMessageSize)", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
            "CHUNKING",
        ]
        // LMTP replies per recipient anyway (RFC 2033 §4.2); PRDR brings that to SMTP (draft-hall-prdr-00 §4.1).
        if !configuration.isLMTP { keywords.append("PRDR") }
        if configuration.offersTLS && !isTLS { keywords.append("STARTTLS") }
        if offersAuth {
            keywords.append("AUTH " + SASLExchange.Mechanism.allCases.map(\.rawValue).joined(separator: " "))
        }
        keywords.append("HELP")
        return keywords
    }

    /// RFC 4954 §4: passwords only under TLS, unless `--allow-plain-auth`.
    var offersAuth: Bool {
        !configuration.users.isEmpty && (isTLS || configuration.allowsPlainAuth)
    }

    // MARK: Dispatch

    mutating func commandLineReceived(_ line: InputLine) -> [Action] {
        var actions = dispatch(line)
        for case .send(let reply) in actions where Self.countsAsError(reply.code) {
            errorCount += 1
        }
        if errorCount >= configuration.maximumErrors, !isClosed {
            let reply = ServerReply(421, esc(4, 7, 0), "\(configuration.domain) Too many errors, closing connection")
            actions += close(with: reply, reason: "\(errorCount) errors")
        }
        return actions
    }

    /// Replies that say the client did something wrong (not that a mailbox said no). A failed
    /// AUTH (535) counts against `maximumAuthFailures` instead.
    static func countsAsError(_ code: Int) -> Bool {
        [500, 501, 502, 503, 504, 538, 555].contains(code)
    }

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private mutating func dispatch(_ line: InputLine) -> [Action] {
        let bytes: [UInt8]
        switch line {
        case .tooLong:
            return [
                .send(
                    .titled(
                        500, esc(5, 5, 2), detail: "line too long: a command line is at most 512 octets with its CRLF"))
            ]
        case .bareLineFeed:
            return [.send(.titled(500, esc(5, 5, 2), detail: "line ended with a bare LF; SMTP lines end with CRLF"))]
        case .line(let line):
            bytes = line
        }
        commandCount += 1
        if let limit = configuration.shutdownAfterCommands, commandCount > limit {
            return shutDown(reason: "--shutdown-after \(limit)")
        }
        // RFC 5321 §4.1.1: commands are text; control characters have no place in them.
        guard !bytes.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }),
            let text = String(validating: bytes, as: UTF8.self)
        else {
            return [.send(.titled(500, esc(5, 5, 2), detail: "the line holds control characters or invalid UTF-8"))]
        }
        let trimmed = text.drop { $0 == " " }
        let verbText = trimmed.prefix { $0 != " " }
        let argument = String(trimmed.dropFirst(verbText.count).drop { $0 == " " })
        let recognized = ServerCommandTable.recognize(verbText, isLMTP: configuration.isLMTP)
        var actions: [Action] = []
        if configuration.isVerbose {
            actions.append(.log(.commandReceived(recognized == .command(.auth) ? Self.redactedAuth(argument) : text)))
        }
        let refusal = sequenceRefusal(of: recognized)
        // RFC 3030 §2: a BDAT chunk is read whole even when the command is refused, so BDAT takes its refusal along.
        if let refusal, recognized != .command(.bdat) { return actions + [.send(refusal)] }
        switch recognized {
        case .command(let verb):
            return actions + answer(verb, argument: argument, refusal: refusal)
        case .notImplemented(let row):
            return actions + [
                .send(.titled(502, esc(5, 5, 1), detail: "\(row.verb) (\(row.reference)) is not offered here"))
            ]
        case .otherProtocolsGreeting:
            let detail =
                configuration.isLMTP ? "this is an LMTP server; greet with LHLO" : "LHLO is LMTP's; greet with EHLO"
            return actions + [.send(.titled(500, esc(5, 5, 1), detail: detail))]
        case .unrecognized:
            return actions + [.send(.titled(500, esc(5, 5, 1), detail: "HELP lists the commands"))]
        }
    }

    /// Answers a command that is in sequence (or BDAT, with the refusal its chunk will get).
    private mutating func answer(_ verb: SMTPVerb, argument: String, refusal: ServerReply?) -> [Action] {
        switch verb {
        case .ehlo, .helo, .lhlo: return hello(verb: verb, argument: argument)
        case .mail: return mail(argument)
        case .rcpt: return rcpt(argument)
        case .data: return data(argument)
        case .bdat: return bdat(argument, refusal: refusal)
        case .rset: return rset(argument)
        case .vrfy: return vrfy(argument)
        case .expn: return expn(argument)
        case .help: return help(argument)
        case .noop: return [.send(ServerReply(250, esc(2, 0, 0), "Ok"))]
        case .quit:
            return close(
                with: ServerReply(221, esc(2, 0, 0), "\(configuration.domain) closing connection"), reason: nil)
        case .starttls: return startTLS(argument)
        case .auth: return auth(argument)
        case .etrn: preconditionFailure("ETRN is recognised as not implemented (ServerCommandTable)")
        }
    }

    // MARK: Sequence

    /// Why a command is out of sequence now, if it is: the one place that decides (RFC 5321 §4.1.4).
    ///
    /// The phases in which each verb is in sequence are `CommandTable`'s (`legalIn`), the rules
    /// the phase alone does not decide are `ServerCommandTable.sessionRules`, and the reply is 503
    /// with the rule the client broke (RFC 5321 §4.2.4), except in two cases the RFCs name:
    ///
    /// - after a 554 greeting, every command but QUIT gets 503, known or not (RFC 5321 §3.1);
    /// - in SMTP, DATA or BDAT after RCPTs that were all refused gets 554 "no valid recipients"
    ///   (RFC 2920 §3.1: a pipelining client learns that its message will not go); LMTP keeps
    ///   503 (RFC 2033 §4.2: "the DATA command MUST fail with a 503 reply code").
    func sequenceRefusal(of command: ServerCommandTable.Recognized) -> ServerReply? {
        let phase: SessionPhase
        switch state {
        case .refused: phase = .refused
        case .awaitingHello: phase = .greeted
        case .ready: phase = .helloed
        case .transaction(let transaction): phase = transaction.recipients.isEmpty ? .mailTransaction : .recipientsGiven
        case .connected, .receivingData, .receivingChunk, .authenticating, .awaitingTLS, .delivering, .paused, .closed:
            preconditionFailure("no command is read in this state")
        }
        let refusedSession = ServerReply.titled(
            503, esc(5, 5, 1), detail: "this server refused the session; only QUIT (RFC 5321 §3.1)")
        guard case .command(let verb) = command else { return phase == .refused ? refusedSession : nil }
        let spec = CommandTable.spec(verb)
        guard spec.legalIn.contains(phase) else {
            if phase == .refused { return refusedSession }
            if verb == .data || verb == .bdat, !configuration.isLMTP, case .transaction(let transaction) = state,
                transaction.attemptedRecipients > 0
            {
                return .titled(554, esc(5, 5, 1), detail: "no valid recipients")
            }
            return .titled(503, esc(5, 5, 1), detail: spec.sequenceRule)
        }
        if let rule = ServerCommandTable.sessionRules.first(where: { $0.verb == verb && $0.isBroken(self) }) {
            return .titled(503, esc(5, 5, 1), detail: rule.detail)
        }
        return nil
    }

    static func redactedAuth(_ argument: String) -> String {
        let words = argument.split(separator: " ")
        return (["AUTH"] + words.prefix(1) + (words.count > 1 ? ["***"] : [])).joined(separator: " ")
    }

    // MARK: Session

    /// RFC 5321 §4.1.1.1 (EHLO, HELO), RFC 2033 §4.1 (LHLO). It resets any transaction (§4.1.4).
    private mutating func hello(verb: SMTPVerb, argument: String) -> [Action] {
        guard let name = argument.split(separator: " ").first.map(String.init) else {
            return [.send(.titled(501, esc(5, 5, 4), detail: "\(verb.rawValue) needs a domain or address literal"))]
        }
        heloName = name
        isExtended = verb != .helo
        state = .ready
        var texts = ["\(configuration.domain) greets \(name) \(clientAddress)"]
        if isExtended { texts += capabilities }
        // RFC 2034 §4: no enhanced code in the reply to EHLO/HELO/LHLO.
        return [.log(.hello(verb: verb.rawValue, name: name)), .send(ServerReply(250, nil, texts))]
    }

    private mutating func rset(_ argument: String) -> [Action] {
        guard argument.isEmpty else { return [.send(.titled(501, esc(5, 5, 4), detail: "RSET takes no argument"))] }
        state = helloedState
        return [.send(ServerReply(250, esc(2, 0, 0), "Ok"))]
    }

    /// RFC 3207 §4: 220, then the handshake; whatever the client sent after STARTTLS is dropped (§5).
    private mutating func startTLS(_ argument: String) -> [Action] {
        guard argument.isEmpty else {
            return [.send(.titled(501, esc(5, 5, 4), detail: "STARTTLS takes no argument"))]
        }
        guard configuration.offersTLS else {
            return [.send(.titled(454, esc(4, 7, 0), detail: "this server has no certificate"))]
        }
        var actions: [Action] = [.send(ServerReply(220, esc(2, 0, 0), "Ready to start TLS")), .log(.tlsStarting)]
        let discarded = input.count - readIndex
        if discarded > 0 {
            actions.append(.log(.pipelinedPlaintextDiscarded(octets: discarded)))
        }
        input = []
        readIndex = 0
        state = .awaitingTLS
        return actions + [.startTLS]
    }

    // MARK: Transaction

    /// RFC 5321 §4.1.1.2, with the parameters of RFC 1870 (SIZE), RFC 6152 (BODY), RFC 6531
    /// (SMTPUTF8), RFC 4954 §5 (AUTH) and draft-hall-prdr-00 §4.2 (PRDR, SMTP only).
    private mutating func mail(_ argument: String) -> [Action] {
        let path: MailPath
        do {
            path = try MailPath.parse(argument, keyword: "FROM", allowsNull: true)
        } catch .missingPath {
            return [.send(.titled(501, esc(5, 5, 2), detail: "write MAIL FROM:<address> [parameters]"))]
        } catch .tooLong {
            return [.send(.titled(501, esc(5, 1, 7), detail: "path too long"))]
        } catch {
            return [.send(.titled(501, esc(5, 1, 7), detail: "bad sender address syntax"))]
        }
        var transaction = Transaction(sender: path.address)
        for text in path.parameters {
            let parameter = ESMTPParameter(text)
            guard isExtended else {
                return [.send(.titled(555, esc(5, 5, 4), detail: "parameters need EHLO, not HELO"))]
            }
            switch (parameter.keyword, parameter.value) {
            case ("SIZE", let value?):
                guard let size = Int(value), value.allSatisfy(\.isNumber) else {
                    return [.send(.titled(501, esc(5, 5, 4), detail: "SIZE=\(value) is not a number"))]
                }
                if size > configuration.maximumMessageSize {
                    return [
                        .send(
                            .titled(
                                552, esc(5, 3, 4),
                                detail: "SIZE=\(size) is over the limit of \(configuration.maximumMessageSize) octets"))
                    ]
                }
            case ("BODY", let value?) where ["7BIT", "8BITMIME"].contains(value.uppercased()):
                break
            case ("SMTPUTF8", nil):
                transaction.declaresInternational = true
            case ("PRDR", nil) where !configuration.isLMTP:
                transaction.requestsPRDR = true
            case ("AUTH", _?) where offersAuth:
                break
            default:
                return [.send(.titled(555, esc(5, 5, 4), detail: "\(text) is not recognized here"))]
            }
        }
        if path.isInternational, !transaction.declaresInternational {
            return [.send(.titled(553, esc(5, 6, 7), detail: "a non-ASCII address needs MAIL FROM:<…> SMTPUTF8"))]
        }
        state = .transaction(transaction)
        let prdr = transaction.requestsPRDR ? ", PRDR requested" : ""
        return [.send(ServerReply(250, esc(2, 1, 0), "Sender <\(path.address)> ok\(prdr)"))]
    }

    /// RFC 5321 §4.1.1.3: each recipient is judged by its lab row (`LabMailboxTable`).
    private mutating func rcpt(_ argument: String) -> [Action] {
        guard case .transaction(var transaction) = state else { preconditionFailure("RCPT out of sequence") }
        let path: MailPath
        do {
            path = try MailPath.parse(argument, keyword: "TO", allowsNull: false)
        } catch .missingPath {
            return [.send(.titled(501, esc(5, 5, 2), detail: "write RCPT TO:<address> [parameters]"))]
        } catch .tooLong {
            return [.send(.titled(501, esc(5, 1, 3), detail: "path too long"))]
        } catch {
            return [.send(.titled(501, esc(5, 1, 3), detail: "bad recipient address syntax"))]
        }
        transaction.attemptedRecipients += 1
        defer { state = .transaction(transaction) }
        let address = path.address
        if path.isInternational, !transaction.declaresInternational {
            return [.send(.titled(553, esc(5, 6, 7), detail: "a non-ASCII address needs MAIL FROM:<…> SMTPUTF8"))]
        }
        if !path.domain.isEmpty, path.domain.lowercased() != configuration.domain.lowercased() {
            return [
                .send(
                    .titled(
                        550, esc(5, 7, 1),
                        detail: "relaying denied: this server takes mail for @\(configuration.domain) only"))
            ]
        }
        let row =
            LabMailboxTable.row(localPart: path.domain.isEmpty ? "postmaster" : path.localPart)
            ?? LabMailboxTable.unknownRow
        if case .refuse(455, let code, let text) = row.behaviour {
            return [.send(ServerReply(455, code, "<\(address)>: \(text)"))]
        }
        if let parameter = path.parameters.first {
            return [.send(.titled(555, esc(5, 5, 4), detail: "\(parameter) is not recognized here"))]
        }
        if transaction.recipients.count >= configuration.maximumRecipients {
            // A million pipelined RCPTs get 452 each, then count as errors until 421 ends it.
            transaction.excessRecipients += 1
            if transaction.excessRecipients > configuration.recipientOvershootLimit { errorCount += 1 }
            return [
                .send(
                    .titled(
                        452, esc(4, 5, 3),
                        detail: "too many recipients, at most \(configuration.maximumRecipients) per message"))
            ]
        }
        let accepted = ServerReply(250, esc(2, 1, 5), "Recipient <\(address)> ok")
        switch row.behaviour {
        case .accept, .quota, .rejectAfterData, .list:
            transaction.recipients.append(Recipient(address: address, behaviour: row.behaviour))
            return [.send(accepted)]
        case .refuse(let code, let enhancedCode, let text):
            return [.send(ServerReply(code, enhancedCode, "<\(address)>: \(text)"))]
        case .greylist:
            // RFC 6647 §2.1: the triplet is (client, sender, recipient).
            let triplet = "\(clientAddress)|\(transaction.sender.lowercased())|\(address.lowercased())"
            if case .refused(let isFirstAttempt, let secondsLeft) = greylist.attempt(triplet) {
                return [.send(Self.greylisted(address, isFirstAttempt: isFirstAttempt, secondsLeft: secondsLeft))]
            }
            transaction.recipients.append(Recipient(address: address, behaviour: row.behaviour))
            return [.send(accepted)]
        case .forward(let newAddress):
            transaction.recipients.append(Recipient(address: address, behaviour: row.behaviour))
            return [.send(ServerReply(251, esc(2, 1, 5), "User not local; will forward to <\(newAddress)>"))]
        case .moved(let newAddress):
            return [.send(ServerReply(551, LabMailboxTable.movedCode, "User not local; please try <\(newAddress)>"))]
        }
    }

    /// RFC 5321 §4.1.1.4.
    private mutating func data(_ argument: String) -> [Action] {
        guard argument.isEmpty else { return [.send(.titled(501, esc(5, 5, 4), detail: "DATA takes no argument"))] }
        guard case .transaction(let transaction) = state else { preconditionFailure("DATA out of sequence") }
        state = .receivingData(transaction, DataReader())
        return [.send(ServerReply(354, nil, "End data with <CR><LF>.<CR><LF>"))]
    }

    /// RFC 3030 §2: `BDAT <size> [LAST]`; the chunk is read whole even when it will be refused
    /// (`refusal`, out of sequence).
    private mutating func bdat(_ argument: String, refusal: ServerReply?) -> [Action] {
        // At most 15 digits: a size past what anyone sends (a 2^63 one is refused, not overflowed).
        guard let (size, isLast) = SMTPCommand.bdatChunk(argument: argument, maximumDigits: 15) else {
            return [.send(.titled(501, esc(5, 5, 4), detail: "write BDAT <octets> [LAST]"))]
        }
        if configuration.isLMTP, isLast, case .transaction(let transaction) = state, transaction.recipients.isEmpty {
            // RFC 2033 §4.3: "If there were no previously successful RCPT commands in the mail
            // transaction, then the BDAT LAST command returns zero replies."
            var reader = ChunkReader(transaction: nil, remaining: size, size: size, isLast: true, rejection: nil)
            reader.isUnanswered = true
            state = .receivingChunk(reader, resume: helloedState)
            return []
        }
        if let refusal {
            let reader = ChunkReader(transaction: nil, remaining: size, size: size, isLast: isLast, rejection: refusal)
            state = .receivingChunk(reader, resume: state)
            return []
        }
        guard case .transaction(var transaction) = state else { preconditionFailure("BDAT out of sequence") }
        transaction.usesChunking = true
        // An accepted chunk does not resume the state: that would share the content buffer.
        let reader = ChunkReader(transaction: transaction, remaining: size, size: size, isLast: isLast, rejection: nil)
        state = .receivingChunk(reader, resume: .ready)
        return []
    }

    // MARK: Information

    /// The lab row a VRFY or EXPN argument names: exact, else a unique prefix (RFC 5321 §3.5.3).
    private func labLookup(_ argument: String) -> (row: LabMailboxTable.Row?, candidates: [LabMailboxTable.Row]) {
        var name = argument.trimmingCharacters(in: [" ", "<", ">"])
        if let at = name.lastIndex(of: "@") {
            guard name[name.index(after: at)...].lowercased() == configuration.domain.lowercased() else {
                return (nil, [])
            }
            name = String(name[..<at])
        }
        if let row = LabMailboxTable.row(localPart: name) { return (row, [row]) }
        let matches = LabMailboxTable.rows.filter { $0.localPart.hasPrefix(name.lowercased()) }
        return (matches.count == 1 ? matches[0] : nil, matches)
    }

    private func mailbox(_ row: LabMailboxTable.Row) -> String {
        "\(row.fullName) <\(row.localPart)@\(configuration.domain)>"
    }

    /// RFC 5321 §3.5.3, §4.1.1.6.
    private func vrfy(_ argument: String) -> [Action] {
        guard !argument.isEmpty else { return [.send(.titled(501, esc(5, 5, 4), detail: "write VRFY <user>"))] }
        let (row, candidates) = labLookup(argument)
        guard let row else {
            if candidates.count > 1 {
                let names = candidates.map(\.localPart).joined(separator: ", ")
                return [.send(ServerReply(553, esc(5, 1, 4), "User ambiguous: \(names)"))]
            }
            return [.send(ServerReply(550, esc(5, 1, 1), "<\(argument)>: Mailbox unknown"))]
        }
        switch row.behaviour {
        case .list:
            return [.send(ServerReply(252, esc(2, 0, 0), "\(row.localPart) is a list; try EXPN \(row.localPart)"))]
        case .forward(let newAddress):
            return [.send(ServerReply(251, esc(2, 1, 5), "User not local; will forward to <\(newAddress)>"))]
        case .moved(let newAddress):
            return [.send(ServerReply(551, LabMailboxTable.movedCode, "User not local; please try <\(newAddress)>"))]
        case .refuse(let code, let enhancedCode, let text) where code == 550 || code == 553:
            return [.send(ServerReply(code, enhancedCode, "<\(row.localPart)@\(configuration.domain)>: \(text)"))]
        case .accept, .quota, .rejectAfterData, .refuse, .greylist:
            return [.send(ServerReply(250, esc(2, 1, 5), mailbox(row)))]
        }
    }

    /// RFC 5321 §3.5.2, §4.1.1.7: one member per line.
    private func expn(_ argument: String) -> [Action] {
        guard !argument.isEmpty else { return [.send(.titled(501, esc(5, 5, 4), detail: "write EXPN <list>"))] }
        guard let row = labLookup(argument).row else {
            return [.send(ServerReply(550, esc(5, 1, 1), "<\(argument)>: Mailbox unknown"))]
        }
        guard case .list(let members) = row.behaviour else {
            return [.send(ServerReply(550, esc(5, 1, 0), "\(row.localPart) is a user name, not a mailing list"))]
        }
        let lines = members.compactMap(LabMailboxTable.row(localPart:)).map(mailbox)
        return [.send(ServerReply(250, esc(2, 1, 5), lines))]
    }

    /// RFC 5321 §4.1.1.8; the command texts come from `CommandTable`, the lab from `LabMailboxTable`.
    private func help(_ argument: String) -> [Action] {
        let topic = argument.trimmingCharacters(in: .init(charactersIn: " ")).uppercased()
        switch topic {
        case "":
            return [
                .send(
                    ServerReply(
                        214, esc(2, 0, 0),
                        [
                            "ehlo practice server at \(configuration.domain); commands:",
                            ServerCommandTable.answeredCommands(isLMTP: configuration.isLMTP)
                                .map(\.verb.rawValue).joined(separator: " "),
                            "HELP <command> for one of them, HELP LAB for the lab mailboxes,",
                            "HELP STATUS for this session",
                            "End of HELP info",
                        ]))
            ]
        case "LAB":
            let lines = LabMailboxTable.render(domain: configuration.domain).filter { !$0.isEmpty }
            return [.send(ServerReply(214, esc(2, 0, 0), lines))]
        case "STATUS":
            return [
                .send(
                    ServerReply(
                        211, esc(2, 0, 0),
                        [
                            "\(configuration.domain) ehlo practice server, \(configuration.isLMTP ? "LMTP" : "SMTP")",
                            "client \(clientAddress), greeted as \(heloName ?? "(not yet)")",
                            "TLS \(isTLS ? "on" : "off"), authenticated as \(authenticatedUser ?? "nobody")",
                            "\(commandCount) commands, \(messagesAccepted) messages accepted in this session",
                        ]))
            ]
        default:
            if case .command(let verb) = ServerCommandTable.recognize(topic, isLMTP: configuration.isLMTP) {
                let spec = CommandTable.spec(verb)
                return [.send(ServerReply(214, esc(2, 0, 0), [spec.syntax, "\(spec.summary) (\(spec.reference))"]))]
            }
            return [.send(.titled(504, esc(5, 5, 4), detail: "no help on \(topic)"))]
        }
    }
}
