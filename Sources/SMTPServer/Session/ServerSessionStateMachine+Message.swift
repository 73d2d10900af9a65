import SMTPCore

/// The message itself: DATA lines, BDAT chunks, the end of the message, and AUTH's exchange.
extension ServerSessionStateMachine {
    // MARK: DATA

    /// Reads one message line (RFC 5321 §4.1.1.4): only CRLF ends a line and only CRLF . CRLF ends
    /// the message, so a bare LF can never smuggle a second message in (CVE-2023-51766 class). The
    /// period added by dot-stuffing is dropped as SMTPCore's `DotStuffing` says (RFC 5321 §4.5.2).
    ///
    /// ### Why are overlong lines taken in pieces?
    /// A client may send a megabyte without a line end; keeping it whole would let it fill memory.
    /// The piece is kept as message content (up to SIZE), the line is flagged, and the message is
    /// refused at the end with 500 (RFC 5321 §4.5.3.1.10: "500 Line too long").
    mutating func readDataLine(_ transaction: inout Transaction, _ reader: inout DataReader) -> DataStep {
        var searchFrom = readIndex
        var lineEnd: Int?
        while let lineFeed = input[searchFrom...].firstIndex(of: 0x0A) {
            if lineFeed > readIndex, input[lineFeed - 1] == 0x0D {
                lineEnd = lineFeed - 1
                break
            }
            searchFrom = lineFeed + 1
        }
        guard let lineEnd else {
            let pending = input.count - readIndex
            guard pending > configuration.maximumTextLineLength else { return .needsMoreInput }
            // Keep a trailing CR: it may pair with the LF of the next read.
            let end = input[input.count - 1] == 0x0D ? input.count - 1 : input.count
            let start = reader.isInsideLongLine ? readIndex : DotStuffing.unstuffedStart(of: input[readIndex..<end])
            transaction.hasOverlongLine = true
            take(input[start..<end], into: &transaction)
            readIndex = end
            reader.isInsideLongLine = true
            return .needsMoreInput
        }
        let start = readIndex
        readIndex = lineEnd + 2
        if reader.isInsideLongLine {
            take(input[start..<(lineEnd + 2)], into: &transaction)
            reader.isInsideLongLine = false
            return .lineTaken
        }
        let line = input[start..<lineEnd]
        if DotStuffing.isEndOfData(line) { return .endOfMessage }
        if lineEnd - start + 2 > configuration.maximumTextLineLength { transaction.hasOverlongLine = true }
        take(input[DotStuffing.unstuffedStart(of: line)..<(lineEnd + 2)], into: &transaction)
        return .lineTaken
    }

    /// The message octets a client had sent when it left in the middle of DATA: those taken, and
    /// those read but not taken yet, counted as `readDataLine` would take them, so that the count
    /// does not depend on how the stream was cut (a long line is taken in pieces as it comes, and
    /// a reply budget can leave whole lines unread). No stuffing period is counted, nor anything
    /// from the end of the data on; an unfinished `.` or `.` CR may be that end.
    func octetsOfAbandonedMessage(_ transaction: Transaction, _ reader: DataReader) -> Int {
        var machine = self
        var counting = transaction
        var reader = reader
        counting.isOversized = true  // `take` counts and keeps nothing
        var step = DataStep.lineTaken
        while step == .lineTaken { step = machine.readDataLine(&counting, &reader) }
        guard step == .needsMoreInput else { return counting.receivedOctets }
        let rest = machine.input[machine.readIndex...]
        if reader.isInsideLongLine { return counting.receivedOctets + rest.count }
        if rest.elementsEqual([0x2E]) || rest.elementsEqual([0x2E, 0x0D]) { return counting.receivedOctets }
        return counting.receivedOctets + rest.count - (rest.first == 0x2E ? 1 : 0)
    }

    enum DataStep {
        case needsMoreInput
        case lineTaken
        case endOfMessage
    }

    /// Adds message octets, up to the SIZE limit; beyond it they are counted and dropped (RFC 1870 §6).
    private func take(_ bytes: some Collection<UInt8>, into transaction: inout Transaction) {
        transaction.receivedOctets += bytes.count
        guard !transaction.isOversized else { return }
        if transaction.content.count + bytes.count > configuration.maximumMessageSize {
            transaction.isOversized = true
            transaction.content = []
        } else {
            transaction.content.append(contentsOf: bytes)
        }
    }

    // MARK: BDAT

