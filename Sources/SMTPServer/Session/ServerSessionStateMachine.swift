import SMTPCore

/// One practice-server session, from the greeting to the close: bytes in, replies and other actions out.
///
/// It owns the input framing too, because what a byte means depends on the state: a command line
/// (RFC 5321 §4.5.3.1.4: 512 octets), a message line (§4.5.3.1.6: 1000 octets, only CRLF ends it,
/// §4.1.1.4), a BDAT chunk of exact length (RFC 3030 §2) or a SASL response (RFC 4954 §4). The
/// sequences are RFC 5321 §4.3.2's; the replies carry RFC 3463 codes (RFC 2034). It touches no
/// socket, file or clock: the NIO handler feeds it events and runs the actions, in order.
///
///     connected       --connectionAccepted, 220-------------->  awaitingHello
///     connected       --connectionAccepted, 554 (--greeting-fail)->  refused         (only QUIT, §3.1)
///     awaitingHello   --EHLO/HELO/LHLO 250------------------->  ready
///     ready           --MAIL 250----------------------------->  transaction
///     transaction     --RCPT 250/251 (or refused)------------>  transaction
///     transaction     --DATA 354----------------------------->  receivingData
///     receivingData   --CRLF . CRLF------------------------->  delivering      (.deliver; or refused -> ready)
///     transaction     --BDAT n [LAST]------------------------>  receivingChunk  (exactly n octets)
///     receivingChunk  --n octets, not LAST, 250-------------->  transaction
///     receivingChunk  --n octets, LAST----------------------->  delivering      (.deliver; or refused -> ready)
///     delivering      --deliveryCompleted, 250 / 451--------->  ready           (LMTP: one per recipient)
///     ready           --AUTH, 334-------------------------->  authenticating  --235/535/501-->  ready
///     ready, authenticating --AUTH fails, .pause, 535--------->  paused          --pauseEnded-->  ready
///                       (the N-th failure: .pause, 421, closed; `maximumAuthFailures`)
///     ready           --STARTTLS 220------------------------->  awaitingTLS     (.startTLS; input discarded)
///     awaitingTLS     --tlsEstablished----------------------->  awaitingHello   (all state forgotten, RFC 3207 §4.2)
///     ready, transaction --RSET 250, EHLO 250---------------->  ready
///     any             --QUIT 221, timedOut 421, shutdownRequested 421, 20 errors 421-->  closed (.close)
///
/// The end of the message (the final dot or BDAT LAST) is answered as `EndOfDataReplies` says:
/// one reply (SMTP), one per accepted recipient once stored (LMTP), or, when MAIL asked for PRDR,
/// 353 and one reply per accepted recipient at once, then the message's own reply once stored:
///
///     receivingData/Chunk --end, PRDR: 353, one per recipient-->  delivering  (.deliver; all refused: 550 -> ready)
///     delivering          --deliveryCompleted, 250 / 451-------->  ready
///
/// While `delivering`, `paused` or `awaitingTLS`, input is kept (or, for TLS, dropped) but not read: with
/// PIPELINING the commands after the final dot wait for the message's reply (RFC 2920 §3.1).
public struct ServerSessionStateMachine: Sendable {
    /// What the NIO handler must do.
    public enum Action: Hashable, Sendable {
        case send(ServerReply)
        /// The 220 to STARTTLS has been sent (queued before this action): start the TLS handshake.
        case startTLS
        /// Store the message, then report `deliveryCompleted(_:)`.
        case deliver(ReceivedMessage)
        case log(SessionEvent)
        /// Flush what was sent, then close the connection.
        case close
        /// Run the actions after this one only once `milliseconds` have passed, read nothing
        /// meanwhile, then report `pauseEnded()`. It holds back the reply to a failed AUTH.
        case pause(milliseconds: Int)
    }

    /// A recipient accepted by RCPT, with the lab behaviour that decides its fate at the end of data.
    struct Recipient: Hashable, Sendable {
        let address: String
        let behaviour: LabMailboxTable.Behaviour
    }

