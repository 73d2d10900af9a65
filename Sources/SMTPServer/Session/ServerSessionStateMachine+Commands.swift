import Foundation
import SMTPCore

/// The commands of RFC 5321 §4.1.1 and the extensions, each checked against the state (§4.3.2).
extension ServerSessionStateMachine {
    /// Verbs that RFC 5321 or its extensions define but this server does not implement: 502, not 500
    /// (RFC 5321 §4.2.4). TURN, SEND, SOML and SAML are RFC 821's, obsolete (RFC 5321 Appendix F).
    static let unimplementedVerbs: Set<String> = ["TURN", "SEND", "SOML", "SAML", "ETRN", "ATRN", "VERB"]

    /// The commands this server answers, in the order HELP lists them.
    var implementedVerbs: [String] {
        let hello = configuration.isLMTP ? ["LHLO"] : ["EHLO", "HELO"]
        return hello + [
            "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH",
        ]
    }

    /// The ESMTP keywords advertised after EHLO or LHLO (each has a row in `ExtensionTable`).
    var capabilities: [String] {
        var keywords = [
            "PIPELINING", "SIZE \(configuration.maximumMessageSize)", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
            "CHUNKING",
        ]
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

    /// Replies that say the client did something wrong (not that a mailbox said no).
    static func countsAsError(_ code: Int) -> Bool {
        [500, 501, 502, 503, 504, 535, 538, 555].contains(code)
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
        let verb = verbText.uppercased()
        var actions: [Action] = []
        if configuration.isVerbose {
            actions.append(.log(.commandReceived(verb == "AUTH" ? Self.redactedAuth(argument) : text)))
        }
        if case .refused = state {
            // RFC 5321 §3.1: after a 554 greeting, only QUIT; everything else gets 503.
            guard verb == "QUIT" else {
                return actions + [
                    .send(.titled(503, esc(5, 5, 1), detail: "this server refused the session; only QUIT"))
                ]
            }
        }
        switch verb {
        case "EHLO", "HELO", "LHLO":
            if configuration.isLMTP == (verb == "LHLO") {
                actions += hello(verb: verb, argument: argument)
            } else if configuration.isLMTP {
                // RFC 2033 §4.1: an LMTP server must not accept HELO or EHLO.
                actions.append(.send(.titled(500, esc(5, 5, 1), detail: "this is an LMTP server; greet with LHLO")))
            } else {
                actions.append(.send(.titled(500, esc(5, 5, 1), detail: "LHLO is LMTP's; greet with EHLO")))
            }
        case "MAIL": actions += mail(argument)
        case "RCPT": actions += rcpt(argument)
        case "DATA": actions += data(argument)
        case "BDAT": actions += bdat(argument)
        case "RSET": actions += rset(argument)
        case "VRFY": actions += vrfy(argument)
        case "EXPN": actions += expn(argument)
        case "HELP": actions += help(argument)
        case "NOOP": actions.append(.send(ServerReply(250, esc(2, 0, 0), "Ok")))
        case "QUIT":
            actions += close(
                with: ServerReply(221, esc(2, 0, 0), "\(configuration.domain) closing connection"), reason: nil)
        case "STARTTLS": actions += startTLS(argument)
        case "AUTH": actions += auth(argument)
        case _ where Self.unimplementedVerbs.contains(verb):
            actions.append(.send(.titled(502, esc(5, 5, 1), detail: "\(verb) is not offered here")))
        default:
            actions.append(.send(.titled(500, esc(5, 5, 1), detail: "HELP lists the commands")))
        }
        return actions
    }

    static func redactedAuth(_ argument: String) -> String {
        let words = argument.split(separator: " ")
        return (["AUTH"] + words.prefix(1) + (words.count > 1 ? ["***"] : [])).joined(separator: " ")
    }

    static func sequenceError(_ detail: String) -> Action {
        .send(.titled(503, esc(5, 5, 1), detail: detail))
    }

    // MARK: Session

    /// RFC 5321 §4.1.1.1 (EHLO, HELO), RFC 2033 §4.1 (LHLO). It resets any transaction (§4.1.4).
    private mutating func hello(verb: String, argument: String) -> [Action] {
        guard let name = argument.split(separator: " ").first.map(String.init) else {
            return [.send(.titled(501, esc(5, 5, 4), detail: "\(verb) needs a domain or address literal"))]
        }
        heloName = name
        isExtended = verb != "HELO"
        state = .ready
        var texts = ["\(configuration.domain) greets \(name) [\(clientAddress)]"]
        if isExtended { texts += capabilities }
        // RFC 2034 §4: no enhanced code in the reply to EHLO/HELO/LHLO.
        return [.log(.hello(verb: verb, name: name)), .send(ServerReply(250, nil, texts))]
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
        guard !isTLS else { return [Self.sequenceError("TLS is already active")] }
        switch state {
        case .ready: break
        case .awaitingHello: return [Self.sequenceError("send EHLO first")]
        default: return [Self.sequenceError("not during a mail transaction")]
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
    /// (SMTPUTF8) and RFC 4954 §5 (AUTH).
    private mutating func mail(_ argument: String) -> [Action] {
        switch state {
        case .ready: break
        case .awaitingHello: return [Self.sequenceError("send EHLO or HELO first")]
        default: return [Self.sequenceError("a transaction is already open; RSET first")]
        }
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
        return [.send(ServerReply(250, esc(2, 1, 0), "Sender <\(path.address)> ok"))]
    }

    /// RFC 5321 §4.1.1.3: each recipient is judged by its lab row (`LabMailboxTable`).
    private mutating func rcpt(_ argument: String) -> [Action] {
        guard case .transaction(var transaction) = state else {
            return [Self.sequenceError(heloName == nil ? "send EHLO, then MAIL first" : "MAIL comes before RCPT")]
        }
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
            // RFC 6647 §2.1: the triplet is usually (client, sender, recipient); the recipient is fixed here.
            guard !greylist.isFirstAttempt("\(clientAddress)|\(transaction.sender.lowercased())") else {
                return [.send(ServerReply(450, esc(4, 7, 1), "<\(address)>: Greylisted, try again in a moment"))]
            }
            transaction.recipients.append(Recipient(address: address, behaviour: row.behaviour))
            return [.send(accepted)]
        case .forward(let newAddress):
            transaction.recipients.append(Recipient(address: address, behaviour: row.behaviour))
            return [.send(ServerReply(251, esc(2, 1, 5), "User not local; will forward to <\(newAddress)>"))]
        case .moved(let newAddress):
            return [.send(ServerReply(551, esc(5, 1, 6), "User not local; please try <\(newAddress)>"))]
        }
    }

    /// RFC 5321 §4.1.1.4, and RFC 2920 §3.1's 554 when every RCPT of a pipelined group failed.
    private mutating func data(_ argument: String) -> [Action] {
        guard argument.isEmpty else { return [.send(.titled(501, esc(5, 5, 4), detail: "DATA takes no argument"))] }
        guard case .transaction(let transaction) = state else {
            return [Self.sequenceError("MAIL and RCPT come before DATA")]
        }
        if let refusal = Self.refusalOfMessage(transaction, verb: "DATA") { return [.send(refusal)] }
        state = .receivingData(transaction, DataReader())
        return [.send(ServerReply(354, nil, "End data with <CR><LF>.<CR><LF>"))]
    }

    /// Why a transaction may not send its message yet, if it may not.
    static func refusalOfMessage(_ transaction: Transaction, verb: String) -> ServerReply? {
        if verb == "DATA", transaction.usesChunking {
            return .titled(503, esc(5, 5, 1), detail: "DATA cannot follow BDAT in one transaction")
        }
        guard transaction.recipients.isEmpty else { return nil }
        if transaction.attemptedRecipients > 0 {
            return .titled(554, esc(5, 5, 1), detail: "no valid recipients")
        }
        return .titled(503, esc(5, 5, 1), detail: "RCPT comes before \(verb)")
    }

    /// RFC 3030 §2: `BDAT <size> [LAST]`; the chunk is read whole even when it will be refused.
    private mutating func bdat(_ argument: String) -> [Action] {
        let words = argument.split(separator: " ")
        guard (1...2).contains(words.count), words[0].count <= 15, words[0].allSatisfy(\.isASCIIDigitCharacter),
            let size = Int(words[0]), words.count == 1 || words[1].uppercased() == "LAST"
        else {
            return [.send(.titled(501, esc(5, 5, 4), detail: "write BDAT <octets> [LAST]"))]
        }
        let isLast = words.count == 2
        var resume = state
        let reader: ChunkReader
        switch state {
        case .transaction(var transaction):
            if let refusal = Self.refusalOfMessage(transaction, verb: "BDAT") {
                reader = ChunkReader(transaction: nil, remaining: size, size: size, isLast: isLast, rejection: refusal)
            } else {
                // Only a refused chunk resumes; an accepted one must not share the content buffer.
                resume = .ready
                state = .connected
                transaction.usesChunking = true
                reader = ChunkReader(
                    transaction: transaction, remaining: size, size: size, isLast: isLast, rejection: nil)
            }
        default:
            let refusal = ServerReply.titled(503, esc(5, 5, 1), detail: "MAIL and RCPT come before BDAT")
            reader = ChunkReader(transaction: nil, remaining: size, size: size, isLast: isLast, rejection: refusal)
        }
        state = .receivingChunk(reader, resume: resume)
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
            return [.send(ServerReply(551, esc(5, 1, 6), "User not local; please try <\(newAddress)>"))]
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
                            implementedVerbs.joined(separator: " "),
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
            if let verb = SMTPVerb(rawValue: topic), implementedVerbs.contains(topic) {
                let spec = CommandTable.spec(verb)
                return [.send(ServerReply(214, esc(2, 0, 0), [spec.syntax, "\(spec.summary) (\(spec.reference))"]))]
            }
            if topic == "LHLO" {
                return [
                    .send(ServerReply(214, esc(2, 0, 0), ["LHLO <domain>", "Open an LMTP session (RFC 2033 §4.1)"]))
                ]
            }
            return [.send(.titled(504, esc(5, 5, 4), detail: "no help on \(topic)"))]
        }
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { ("0"..."9").contains(self) }
}