    /// Reads what is there of a chunk; at its end, answers it.
    mutating func readChunk(_ reader: inout ChunkReader, resume: State) -> [Action] {
        let count = min(reader.remaining, input.count - readIndex)
        if var transaction = reader.transaction, count > 0 {
            reader.transaction = nil
            take(input[readIndex..<(readIndex + count)], into: &transaction)
            reader.transaction = transaction
        }
        readIndex += count
        reader.remaining -= count
        guard reader.remaining == 0 else {
            state = .receivingChunk(reader, resume: resume)
            return []
        }
        completedRecords += 1
        if reader.isUnanswered {
            state = resume
            return []
        }
        if let rejection = reader.rejection {
            state = resume
            return [.send(rejection)]
        }
        guard let transaction = reader.transaction else { preconditionFailure("an accepted chunk has a transaction") }
        reader.transaction = nil
        if transaction.isOversized {
            state = helloedState
            let reply = ServerReply.titled(
                552, esc(5, 3, 4), detail: "the message is over the limit of \(configuration.maximumMessageSize) octets"
            )
            return [.send(reply), .log(.messageRefused(reply))]
        }
        if reader.isLast { return endOfMessage(transaction) }
        state = .transaction(transaction)
        return [.send(ServerReply(250, esc(2, 0, 0), "\(reader.size) octets received"))]
    }

    // MARK: The end of the message

    /// The final dot or BDAT LAST: refuse the message, or hand it to the store.
    ///
    /// In SMTP one reply answers for every recipient, so a single refusing lab mailbox (reject@,
    /// an over-quota quota@) refuses the whole message. In LMTP each recipient gets its own reply
    /// (RFC 2033 §4.2) and the message is stored for those that take it. PRDR does the same in
    /// SMTP (draft-hall-prdr-00 §4.5), with 353 before those replies and the message's own after.
    ///
    /// ### Why 353 even for a single recipient?
    /// draft-hall-prdr-00 §4.4 leaves it to the server whether a PRDR transaction gets the
    /// per-recipient block or one traditional reply. Exim sends the block only for two recipients
    /// or more; this server sends it whenever PRDR was asked for, so that a student sees the block
    /// every time. A refusal of the whole message (too big, a line too long) is one traditional
    /// reply either way, as §4.4 allows: no recipient's view would differ.
    mutating func endOfMessage(_ transaction: Transaction) -> [Action] {
        var wholeRefusal: ServerReply?
        if transaction.isOversized {
            wholeRefusal = .titled(
                552, esc(5, 3, 4), detail: "the message is over the limit of \(configuration.maximumMessageSize) octets"
            )
        } else if transaction.hasOverlongLine {
            wholeRefusal = .titled(
                500, esc(5, 5, 2), detail: "line too long: a message line is at most 1000 octets with its CRLF")
        }
        state = helloedState
        if let wholeRefusal, !configuration.isLMTP {
            return [.send(wholeRefusal), .log(.messageRefused(wholeRefusal))]
        }
        let refusals: [ServerReply?] = transaction.recipients.map { recipient in
            if let wholeRefusal { return wholeRefusal }
            switch recipient.behaviour {
            case .rejectAfterData:
                return ServerReply(554, esc(5, 7, 1), "<\(recipient.address)>: Message content rejected")
            case .quota(let octets) where transaction.content.count > octets:
                return ServerReply(
                    552, esc(5, 2, 2), "<\(recipient.address)>: Mailbox full: its quota is \(octets) octets")
            case .accept, .quota, .list, .greylist, .forward, .moved, .refuse:
                return nil
            }
        }
        let replies: EndOfDataReplies =
            configuration.isLMTP ? .perRecipient : (transaction.requestsPRDR ? .perRecipientThenMessage : .single)
        var actions: [Action] = []
        switch replies {
        case .single:
            if let firstRefusal = refusals.compactMap({ $0 }).first {
                return [.send(firstRefusal), .log(.messageRefused(firstRefusal))]
            }
        case .perRecipient:
            guard refusals.contains(nil) else {
                return refusals.compactMap { $0 }.map(Action.send) + [.log(.messageRefused(refusals[0]!))]
            }
        case .perRecipientThenMessage:
            // §4.5.1: the block opens with 353, which carries no enhanced status code.
            actions.append(.send(ServerReply(353, nil, "PRDR content analysis beginning")))
            // §4.5.2: one reply per accepted recipient, in RCPT order, saying whether it takes the message.
            for (recipient, refusal) in zip(transaction.recipients, refusals) {
                actions.append(
                    .send(refusal ?? ServerReply(250, esc(2, 1, 5), "<\(recipient.address)> accepts the message")))
            }
            guard refusals.contains(nil) else {
                // §4.5.3: the final reply is the message's, and no recipient took it. The draft leaves
                // the code to the server; 550 is Exim's ("message rejected for all recipients").
                let refusal = ServerReply(550, esc(5, 0, 0), "Message rejected for all recipients; nothing was stored")
                return actions + [.send(refusal), .log(.messageRefused(refusal))]
            }
        }
        let delivered = zip(transaction.recipients, refusals).filter { $0.1 == nil }.map(\.0.address)
        let message = ReceivedMessage(
            sender: transaction.sender, recipients: delivered, content: transaction.content,
            heloName: heloName ?? "", clientAddress: clientAddress,
            protocolName: configuration.protocolName(
                isExtended: isExtended, isTLS: isTLS, isAuthenticated: authenticatedUser != nil),
            authenticatedUser: authenticatedUser)
        state = .delivering(
            Delivery(
                sender: transaction.sender, octets: transaction.content.count,
                recipients: transaction.recipients.map(\.address), refusals: refusals, replies: replies))
        return actions + [.deliver(message)]
    }