    /// A mail transaction: MAIL through the end of data (RFC 5321 §3.3).
    struct Transaction: Hashable, Sendable {
        var sender: String
        var declaresInternational = false
        /// MAIL FROM asked for per-recipient replies after the message (draft-hall-prdr-00 §4.2).
        var requestsPRDR = false
        var recipients: [Recipient] = []
        /// RCPT commands tried, accepted or not: DATA after only refusals gets 554 (RFC 2920 §3.1).
        var attemptedRecipients = 0
        /// RCPTs refused with 452 because `maximumRecipients` were accepted already.
        var excessRecipients = 0
        var content: [UInt8] = []
        /// Octets received for the message, kept or not.
        var receivedOctets = 0
        /// More than `maximumMessageSize` arrived; the rest was counted and dropped.
        var isOversized = false
        /// A message line was longer than 1000 octets (RFC 5321 §4.5.3.1.6).
        var hasOverlongLine = false
        /// BDAT was used: DATA may not follow (RFC 3030 §2).
        var usesChunking = false
    }

    /// Where the reading of DATA lines stands.
    struct DataReader: Hashable, Sendable {
        /// The current line is overlong and was partly taken already: its end is not a dot line.
        var isInsideLongLine = false
    }

    /// How the end of a message (the final dot, or BDAT LAST) is answered.
    enum EndOfDataReplies: Hashable, Sendable {
        /// One reply for the message and all its recipients (RFC 5321 §4.1.1.4, §3.3).
        case single
        /// LMTP: one reply per accepted recipient, in RCPT order, once the message is stored
        /// (RFC 2033 §4.2 for DATA, §4.3 for BDAT).
        case perRecipient
        /// PRDR: 353, then one reply per accepted recipient in RCPT order, then one for the message
        /// once it is stored (draft-hall-prdr-00 §4.5.1 to §4.5.3).
        case perRecipientThenMessage
    }

    /// A message handed to the store: what its replies still need once it is stored.
    struct Delivery: Hashable, Sendable {
        let sender: String
        let octets: Int
        /// The accepted recipients in RCPT order, each with its refusal at the end of data (nil: it takes the message).
        let recipients: [String]
        let refusals: [ServerReply?]
        let replies: EndOfDataReplies

        var deliveredCount: Int { refusals.filter { $0 == nil }.count }
    }

    /// A BDAT chunk being read.
    struct ChunkReader: Hashable, Sendable {
        var transaction: Transaction?
        var remaining: Int
        let size: Int
        let isLast: Bool
        /// The reply to give once the chunk is read, when the chunk is refused whatever it holds.
        let rejection: ServerReply?
        /// LMTP's BDAT LAST without an accepted recipient: read, then no reply (RFC 2033 §4.3).
        var isUnanswered = false
    }

    indirect enum State: Sendable {
        case connected
        case refused
        case awaitingHello
        case ready
        case transaction(Transaction)
        case receivingData(Transaction, DataReader)
        case receivingChunk(ChunkReader, resume: State)
        case authenticating(SASLExchange)
        case awaitingTLS
        case delivering(Delivery)
        /// Waiting out a `.pause`; input is kept, not read.
        case paused(resume: State)
        case closed
    }

    let configuration: SessionConfiguration
    let clientAddress: ClientAddress
    let greylist: any GreylistMemory
    /// Unique to this session, for CRAM-MD5 challenges (RFC 2195 §2).
    let nonce: String

    var state: State = .connected
    var heloName: String?
    /// EHLO or LHLO (extensions allowed) rather than HELO.
    var isExtended = false
    public private(set) var isTLS = false
    var authenticatedUser: String?
    var commandCount = 0
    var errorCount = 0
    var authCount = 0
    var authFailures = 0
    var messagesAccepted = 0
    var isShutdownPending = false
    /// The client left while its message was being stored.
    var isClientGone = false

    var input: [UInt8] = []
    var readIndex = 0
    /// A command line went over the limit without a line end: drop bytes until the next LF.
    var isDiscardingOverlongLine = false
    /// Complete input units read: command lines, message lines, AUTH responses, BDAT chunks.
    ///
    /// ### Why count records, not bytes?
    /// The handler's timeout runs from the last complete record, not the last byte, as Postfix's
    /// `smtpd_per_record_deadline` does: a client that trickles one byte every few seconds
    /// (slowloris) never completes a line, so it cannot hold its connection past the timeout.
    public internal(set) var completedRecords = 0
    /// Reading stopped because one call's replies reached `replyBudget`; `readMore()` goes on.
    public private(set) var isReplyBudgetSpent = false

