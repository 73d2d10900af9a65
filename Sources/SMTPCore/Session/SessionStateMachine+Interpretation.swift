/// What a reply means where it came: the table's meaning for its exchange, refined by what the
/// session knows (TLS, the transaction, the text of the reply) where one code has several senses.
extension SessionStateMachine {
    struct Interpretation {
        var meaning: String
        var notes: [String] = []
        var warnings: [String] = []
    }

    func interpret(
        _ reply: SMTPReply, answering exchange: PendingExchange, recipient: RecipientReply?, isFinalPRDRReply: Bool,
        in snapshot: Snapshot
    ) -> Interpretation {
        let code = reply.code
        let source = exchange.source
        let spec: ExchangeSpec?
        if recipient != nil, case .prdr = exchange.expectation {
            spec = CommandTable.prdrRecipient
        } else if recipient != nil {
            spec = CommandTable.recipientDelivery
        } else if isFinalPRDRReply {
            spec = CommandTable.prdrMessage
        } else {
            spec = source.exchange
        }
        guard let spec else {
            return Interpretation(
                meaning:
                    "\(ReplyCodeTable.classMeaning(ReplyClass(code: code))) (a reply to a command ehlo does not know)")
        }
        var result = Interpretation(meaning: spec.meaning(of: code))
        if let recipient {
            result.meaning =
                "for <\(VisibleText.escape(recipient.address))> (\(recipient.position) of \(recipient.count)): \(result.meaning)"
        }
        if !spec.lists(code) {
            let listed = spec.allCodes.map(String.init).joined(separator: ", ")
            let what = recipient != nil ? "a recipient's reply after the message" : source.name
            result.warnings.append("\(code) is not a reply the RFC lists for \(what) (\(listed))")
        }

        switch (code, source) {
        case (220, .greeting):
            if snapshot.sessionProtocol == .lmtp {
                result.meaning = "the LMTP server is ready for LHLO"
            } else if reply.texts.first?.uppercased().contains("LMTP") == true {
                result.notes.append(
                    "the greeting says LMTP: greet with LHLO, and expect one reply per recipient after the message (RFC 2033 §4.1; ehlo --lmtp)"
                )
            }
        case (250, .command(let command)) where command.verb == .ehlo || command.verb == .lhlo:
            let capabilities = EHLOCapabilities(reply: reply)
            if command.verb == .ehlo, !snapshot.isTLS, capabilities.has("STARTTLS"), !capabilities.has("AUTH") {
                result.notes.append(
                    "no AUTH offered before TLS: many servers list it only after STARTTLS (RFC 4954 §4, RFC 8314 §3)")
            }
            if let problem = capabilities.sizeParameterProblem { result.warnings.append(problem) }
        case (530, _):
            result.meaning = meaningOf530(reply, answering: source, in: snapshot)
        case (554, _)
        where snapshot.isTLS && !Self.policyExchanges.contains(source.verb ?? .noop) && source != .endOfData
            && source != .greeting:
            result.meaning =
                "the server refuses commands on this connection: its TLS is not secure enough for it (\"554 Command refused due to lack of security\", RFC 3207 §4.1)"
        case (503, .command(let command))
        where command.verb == .data && snapshot.state.transaction?.isBinaryMIME == true:
            result.meaning = "DATA is not allowed after MAIL declared BODY=BINARYMIME (RFC 3030 §3); RSET is due"
        case (503, .command(let command)) where snapshot.state.transaction.map { $0.acceptedChunks > 0 } == true:
            if command.verb == .data {
                result.meaning = "DATA cannot follow BDAT in one transaction (RFC 3030 §2); RSET is due"
            } else if command.verb == .rcpt {
                result.meaning =
                    "RCPT cannot follow BDAT: recipients come before the message (RFC 3030 §2); RSET is due"
            }
        case (334, _):
            // RFC 4954 §4: "a server challenge ... consists of the string '334 ' followed by a base64 encoded challenge".
            let challenge = reply.texts.first?.trimmingSpaces ?? ""
            if !challenge.isEmpty, Base64.decode(challenge) == nil {
                result.warnings.append(
                    "this 334's challenge is not base64, as RFC 4954 §4 requires: there is nothing an answer can be computed from"
                )
            }
        case (354, .command(let command)) where command.verb != .data:
            result.warnings.append("354 answers only DATA (RFC 5321 §4.3.2); ehlo does not take this for data mode")
        case (551, .command(let command)) where command.verb == .rcpt:
            // RFC 5321 §3.4: "551 User not local; please try <forward-path>".
            let text = reply.texts.joined(separator: " ")
            if let open = text.firstIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
                result.notes.append(
                    "the server names the address to use instead: \(VisibleText.escape(String(text[open...close]))); send to it in a new RCPT (RFC 5321 §3.4)"
                )
            }
        case (552, .command(let command)) where command.verb == .rcpt:
            if reply.texts.joined(separator: " ").lowercased().contains("recipients") {
                result.notes.append(
                    "RFC 5321 §4.5.3.1.10: a 552 for too many recipients is to be treated as 452: keep those accepted, send the others in a new transaction"
                )
            }
        default:
            break
        }
        if source.verb == .data, reply.replyClass == .permanentNegative, code != 503 {
            result.notes.append(
                "a permanent refusal: DATA again will get the same answer (RFC 5321 §4.2.1); RSET and start over")
        }
        return result
    }

    /// Commands whose 554 is a policy decision about the mail, not RFC 3207 §4.1's refusal of the connection.
    private static let policyExchanges: Set<SMTPVerb> = [.mail, .rcpt, .data, .bdat]

    /// 530 has two senses: RFC 3207 §4 "Must issue a STARTTLS command first" (to any command but
    /// NOOP, EHLO, STARTTLS and QUIT), RFC 4954 §6 "Authentication required" (to any command but
    /// AUTH, EHLO, HELO, NOOP, RSET and QUIT).
    ///
    /// ### How are they told apart?
    /// By the text first ("STARTTLS", "TLS", "authentication"); then by the command (to AUTH, HELO
    /// or RSET only the TLS sense is allowed); then by the connection (without TLS, from a server
    /// that offers STARTTLS, TLS is the likely want).
    private func meaningOf530(_ reply: SMTPReply, answering source: ReplySource, in snapshot: Snapshot) -> String {
        let text = reply.texts.joined(separator: " ").lowercased()
        let offersSTARTTLS = snapshot.state.hello?.capabilities?.has("STARTTLS") == true
        let tlsFirst =
            "the server wants TLS first (\"Must issue a STARTTLS command first\", RFC 3207 §4): STARTTLS, then EHLO again"
        let authFirst: String = {
            var text = "the server wants authentication first (RFC 4954 §6): AUTH, e.g. /auth plain USER"
            if !snapshot.isTLS, offersSTARTTLS, snapshot.state.hello?.capabilities?.has("AUTH") != true {
                text += "; it offers AUTH only after STARTTLS, so STARTTLS first"
            }
            return text
        }()
        if text.contains("starttls") || text.contains("tls") || text.contains("encryption") {
            return snapshot.isTLS ? authFirst : tlsFirst
        }
        if text.contains("auth") { return authFirst }
        if [.auth, .helo, .rset].contains(source.verb), !snapshot.isTLS { return tlsFirst }
        if !snapshot.isTLS, offersSTARTTLS { return tlsFirst + " (likely: TLS is off and the server offers it)" }
        return authFirst
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
}
