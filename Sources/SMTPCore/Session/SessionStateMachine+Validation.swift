/// Why a command is out of sequence, not advertised, or malformed, judged against where the
/// session will be once the queued exchanges are answered (so pipelined commands get no false
/// warnings).
extension SessionStateMachine {
    /// The warnings for `command` if it were sent now; empty when it is fine.
    public func warnings(for command: SMTPCommand) -> [String] {
        guard let verb = command.verb else {
            let guess = DidYouMean.verb(command.verbText).map { "; did you mean \($0.rawValue)?" } ?? ""
            return [
                "\(command.verbText.isEmpty ? "an empty line" : "'\(VisibleText.escape(command.verbText))'") is not a command ehlo knows\(guess); sending it anyway"
            ]
        }
        let snapshot = predicted
        let phase = snapshot.state.phase
        if phase == .disconnected || phase == .closed { return [] }
        let spec = CommandTable.spec(verb)
        let hello = snapshot.state.hello
        var warnings: [String] = []
        if queue.first?.source == .greeting, verb != .quit {
            // The prediction assumes a 220; the RFC wants the client to see it first.
            warnings.append(
                "the greeting has not come yet: RFC 5321 §3.1 wants the client to wait for it (Postfix logs \"improper command pipelining after CONNECT\")"
            )
        }
        if !spec.protocols.contains(snapshot.sessionProtocol) {
            warnings.append(
                verb == .lhlo
                    ? "LHLO is LMTP's (RFC 2033 §4.1) and this session is SMTP; if the server accepts it, ehlo takes the session for LMTP"
                    : "this is an LMTP session: it opens with LHLO, and an LMTP server refuses \(verb.rawValue) (RFC 2033 §4.1)"
            )
        } else if !spec.legalIn.contains(phase) {
            warnings.append(sequenceWarning(verb, spec: spec, in: snapshot))
        } else if let keyword = spec.requiredExtension, let capabilities = hello?.capabilities {
            if !capabilities.has(keyword) {
                let why =
                    hello?.kind == .helo
                    ? "the session was opened with HELO, which advertises nothing"
                    : "the last EHLO did not advertise \(keyword)"
                warnings.append(
                    "\(verb.rawValue) needs the \(keyword) extension, but \(why) (\(ExtensionTable.row(keyword)?.reference ?? spec.reference))"
                )
            } else if verb == .starttls, snapshot.isTLS {
                warnings.append("the connection already uses TLS; a second STARTTLS is not allowed (RFC 3207 §4.2)")
            } else if verb == .auth, snapshot.isAuthenticated {
                warnings.append("already authenticated; a second AUTH is not allowed (RFC 4954 §4)")
            }
        }
        if verb == .data, snapshot.state.transaction?.isBinaryMIME == true, phase == .recipientsGiven {
            warnings.append("MAIL declared BODY=BINARYMIME: the message may only go by BDAT, not DATA (RFC 3030 §3)")
        }
        if verb == .auth, !snapshot.isTLS {
            warnings.append(
                "AUTH on a connection without TLS: the credentials cross the network readable (RFC 4954 §4, RFC 8314)")
        }
        if verb == .auth, let mechanism = command.authMechanism, let offered = hello?.capabilities?.authMechanisms,
            !offered.isEmpty, !offered.contains(mechanism)
        {
            // The mechanisms are the server's text: escaped, like every byte of it shown.
            let listed = offered.map { VisibleText.escape($0) }.joined(separator: " ")
            warnings.append(
                "the server did not list \(VisibleText.escape(mechanism)) among its AUTH mechanisms (\(listed))")
        }
        warnings += syntaxWarnings(for: command, verb: verb, in: snapshot)
        return warnings
    }