    /// Octets of replies one event may produce before the machine stops reading input.
    ///
    /// ### Why a budget?
    /// Ten octets of `HELP LAB` bring kilobytes of reply. A client that pipelines a megabyte of
    /// them and never reads would otherwise have the server queue a gigabyte at once; with the
    /// budget the handler writes, and reads on only while the client takes the replies.
    static let replyBudget = 64 * 1024

    public init(
        configuration: SessionConfiguration, clientAddress: ClientAddress, nonce: String, greylist: any GreylistMemory
    ) {
        self.configuration = configuration
        self.clientAddress = clientAddress
        self.nonce = nonce
        self.greylist = greylist
    }

    // MARK: Events

    /// The TCP connection is open: greet (RFC 5321 §3.1, §4.3.1).
    public mutating func connectionAccepted() -> [Action] {
        guard case .connected = state else { preconditionFailure("connectionAccepted twice") }
        let domain = configuration.domain
        if configuration.failsGreeting {
            state = .refused
            return [.send(ServerReply(554, nil, "\(domain) No SMTP service here for you (--greeting-fail); QUIT ends"))]
        }
        state = .awaitingHello
        let name = configuration.isLMTP ? "LMTP" : "ESMTP"
        return [.send(ServerReply(220, nil, "\(domain) \(name) \(LabMailboxTable.greetingMarker) ready"))]
    }

    /// Bytes arrived from the client.
    public mutating func bytesReceived(_ bytes: some Collection<UInt8>) -> [Action] {
        if case .closed = state { return [] }
        if case .awaitingTLS = state { return [] }
        input.append(contentsOf: bytes)
        return processInput()
    }

    /// The TLS handshake after STARTTLS finished: forget everything but the connection (RFC 3207 §4.2).
    public mutating func tlsEstablished() -> [Action] {
        // A handshake can still finish after a timeout or a shutdown closed the session.
        if case .closed = state { return [] }
        guard case .awaitingTLS = state else { preconditionFailure("tlsEstablished without STARTTLS") }
        isTLS = true
        heloName = nil
        isExtended = false
        authenticatedUser = nil
        input = []
        readIndex = 0
        state = .awaitingHello
        return [.log(.tlsEstablished)]
    }

    /// The message handed over by `.deliver` was stored, or not.
    public mutating func deliveryCompleted(_ result: DeliveryResult) -> [Action] {
        let delivery: Delivery
        switch state {
        case .delivering(let pending):
            delivery = pending
        case .closed:
            // The client left after the final dot; the message is complete and stays stored.
            switch result {
            case .stored(let id): return [.log(.messageStored(id: id, sender: "", recipients: 0, octets: 0))]
            case .failed(let reason), .noRoom(let reason): return [.log(.deliveryFailed(reason: reason))]
            }
        case .connected, .refused, .awaitingHello, .ready, .transaction, .receivingData, .receivingChunk,
            .authenticating, .awaitingTLS, .paused:
            preconditionFailure("deliveryCompleted without a delivery")
        }
        var actions: [Action] = []
        switch result {
        case .stored(let id):
            messagesAccepted += 1
            actions.append(
                .log(
                    .messageStored(
                        id: id, sender: delivery.sender, recipients: delivery.deliveredCount, octets: delivery.octets)))
        case .failed(let reason), .noRoom(let reason):
            actions.append(.log(.deliveryFailed(reason: reason)))
        }
        if isClientGone {
            state = .closed
            return actions
        }
        let storedReply: ServerReply
        switch result {
        case .stored(let id):
            storedReply = ServerReply(250, esc(2, 0, 0), "Ok: queued as \(id)")
        case .failed:
            storedReply = ServerReply.titled(
                451, esc(4, 3, 0), detail: "the message could not be stored; try again later")
        case .noRoom:
            // RFC 5321 §4.2.3 and RFC 3463 §3.4 (4.3.1 "Mail system full"); Postfix says
            // "452 4.3.1 Insufficient system storage" when its queue file system fills.
            storedReply = ServerReply.titled(
                452, esc(4, 3, 1), detail: "no room to store the message; try again later")
        }
        switch delivery.replies {
        case .single:
            actions.append(.send(storedReply))
        case .perRecipient:
            // RFC 2033 §4.2: one reply per accepted recipient, in RCPT order.
            for (address, refusal) in zip(delivery.recipients, delivery.refusals) {
                if let refusal {
                    actions.append(.send(refusal))
                } else if case .stored(let id) = result {
                    actions.append(.send(ServerReply(250, esc(2, 1, 5), "<\(address)> delivered as \(id)")))
                } else {
                    actions.append(.send(storedReply))
                }
            }
        case .perRecipientThenMessage:
            // draft-hall-prdr-00 §4.5.3: the per-recipient replies went out already; this one decides.
            if case .stored = result, delivery.deliveredCount < delivery.recipients.count {
                let some = "for \(delivery.deliveredCount) of \(delivery.recipients.count) recipients"
                actions.append(.send(ServerReply(250, esc(2, 0, 0), "\(storedReply.texts[0]) \(some)")))
            } else {
                actions.append(.send(storedReply))
            }
        }
        state = .ready
        if isShutdownPending { return actions + shutDown(reason: "the server is shutting down") }
        return actions + processInput()
    }