    // MARK: AUTH

    /// RFC 4954 §4: `AUTH mechanism [initial-response]`, once per session, outside a transaction
    /// (`sequenceRefusal(of:)` has checked both).
    mutating func auth(_ argument: String) -> [Action] {
        let words = argument.split(separator: " ").map(String.init)
        guard (1...2).contains(words.count) else {
            return [.send(.titled(501, esc(5, 5, 4), detail: "write AUTH <mechanism> [initial-response]"))]
        }
        guard !configuration.users.isEmpty else {
            return [.send(.titled(502, esc(5, 5, 1), detail: "no users are configured for AUTH"))]
        }
        guard isTLS || configuration.allowsPlainAuth else {
            return [.send(.titled(538, esc(5, 7, 11), detail: "run STARTTLS first"))]
        }
        guard let mechanism = SASLExchange.Mechanism(rawValue: words[0].uppercased()) else {
            return [
                .send(.titled(504, esc(5, 5, 4), detail: "\(words[0]) is not offered; try PLAIN, LOGIN or CRAM-MD5"))
            ]
        }
        authCount += 1
        let challenge = "<\(nonce).\(authCount)@\(configuration.domain)>"
        let (exchange, step) = SASLExchange.start(
            mechanism, initialResponse: words.count == 2 ? words[1] : nil, challenge: challenge,
            users: configuration.users)
        return authStep(step, exchange: exchange)
    }

    mutating func authResponseReceived(_ line: InputLine, exchange: SASLExchange) -> [Action] {
        var exchange = exchange
        switch line {
        case .tooLong:
            state = .ready
            return [.send(.titled(500, esc(5, 5, 6), detail: "the AUTH line is too long"))]
        case .bareLineFeed(let bytes), .line(let bytes):
            return authStep(exchange.responseReceived(String(decoding: bytes, as: UTF8.self)), exchange: exchange)
        }
    }

    /// A wrong password: the reply waits, longer after every failure, and the last allowed one ends the session.
    ///
    /// RFC 4954 §4 answers a failed AUTH with 535 5.7.8, and its §9 asks servers to slow down
    /// password guessing; RFC 5321 §4.2.2 gives 421 for closing the channel. Postfix pauses
    /// (`smtpd_error_sleep_time`) and at `smtpd_hard_error_limit` says "421 4.7.0 <host> Error: too
    /// many errors"; Gmail answers repeated failures with "454 4.7.0 Too many login attempts,
    /// please try again later".
    private mutating func authFailed(user: String?, mechanism: String) -> [Action] {
        authFailures += 1
        let cap = max(configuration.maximumAuthFailureDelay, configuration.authFailureDelay)
        let (doubled, overflows) = configuration.authFailureDelay.multipliedReportingOverflow(
            by: 1 << min(authFailures - 1, 32))
        let delay = overflows ? cap : min(doubled, cap)
        let pause: [Action] = delay > 0 ? [.pause(milliseconds: delay)] : []
        let failed = Action.log(.authenticationFailed(user: user, mechanism: mechanism))
        if authFailures >= configuration.maximumAuthFailures {
            let reply = ServerReply(
                421, esc(4, 7, 0), "\(configuration.domain) Too many authentication failures, closing connection")
            return [failed] + pause + close(with: reply, reason: "\(authFailures) failed AUTH attempts")
        }
        state = delay > 0 ? .paused(resume: .ready) : .ready
        return [failed] + pause + [.send(.titled(535, esc(5, 7, 8), detail: "the user name or password is wrong"))]
    }

    private mutating func authStep(_ step: SASLExchange.Step, exchange: SASLExchange) -> [Action] {
        let mechanism = exchange.mechanism.rawValue
        switch step {
        case .challenge(let text):
            state = .authenticating(exchange)
            // RFC 4954 §4: the challenge is base64 alone; no enhanced code in a 334.
            return [.send(ServerReply(334, nil, text))]
        case .succeeded(let user):
            state = .ready
            authenticatedUser = user
            return [
                .log(.authenticated(user: user, mechanism: mechanism)),
                .send(ServerReply(235, esc(2, 7, 0), "Authentication successful")),
            ]
        case .failed(let user):
            return authFailed(user: user, mechanism: mechanism)
        case .malformed:
            state = .ready
            return [.send(.titled(501, esc(5, 5, 2), detail: "the response is not valid base64"))]
        case .cancelled:
            state = .ready
            return [.send(.titled(501, esc(5, 7, 0), detail: "authentication cancelled"))]
        }
    }
}