    private func sequenceWarning(_ verb: SMTPVerb, spec: CommandSpec, in snapshot: Snapshot) -> String {
        let here = "\(verb.rawValue) is out of sequence here (\(snapshot.state.phase.title))"
        switch (snapshot.state.phase, verb) {
        case (.chunking, .data):
            return
                "DATA cannot follow BDAT in one transaction (RFC 3030 §2): end the message with BDAT <octets> LAST, or RSET"
        case (.chunking, .rcpt):
            return "RCPT cannot follow BDAT: every recipient comes before the message (RFC 3030 §2)"
        case (.resetRequired, _):
            return "\(here): the transaction failed, and RFC 3030 §2 wants RSET before anything else"
        case (.awaitingGreeting, _):
            return "\(here): wait for the server's greeting first (RFC 5321 §3.1)"
        default:
            return "\(here): \(spec.sequenceRule)"
        }
    }

    private func syntaxWarnings(for command: SMTPCommand, verb: SMTPVerb, in snapshot: Snapshot) -> [String] {
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
            warnings += parameterWarnings(command, verb: verb, in: snapshot)
        case .ehlo, .helo, .lhlo:
            if argument.isEmpty {
                warnings.append(
                    "\(verb.rawValue) needs your domain or address literal, e.g. \(verb.rawValue) client.example (\(CommandTable.spec(verb).reference))"
                )
            }
        case .data, .rset, .noop, .quit, .starttls:
            if !argument.isEmpty, verb != .noop {
                warnings.append("\(verb.rawValue) takes no arguments (\(CommandTable.spec(verb).reference))")
            }
        case .bdat:
            if command.bdatChunk == nil {
                warnings.append("BDAT expects \(CommandTable.spec(verb).syntax): a size in octets (RFC 3030 §2)")
            }
        case .vrfy, .expn, .etrn, .auth:
            if argument.isEmpty {
                warnings.append("\(verb.rawValue) expects \(CommandTable.spec(verb).syntax)")
            }
        case .help:
            break
        }
        return warnings
    }

    /// ESMTP parameters (RFC 5321 §4.1.2) and what they need: each one's extension advertised,
    /// SIZE within the limit (RFC 1870 §6), a UTF-8 address declared with SMTPUTF8 (RFC 6531 §3.4).
    private func parameterWarnings(_ command: SMTPCommand, verb: SMTPVerb, in snapshot: Snapshot) -> [String] {
        var warnings: [String] = []
        let hello = snapshot.state.hello
        let address = command.path ?? ""
        let declaresUTF8 =
            verb == .mail
            ? command.parameters.contains { $0.keyword == "SMTPUTF8" }
            : snapshot.state.transaction?.isInternational == true
        if address.unicodeScalars.contains(where: { !$0.isASCII }), !declaresUTF8 {
            warnings.append(
                "\(address) is not ASCII: it needs SMTPUTF8 on MAIL FROM, and a server that advertised it (RFC 6531 §3.4)"
            )
        }
        let parameters = command.parameters
        guard !parameters.isEmpty else { return warnings }
        if hello?.kind == .helo {
            return warnings + [
                "parameters after the address need EHLO; this session was opened with HELO (RFC 5321 §4.1.2)"
            ]
        }
        let capabilities = hello?.capabilities
        for parameter in parameters {
            guard let keyword = ExtensionTable.extensionNeeded(for: parameter, of: verb) else {
                if ExtensionTable.parameter(parameter.keyword, of: verb) == nil {
                    warnings.append(
                        "\(VisibleText.escape(parameter.keyword)) is not a \(verb.rawValue) parameter ehlo knows")
                }
                continue
            }
            let shown = "\(parameter.keyword)\(parameter.value.map { "=\($0)" } ?? "")"
            if let capabilities, !capabilities.has(keyword) {
                let reference = ExtensionTable.row(keyword)?.reference ?? ""
                warnings.append(
                    "\(VisibleText.escape(shown)) needs \(keyword), which the last EHLO did not advertise (\(reference))"
                )
            }
            if keyword == "BINARYMIME", let capabilities, !capabilities.has("CHUNKING") {
                warnings.append("BODY=BINARYMIME needs CHUNKING too: the message can only go by BDAT (RFC 3030 §3)")
            }
            if parameter.keyword == "SIZE", let limit = capabilities?.maximumMessageSize,
                let size = parameter.value.flatMap({ Int($0) }), size > limit
            {
                warnings.append("SIZE=\(size) is over the server's limit of \(limit) octets (RFC 1870 §6)")
            }
        }
        return warnings
    }
}