    /// No input for longer than the server's timeout (RFC 5321 §4.5.3.2.7: at least 5 minutes).
    public mutating func timedOut() -> [Action] {
        if case .closed = state { return [] }
        if case .awaitingTLS = state {
            // Mid-handshake no plaintext 421 can be sent (RFC 3207 §4): just close.
            state = .closed
            return [.log(.shuttingDown(reason: "no TLS handshake before the idle timeout")), .close]
        }
        let reply = ServerReply(421, esc(4, 4, 2), "\(configuration.domain) Timeout exceeded, closing connection")
        return abandonedData() + close(with: reply, reason: "idle timeout")
    }

    /// The server is stopping: tell the client with 421 (RFC 5321 §3.8), after a delivery in progress.
    public mutating func shutdownRequested() -> [Action] {
        switch state {
        case .closed: return []
        case .awaitingTLS:
            state = .closed
            return [.log(.shuttingDown(reason: "the server is shutting down")), .close]
        case .delivering:
            isShutdownPending = true
            return []
        default:
            return shutDown(reason: "the server is shutting down")
        }
    }

    /// The pause of a `.pause` action is over: read on.
    public mutating func pauseEnded() -> [Action] {
        guard case .paused(let resume) = state else { return [] }
        state = resume
        return processInput()
    }

    /// The client closed the connection (or it broke).
    public mutating func connectionClosed() -> [Action] {
        let actions = abandonedData()
        if case .delivering = state {
            // The message is complete; let the store finish it.
            isClientGone = true
            return actions
        }
        state = .closed
        return actions
    }

    // MARK: Input

    /// Reads on after `isReplyBudgetSpent` stopped it (the replies so far were written).
    public mutating func readMore() -> [Action] {
        processInput()
    }

    /// Reads as much of the input as the state and `replyBudget` allow.
    mutating func processInput() -> [Action] {
        var actions: [Action] = []
        var replyOctets = 0
        var counted = 0
        isReplyBudgetSpent = false
        reading: while readIndex < input.count || isZeroLengthChunkPending {
            for case .send(let reply) in actions[counted...] {
                replyOctets += reply.texts.reduce(0) { $0 + $1.utf8.count + 12 }
            }
            counted = actions.count
            if replyOctets >= Self.replyBudget {
                isReplyBudgetSpent = true
                break reading
            }
            switch state {
            case .connected, .awaitingTLS, .delivering, .paused, .closed:
                break reading
            case .receivingData, .receivingChunk:
                // Taken in `readMessageInput()`, out of this switch: see there.
                actions += readMessageInput()
                if case .receivingData = state { break reading }
            case .authenticating(let exchange):
                guard let line = nextLine(limit: configuration.maximumAuthLineLength) else { break reading }
                completedRecords += 1
                actions += authResponseReceived(line, exchange: exchange)
            case .refused, .awaitingHello, .ready, .transaction:
                guard let line = nextLine(limit: configuration.maximumCommandLineLength) else { break reading }
                completedRecords += 1
                actions += commandLineReceived(line)
            }
        }
        compactInput()
        return actions
    }

    /// Reads message lines or chunk octets while there are any; the state is left as it ends.
    ///
    /// ### Why out of `processInput`'s switch?
    /// A debug build keeps the switched-on state alive until the case ends, so the message
    /// content bound from it has two owners and every append copies it: a 10 MB message took
    /// minutes. Taken out here, by a function of its own, the content is appended to in place.
    private mutating func readMessageInput() -> [Action] {
        if let (transaction, reader) = takeReceivingData() {
            var (transaction, reader) = (transaction, reader)
            while true {
                switch readDataLine(&transaction, &reader) {
                case .needsMoreInput:
                    state = .receivingData(transaction, reader)
                    return []
                case .lineTaken:
                    completedRecords += 1
                case .endOfMessage:
                    completedRecords += 1
                    return endOfMessage(transaction)
                }
            }
        }
        guard let (reader, resume) = takeReceivingChunk() else { preconditionFailure("no message input to read") }
        var chunk = reader
        return readChunk(&chunk, resume: resume)
    }

    private mutating func takeReceivingData() -> (Transaction, DataReader)? {
        guard case .receivingData(let transaction, let reader) = state else { return nil }
        state = .connected
        return (transaction, reader)
    }

    private mutating func takeReceivingChunk() -> (ChunkReader, State)? {
        guard case .receivingChunk(let reader, let resume) = state else { return nil }
        state = .connected
        return (reader, resume)
    }

    private var isZeroLengthChunkPending: Bool {
        if case .receivingChunk(let reader, _) = state { return reader.remaining == 0 }
        return false
    }

    enum InputLine: Hashable {
        case line([UInt8])
        case bareLineFeed([UInt8])
        case tooLong
    }

    /// The next line ended by LF, or nil until one arrives; over `limit` octets it is dropped whole.
    mutating func nextLine(limit: Int) -> InputLine? {
        guard let lineFeed = input[readIndex...].firstIndex(of: 0x0A) else {
            if input.count - readIndex > limit {
                isDiscardingOverlongLine = true
                readIndex = input.count
            }
            return nil
        }
        let start = readIndex
        readIndex = lineFeed + 1
        if isDiscardingOverlongLine {
            isDiscardingOverlongLine = false
            return .tooLong
        }
        if lineFeed + 1 - start > limit { return .tooLong }
        guard lineFeed > start, input[lineFeed - 1] == 0x0D else {
            return .bareLineFeed(Array(input[start..<lineFeed]))
        }
        return .line(Array(input[start..<(lineFeed - 1)]))
    }

    private mutating func compactInput() {
        if readIndex == input.count {
            input.removeAll(keepingCapacity: input.count <= 64 * 1024)
            readIndex = 0
        } else if readIndex > 64 * 1024 {
            input.removeFirst(readIndex)
            readIndex = 0
        }
    }

    // MARK: Closing

    /// 421 and close (RFC 5321 §3.8).
    mutating func shutDown(reason: String) -> [Action] {
        let reply = ServerReply(421, esc(4, 3, 2), "\(configuration.domain) Service shutting down, closing connection")
        return abandonedData() + close(with: reply, reason: reason)
    }

    mutating func close(with reply: ServerReply, reason: String?) -> [Action] {
        state = .closed
        input = []
        readIndex = 0
        return [.send(reply)] + (reason.map { [.log(.shuttingDown(reason: $0))] } ?? []) + [.close]
    }

    /// A message in progress is dropped: nothing of it is stored.
    private func abandonedData() -> [Action] {
        switch state {
        case .receivingData(let transaction, let reader):
            return [.log(.dataAbandoned(octets: octetsOfAbandonedMessage(transaction, reader)))]
        case .receivingChunk(let reader, _):
            guard let transaction = reader.transaction else { return [] }
            return [.log(.dataAbandoned(octets: transaction.receivedOctets + reader.size - reader.remaining))]
        case .transaction(let transaction) where transaction.usesChunking:
            return [.log(.dataAbandoned(octets: transaction.receivedOctets))]
        default:
            return []
        }
    }

    /// The state after a transaction ends: ready for the next one.
    var helloedState: State { heloName == nil ? .awaitingHello : .ready }
}
