/// The state of one SMTP or LMTP session as the console user sees it, and the exchanges still
/// owed a reply.
///
/// Events go in (`connectionOpened`, `commandSent`, `endOfDataSent`, `chunkOctetsSent`,
/// `authResponseSent`, `replyReceived`, `tlsEstablished`, `connectionClosed`); what the console
/// must do comes out as actions. It never touches a socket, a terminal or a clock (times are
/// given to it), so tests read like the traces of RFC 5321 Appendix D.
///
/// The state is what the server's replies have established so far. Commands sent but not yet
/// answered wait in a queue, oldest first; a reply is matched to the oldest exchange still owed
/// one, and an exchange may be owed several (LMTP's end of data, RFC 2033 §4.2; PRDR). Commands
/// typed ahead (pipelined, RFC 2920) are judged against the state the queue predicts: the state
/// after every queued exchange succeeds.
///
///     disconnected      --connect------------------------->  awaitingGreeting
///     awaitingGreeting  --220----------------------------->  greeted
///     awaitingGreeting  --554, 521------------------------>  refused          (QUIT only, RFC 5321 §3.1)
///     greeted           --EHLO/HELO/LHLO 250-------------->  helloed(hello)
///     helloed           --STARTTLS 220-------------------->  tlsHandshake  --handshake-->  greeted (RFC 3207 §4.2)
///     helloed           --AUTH 334------------------------>  authenticating --answer-->  helloed
///     helloed           --MAIL 250------------------------>  transaction(hello, transaction)
///     transaction       --RCPT 250/251, or refused-------->  transaction      (recipients counted)
///     transaction       --DATA 354------------------------>  message          --"."-->  helloed
///     transaction       --BDAT n 250---------------------->  transaction      (chunking, RFC 3030 §2)
///     transaction       --BDAT n LAST 250----------------->  helloed
///     transaction       --BDAT 4xx/5xx, DATA after BDAT--->  failedTransaction (RSET only, RFC 3030 §2)
///     transaction, failedTransaction --RSET 250, EHLO 250-->  helloed
///     any               --QUIT 221, any 421, drop--------->  closed
public struct SessionStateMachine: Sendable {
    /// What the console must do after an event.
    public enum Action: Hashable, Sendable {
        /// Write what is held and wait for the replies owed: the command was sent in lock-step,
        /// or it ends its pipelined group (RFC 2920 §3.1).
        case awaitReplies
        /// The next typed lines are the octets of a BDAT chunk, sent as typed (RFC 3030 §2).
        case readChunk(octets: Int)
        /// BDAT to a server that did not advertise CHUNKING: wait a moment for the refusal that
        /// such a server sends at once, before its octets go out as commands.
        case awaitEarlyRefusal
        /// 354: the lines typed next are the message.
        case enterDataMode
        /// 220 to STARTTLS: the TLS handshake must start before anything else is sent.
        case startTLSHandshake
        /// 334: the next line is an answer to a SASL challenge; never echo or store it in clear.
        case expectSecretResponse
        /// 221, 421, a refused greeting: the server is closing or has closed the connection.
        case closeConnection
        /// A script's message lines after a refused DATA, or a chunk's after an early reply to BDAT,
        /// are skipped up to their end, never sent as commands.
        case skipInput(String)
        /// The server answered BDAT before its octets: the chunk's remaining lines are not sent.
        case abandonChunk(octets: Int)
        /// An exchange ended without a reply, as its RFC says it does; the text says why.
        case noReplyDue(String)
    }

    /// The interpretation of one reply.
    public struct ReplyOutcome: Hashable, Sendable {
        public var reply: SMTPReply
        /// The exchange it answered; nil for an unsolicited reply.
        public var answered: ReplySource?
        /// For LMTP and PRDR replies after the message: the recipient it is for.
        public var recipient: RecipientReply?
        /// The exchange was written together with others (a pipelined group): annotations name it in full.
        public var isPipelined = false
        /// What the reply means as an answer to `answered`.
        public var meaning: String
        /// What follows from it, beyond its meaning: the RFC's advice for this reply here.
        public var notes: [String] = []
        /// The usual next steps after it, as `SessionStateMachine.nextSteps` gave them then;
        /// worked out only when asked for (a console with `--explain off` never does).
        public var nextSteps: [String] { nextStepsBasis.steps }
        var nextStepsBasis: NextSteps
        /// The exchanges still owed a reply after this one, oldest first: the first
        /// `awaitedNamesShown`, then `and N more` (a flood of pipelined commands would otherwise
        /// name thousands on every reply).
        public var stillAwaited: [String] = []
        public var actions: [Action]
        public var warnings: [String]
        /// When the exchange was written (the console's clock), for the reply's latency.
        public var sentAt: Double?
        /// The tag given with the line that opened the exchange.
        public var tag: Int?
    }

    /// One of the replies after the message that LMTP (RFC 2033 §4.2) and PRDR send per recipient.
    public struct RecipientReply: Hashable, Sendable {
        public var address: String
        public var position: Int
        public var count: Int
    }

    /// What the next typed line is.
    public enum InputMode: Hashable, Sendable {
        /// Not connected: only `/` commands do anything.
        case offline
        case commands
        /// After 354: message lines, dot-stuffed on the wire, until a lone `.`.
        case message
        /// The octets of a BDAT chunk, this many still to send.
        case chunk(remaining: Int, size: Int)
        /// After 334: a base64 answer to the challenge (or `*`).
        case challengeAnswer
        /// The reply to this exchange decides what the next lines are (DATA's 354, STARTTLS's 220,
        /// AUTH's 334); nothing may be sent until it arrives.
        case awaitingReply(ReplySource)
        /// 220 to STARTTLS: only the handshake.
        case tlsHandshake
        /// A script's lines that are not to be sent (a refused DATA's message, a refused chunk's octets).
        case skipping
    }

    /// What EHLO, HELO or LHLO established.
    public struct Hello: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable { case ehlo, helo, lhlo }
        public var kind: Kind
        /// The extensions of the reply; empty after HELO; nil while the reply is still awaited.
        public var capabilities: EHLOCapabilities?
    }

    /// A mail transaction, MAIL to the end of the message (RFC 5321 §3.3).
    public struct Transaction: Hashable, Sendable {
        public var sender: String
        public var acceptedRecipients: [String] = []
        public var refusedRecipients: [String] = []
        /// BDAT chunks accepted (RFC 3030 §2).
        public var acceptedChunks = 0
        /// MAIL asked for per-recipient data responses.
        public var requestsPRDR = false
        /// MAIL declared BODY=BINARYMIME: only BDAT may carry the message (RFC 3030 §3).
        public var isBinaryMIME = false
        /// MAIL declared SMTPUTF8 (RFC 6531 §3.4).
        public var isInternational = false
        /// DATA got a permanent refusal: repeating it will not help.
        public var isDataRefused = false
    }

    enum State: Hashable, Sendable {
        case disconnected
        case awaitingGreeting
        case refused
        case greeted
        case helloed(Hello)
        case transaction(Hello, Transaction)
        /// A refused chunk, or DATA after BDAT: "A RSET command MUST be sent" (RFC 3030 §2).
        case failedTransaction(Hello, Transaction)
        case message(Hello, Transaction)
        case authenticating(Hello)
        case tlsHandshake
        case closed
    }

    /// The state and the facts of the connection that outlive it (TLS, authentication, protocol).
    struct Snapshot: Hashable, Sendable {
        var state: State
        var sessionProtocol: SessionProtocol
        var isTLS = false
        var isAuthenticated = false
    }

    /// A script's lines being skipped.
    struct Skip: Hashable, Sendable {
        enum Kind: Hashable, Sendable {
            /// Up to the lone `.`.
            case message
            /// Up to the lone `.`, which is sent: 354 came with no recipient accepted (RFC 2920 §3.1).
            case messageBody
            /// This many octets of a chunk.
            case chunk(remaining: Int)
        }
        var kind: Kind
        var reason: String
        var lines = 0
    }

    /// What the session holds, in one box that copies of the session share until one of them
    /// changes (copy on write, as the standard library's arrays do). The console reads a view of
    /// the session for every line it sends, and each read copies the session: one reference
    /// counted, not every array and string of the state and the queue.
    private final class Storage: @unchecked Sendable {
        var confirmed: Snapshot
        var queue: [PendingExchange] = []
        var prediction: Snapshot?
        var marks: QueueMarks?
        var skip: Skip?
        var isReplyCheckDue = false
        var lastReply: SMTPReply?
        var lastAnswered: ReplySource?

        init(confirmed: Snapshot) {
            self.confirmed = confirmed
        }

        func copy() -> Storage {
            let copy = Storage(confirmed: confirmed)
            (copy.queue, copy.prediction, copy.marks) = (queue, prediction, marks)
            (copy.skip, copy.isReplyCheckDue) = (skip, isReplyCheckDue)
            (copy.lastReply, copy.lastAnswered) = (lastReply, lastAnswered)
            return copy
        }
    }

    // `@unchecked Sendable` above: a box is changed only through `uniqueStorage()`, when no other
    // copy of the session refers to it.
    private var storage: Storage

    private mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    var confirmed: Snapshot {
        get { storage.confirmed }
        _modify {
            let storage = uniqueStorage()
            yield &storage.confirmed
            storage.prediction = nil
        }
    }

    var queue: [PendingExchange] {
        get { storage.queue }
        _modify {
            let storage = uniqueStorage()
            yield &storage.queue
            storage.prediction = nil
            storage.marks = nil
        }
    }

    /// `predicted` for the `confirmed` state and `queue` as they stand, or nil once either
    /// changed. Kept across the changes that happen for every line and every reply (a command
    /// queued, a group written, an exchange answered as predicted), so that a pipelined burst of
    /// n commands (a student's 20,000 NOOPs in one write) costs n steps of prediction, not n².
    private var prediction: Snapshot? {
        get { storage.prediction }
        _modify { yield &uniqueStorage().prediction }
    }

    /// `QueueMarks(scanning: queue)`, or nil once `queue` changed; kept like `prediction`.
    private var marks: QueueMarks? {
        get { storage.marks }
        _modify { yield &uniqueStorage().marks }
    }

    var skip: Skip? {
        get { storage.skip }
        _modify { yield &uniqueStorage().skip }
    }

    /// A script's DATA was just answered: an `/expect` on the next line checks that reply (and is
    /// not part of the message); any other line ends the chance.
    var isReplyCheckDue: Bool {
        get { storage.isReplyCheckDue }
        _modify { yield &uniqueStorage().isReplyCheckDue }
    }

    public private(set) var lastReply: SMTPReply? {
        get { storage.lastReply }
        _modify { yield &uniqueStorage().lastReply }
    }

    public private(set) var lastAnswered: ReplySource? {
        get { storage.lastAnswered }
        _modify { yield &uniqueStorage().lastAnswered }
    }

    /// - Parameter sessionProtocol: what the connection is expected to speak; a server that accepts
    ///   LHLO makes it LMTP whatever was expected.
    public init(sessionProtocol: SessionProtocol = .smtp) {
        storage = Storage(confirmed: Snapshot(state: .disconnected, sessionProtocol: sessionProtocol))
    }

    // MARK: Events

    public mutating func connectionOpened(overTLS: Bool = false, at time: Double? = nil, tag: Int? = nil) {
        self = SessionStateMachine(sessionProtocol: confirmed.sessionProtocol)
        confirmed.state = .awaitingGreeting
        confirmed.isTLS = overTLS
        queue = [PendingExchange(.greeting, sentAt: time, tag: tag)]
    }

    /// Records a command line sent to the server (or held for a pipelined group). Call
    /// `warnings(for:)` first to show what is wrong with it.
    ///
    /// - Parameters:
    ///   - time: when it was written; nil while it is held, until `exchangesWritten(at:)`.
    ///   - isPipelined: a group is being built: only a command that ends its group (RFC 2920 §3.1)
    ///     is followed by `.awaitReplies`.
    ///   - bodyFollowsInInput: the lines after it in the input are its message, written ahead
    ///     (a script's DATA or BDAT): if the server refuses, they are skipped, never sent.
    ///   - tag: handed back with each reply to this command.
    public mutating func commandSent(
        _ command: SMTPCommand, at time: Double? = nil, isPipelined: Bool = false, bodyFollowsInInput: Bool = false,
        tag: Int? = nil
    ) -> [Action] {
        var exchange = PendingExchange(.command(command), sentAt: time, tag: tag)
        exchange.bodyFollowsInInput = bodyFollowsInInput
        exchange.isGrouped = isPipelined
        let before = predicted
        if let chunk = command.bdatChunk, chunk.size > 0 {
            let advertised = before.state.hello?.capabilities.map { $0.has("CHUNKING") }
            exchange.octetsToSend = chunk.size
            enqueue(exchange, after: before)
            // A server without CHUNKING answers BDAT at once; one with it only after the octets.
            return advertised == false
                ? [.awaitEarlyRefusal, .readChunk(octets: chunk.size)] : [.readChunk(octets: chunk.size)]
        }
        enqueue(exchange, after: before)
        return isPipelined && !CommandTable.endsGroup(command) ? [] : [.awaitReplies]
    }

    /// The user gave up the BDAT chunk being typed before any of it was written: it is as if
    /// BDAT was never sent. Returns false if the BDAT line was written already (the server then
    /// waits for every octet, RFC 3030 §2, and only the connection's end stops that).
    public mutating func chunkAbandoned() -> Bool {
        guard let index = queueMarks.lastChunk, queue[index].sentAt == nil else { return false }
        queue.remove(at: index)
        return true
    }

    /// Octets of the current BDAT chunk went out; when the last one has, its reply is awaited.
    public mutating func chunkOctetsSent(_ count: Int) -> [Action] {
        let (marks, prediction) = (queueMarks, predicted)
        guard let index = marks.lastChunk else { preconditionFailure("chunk octets sent outside a BDAT chunk") }
        queue[index].octetsToSend -= min(count, queue[index].octetsToSend)
        self.prediction = prediction
        guard queue[index].octetsToSend == 0 else {
            self.marks = marks
            return []
        }
        self.marks = marks.closingChunk(at: index, in: queue)
        let endsGroup = queue[index].source.command.map(CommandTable.endsGroup) ?? true
        let notes = dropExchangesThatGetNoReply()
        return notes + (queue.indices.contains(index) && queue[index].isGrouped && !endsGroup ? [] : [.awaitReplies])
    }

    /// RFC 2033 §4.3: in LMTP, "If there were no previously successful RCPT commands in the mail
    /// transaction, then the BDAT LAST command returns zero replies." Once its octets are sent and
    /// every earlier reply is in, such an exchange is over without one.
    private mutating func dropExchangesThatGetNoReply() -> [Action] {
        guard confirmed.sessionProtocol == .lmtp, let head = queue.first, head.octetsToSend == 0,
            head.repliesTaken == 0, head.source.command?.bdatChunk?.isLast == true,
            case .transaction(let hello, let transaction) = confirmed.state, transaction.acceptedRecipients.isEmpty
        else { return [] }
        queue.removeFirst()
        confirmed.state = .helloed(hello)
        return [
            .noReplyDue(
                "no recipient was accepted, so BDAT LAST gets no reply at all in LMTP (RFC 2033 §4.3); the transaction is over"
            )
        ]
    }

    /// The line `.` that ends the message was sent: the transaction is over whatever the reply
    /// (RFC 5321 §4.1.1.4), which in LMTP comes once per accepted recipient (RFC 2033 §4.2).
    public mutating func endOfDataSent(at time: Double? = nil, isPipelined: Bool = false, tag: Int? = nil) -> [Action] {
        guard case .message(let hello, let transaction) = confirmed.state else {
            preconditionFailure("end of data sent outside data mode")
        }
        confirmed.state = .helloed(hello)
        var exchange = PendingExchange(
            .endOfData, sentAt: time, expectation: Self.expectation(after: transaction, in: confirmed), tag: tag)
        exchange.isGrouped = isPipelined
        queue.append(exchange)
        // RFC 2920 §3.1: the message content may be the first "command" of the next group.
        return isPipelined ? [] : [.awaitReplies]
    }

    /// The answer to a 334 challenge was sent.
    public mutating func authResponseSent(at time: Double? = nil, tag: Int? = nil) -> [Action] {
        if case .authenticating(let hello) = confirmed.state { confirmed.state = .helloed(hello) }
        queue.append(PendingExchange(.authContinuation, sentAt: time, tag: tag))
        return [.awaitReplies]
    }

    /// The held lines were written, in one go: those of a pipelined group, or a single one.
    public mutating func exchangesWritten(at time: Double) {
        let (marks, prediction) = (queueMarks, predicted)
        let written = queue.indices.filter { queue[$0].sentAt == nil }
        for index in written {
            queue[index].sentAt = time
            queue[index].isPipelined = written.count > 1
        }
        (self.marks, self.prediction) = (marks, prediction)
    }

    public mutating func tlsEstablished() {
        // RFC 3207 §4.2: the server discards all knowledge obtained from the client, and the
        // client must discard what it learnt from the server, then EHLO again.
        confirmed.isTLS = true
        confirmed.isAuthenticated = false
        // With implicit TLS the handshake comes before the greeting, which is still awaited.
        switch confirmed.state {
        case .awaitingGreeting, .closed, .disconnected: break
        default: confirmed.state = .greeted
        }
    }

    /// The connection ended. Returns the exchanges that will never get their reply.
    @discardableResult
    public mutating func connectionClosed() -> [ReplySource] {
        let unanswered = queue.map(\.source)
        confirmed.state = .closed
        queue = []
        skip = nil
        return unanswered
    }

    /// Interprets one complete reply and moves the session on.
    public mutating func replyReceived(_ reply: SMTPReply) -> ReplyOutcome {
        lastReply = reply
        guard !queue.isEmpty else {
            lastAnswered = nil
            return unsolicited(reply)
        }
        if reply.problems.contains(.unfinishedReply) {
            // RFC 5321 §4.2.1: a reply ends only with a line whose code is followed by a space. Lines
            // left hanging by a close answer nothing: the exchange is left to connectionClosed().
            lastAnswered = nil
            return ReplyOutcome(
                reply: reply, answered: nil, meaning: "an unfinished reply: the server closed before its last line",
                nextStepsBasis: nextStepsBasis, stillAwaited: awaitedNames, actions: [], warnings: [])
        }
        let before = confirmed
        let (predictedBefore, marksBefore) = (predicted, queueMarks)
        var exchange = queue[0]
        var actions: [Action] = []
        var warnings = Self.enhancedCodeWarnings(reply)
        var notes: [String] = []
        let source = exchange.source
        lastAnswered = source

        let isEarly = exchange.octetsToSend > 0
        if isEarly {
            // RFC 3030 §2: the server reads the whole chunk before it answers. A reply now means it
            // did not take the octets as a chunk (a server without CHUNKING answers 500 at once).
            warnings.append(
                "the server answered BDAT before its \(exchange.octetsToSend) remaining octets: it did not take them as a chunk (RFC 3030 §2); they are not sent"
            )
            if exchange.bodyFollowsInInput {
                skip = Skip(
                    kind: .chunk(remaining: exchange.octetsToSend),
                    reason: "the server answered BDAT with \(reply.code) before its octets")
                actions.append(.skipInput("the lines of this chunk are skipped, not sent"))
            } else {
                actions.append(.abandonChunk(octets: exchange.octetsToSend))
            }
            exchange.octetsToSend = 0
        }

        if exchange.repliesTaken == 0, let count = Self.lateExpectation(for: exchange, in: confirmed) {
            // A syntax or sequence error answers the command, not each recipient.
            exchange.expectation = Self.commandLevelRefusals.contains(reply.code) ? .one : count
        }
        if case .prdr = exchange.expectation, exchange.repliesTaken == 0 {
            exchange.isPRDRAccepted = reply.code == 353
            if reply.code != 353 {
                notes.append(
                    "no 353: the server answers for every recipient at once, which PRDR allows (draft-hall-prdr-00 §4.4)"
                )
            }
        }
        let recipient = exchange.recipientOfNextReply.map {
            RecipientReply(address: $0.address, position: $0.position, count: $0.count)
        }
        let isFinalPRDRReply: Bool = {
            guard case .prdr(let recipients) = exchange.expectation, exchange.isPRDRAccepted else { return false }
            return exchange.repliesTaken == recipients.count + 1
        }()
        exchange.repliesTaken += 1

        let interpretation = interpret(
            reply, answering: exchange, recipient: recipient, isFinalPRDRReply: isFinalPRDRReply, in: before)
        notes += interpretation.notes
        warnings += interpretation.warnings

        if reply.code == 421 {
            // RFC 5321 §3.8: the server closes; nothing queued will be answered.
            let unanswered = (exchange.repliesOwed > 0 ? [exchange] : []) + queue.dropFirst()
            if !unanswered.isEmpty {
                var warning =
                    "no reply will come to \(unanswered.map(\.awaitedName).joined(separator: ", ")): 421 ends the session"
                if confirmed.sessionProtocol == .lmtp, unanswered.contains(where: { $0.recipientOfNextReply != nil }) {
                    warning += "; RFC 2033 §5: the recipients without a reply count as temporary failures"
                }
                warnings.append(warning)
            }
            confirmed.state = .closed
            queue = []
            actions.append(.closeConnection)
        } else {
            if exchange.repliesOwed <= 0 {
                queue.removeFirst()
                actions += apply(reply, completing: exchange, isEarly: isEarly)
                let dropped = dropExchangesThatGetNoReply()
                actions += dropped
                if dropped.isEmpty {
                    marks = marksBefore.removingHead(from: queue, wasOpenChunk: isEarly)
                    // Answered as the prediction assumed: what the rest of the queue predicts stands.
                    if !isEarly, confirmed == before.advanced(by: source, reply: nil) { prediction = predictedBefore }
                }
            } else {
                queue[0] = exchange
                prediction = predictedBefore
                marks = isEarly ? marksBefore.closingChunk(at: 0, in: queue) : marksBefore
            }
        }

        let outcome = ReplyOutcome(
            reply: reply, answered: source, recipient: recipient, isPipelined: exchange.isPipelined,
            meaning: interpretation.meaning, notes: notes, nextStepsBasis: nextStepsBasis,
            stillAwaited: awaitedNames, actions: actions, warnings: warnings, sentAt: exchange.sentAt,
            tag: exchange.tag)
        return outcome
    }

    private mutating func unsolicited(_ reply: SMTPReply) -> ReplyOutcome {
        var warnings = Self.enhancedCodeWarnings(reply)
        var actions: [Action] = []
        let meaning: String
        if reply.code == 421 {
            confirmed.state = .closed
            actions.append(.closeConnection)
            meaning = ExchangeSpec.anyCommand[421]!
        } else {
            warnings.append("unsolicited reply: no command was waiting for an answer")
            meaning = ReplyCodeTable.title(reply.code)
        }
        return ReplyOutcome(
            reply: reply, answered: nil, meaning: meaning, nextStepsBasis: nextStepsBasis, actions: actions,
            warnings: warnings)
    }

    /// The effect of an exchange's last reply on the state, and what the console must do about it.
    ///
    /// - Parameter isEarly: the reply to a BDAT came before its octets: the server did not take it
    ///   as BDAT at all (it does not know CHUNKING), so nothing changed.
    private mutating func apply(_ reply: SMTPReply, completing exchange: PendingExchange, isEarly: Bool) -> [Action] {
        let before = confirmed
        if !isEarly {
            confirmed = confirmed.advanced(by: exchange.source, reply: reply)
        }
        if exchange.expectation != .one, exchange.source.command?.bdatChunk?.isLast == true,
            let hello = before.state.hello
        {
            // Per-recipient replies: each said how its recipient fared; the message is over (RFC 2033 §4.2).
            confirmed.state = .helloed(hello)
        }
        var actions: [Action] = []
        switch confirmed.state {
        case .message where !before.state.isMessage:
            actions.append(.enterDataMode)
        case .tlsHandshake where before.state != .tlsHandshake:
            actions.append(.startTLSHandshake)
        case .authenticating:
            actions.append(.expectSecretResponse)
        case .closed where before.state != .closed:
            actions.append(.closeConnection)
        case .refused:
            break
        default:
            break
        }
        guard exchange.bodyFollowsInInput, exchange.source.verb == .data else { return actions }
        isReplyCheckDue = reply.code == 354
        if reply.code != 354 {
            skip = Skip(kind: .message, reason: "DATA was answered \(reply.code), not 354")
            actions.append(
                .skipInput("the message lines that follow are skipped up to the lone ., never sent as commands"))
        } else if confirmed.state.transaction?.acceptedRecipients.isEmpty == true {
            // RFC 2920 §3.1: "if the DATA command was accepted the client SMTP should send a single dot."
            skip = Skip(kind: .messageBody, reason: "354 came with no recipient accepted")
            actions.append(
                .skipInput(
                    "no recipient was accepted: the message lines are skipped and only the final . is sent (RFC 2920 §3.1)"
                ))
        }
        return actions
    }

    // MARK: Skipped input

    /// What became of a line that was not sent.
    public enum SkippedLine: Hashable, Sendable {
        case skipped
        /// The skipping ended with this line; the note says how many lines and why.
        case ended(note: String)
        /// The skipping ended; this line (the lone `.`) is to be sent after all (RFC 2920 §3.1).
        case endedSendingLine(note: String)
        /// Nothing was skipped after all: the line right after the refused command is an
        /// `/expect`, so the script expected the refusal and no message follows. The line is run.
        case notSkipped(note: String)
    }

    /// A message line went out (nothing to say: the server answers only the final dot).
    public mutating func messageLineSent() {
        isReplyCheckDue = false
    }

    /// A script's line right after DATA was answered 354: an `/expect` there checks DATA's reply
    /// rather than going into the message. Returns whether `line` is that check.
    public mutating func isReplyCheck(_ line: String) -> Bool {
        defer { isReplyCheckDue = false }
        return isReplyCheckDue && line.lowercased().hasPrefix("/expect")
    }

    /// A script line that is not to be sent (`inputMode == .skipping`).
    ///
    /// ### Why does an `/expect` end the skipping?
    /// A script may send DATA or BDAT to see it refused ("DATA too early, read the 503"): then
    /// the line after it checks the reply, and no message follows. A script that expected 354
    /// fails at that `/expect` and stops, so no message line can go out as a command either way.
    /// (After a 354, the same `/expect` checks the 354 and the message starts after it:
    /// `isReplyCheck(_:)`.)
    public mutating func lineSkipped(_ line: String) -> SkippedLine {
        guard var current = skip else { preconditionFailure("a line skipped while nothing is skipped") }
        if current.lines == 0, line.lowercased().hasPrefix("/expect") {
            skip = nil
            return .notSkipped(note: "\(current.reason); the script checks that reply next, so no message follows")
        }
        current.lines += 1
        switch current.kind {
        case .message, .messageBody:
            guard line == "." else {
                skip = current
                return .skipped
            }
            skip = nil
            let count = current.lines - 1
            let lines = "\(count) message line\(count == 1 ? "" : "s")"
            if current.kind == .messageBody {
                return .endedSendingLine(note: "skipped \(lines): \(current.reason); sending the final . alone")
            }
            return .ended(
                note: "skipped \(lines) and the final . of this script: \(current.reason), so they were not sent")
        case .chunk(let remaining):
            let left = remaining - (line.utf8.count + 2)
            guard left <= 0 else {
                current.kind = .chunk(remaining: left)
                skip = current
                return .skipped
            }
            skip = nil
            let lines = "\(current.lines) line\(current.lines == 1 ? "" : "s")"
            return .ended(note: "skipped \(lines) of the BDAT chunk: \(current.reason), so they were not sent")
        }
    }

    /// The input ended while lines were skipped: the skipping ends too. Returns what to say, if
    /// lines were being skipped.
    public mutating func inputEnded() -> String? {
        guard let current = skip else { return nil }
        skip = nil
        switch current.kind {
        case .message, .messageBody:
            return "the script ended inside a skipped message (\(current.lines) lines, no lone .): \(current.reason)"
        case .chunk:
            return "the script ended inside a skipped BDAT chunk: \(current.reason)"
        }
    }

    // MARK: Expectations

    /// Replies that refuse BDAT LAST as a command (syntax, sequence, not implemented), once, rather
    /// than giving each recipient its reply.
    private static let commandLevelRefusals: Set<Int> = [500, 501, 502, 503, 504, 521]

    /// How many replies the end of this transaction's message takes.
    private static func expectation(after transaction: Transaction, in snapshot: Snapshot)
        -> PendingExchange.Expectation
    {
        if snapshot.sessionProtocol == .lmtp { return .perRecipient(transaction.acceptedRecipients) }
        if transaction.requestsPRDR { return .prdr(transaction.acceptedRecipients) }
        return .one
    }

    /// BDAT LAST ends the message too; its recipients are known once its first reply is due,
    /// since replies come in order and every RCPT's has come by then.
    private static func lateExpectation(for exchange: PendingExchange, in snapshot: Snapshot) -> PendingExchange
        .Expectation?
    {
        guard exchange.source.command?.bdatChunk?.isLast == true, let transaction = snapshot.state.transaction else {
            return nil
        }
        return expectation(after: transaction, in: snapshot)
    }

    // MARK: Prediction

    /// The state after every queued exchange succeeds: what commands typed now are judged against.
    var predicted: Snapshot {
        prediction ?? queue.reduce(confirmed) { $0.advanced(by: $1.source, reply: nil) }
    }

    /// Queues an exchange; `before` is `predicted` as it was.
    private mutating func enqueue(_ exchange: PendingExchange, after before: Snapshot) {
        var marks = queueMarks
        if marks.firstDeciding == nil, Self.decidesInput(exchange.source) { marks.firstDeciding = queue.count }
        if exchange.octetsToSend > 0 {
            marks.lastChunk = queue.count
            marks.chunksOpen += 1
        }
        queue.append(exchange)
        prediction = before.advanced(by: exchange.source, reply: nil)
        self.marks = marks
    }

    /// Where the exchanges that `inputMode` looks for are in the queue, so that it (asked for
    /// every line) does not scan a long pipelined queue.
    struct QueueMarks: Hashable, Sendable {
        /// The first exchange whose reply decides what the next lines are (`decidesInput`).
        var firstDeciding: Int?
        /// The last BDAT whose octets are not all sent, and how many such there are (one, unless
        /// commands were queued in the middle of a chunk).
        var lastChunk: Int?
        var chunksOpen = 0

        init(scanning queue: [PendingExchange]) {
            firstDeciding = queue.firstIndex { SessionStateMachine.decidesInput($0.source) }
            lastChunk = queue.lastIndex { $0.octetsToSend > 0 }
            chunksOpen = queue.count { $0.octetsToSend > 0 }
        }

        /// The marks once the head was removed from the queue, now `queue`; `wasOpenChunk`: it
        /// still had octets to send.
        func removingHead(from queue: [PendingExchange], wasOpenChunk: Bool) -> Self {
            var marks = self
            if firstDeciding == 0 {
                // Each exchange is passed over once on its way to the head: linear in all.
                marks.firstDeciding = queue.firstIndex { SessionStateMachine.decidesInput($0.source) }
            } else {
                marks.firstDeciding = firstDeciding.map { $0 - 1 }
            }
            if wasOpenChunk { marks.chunksOpen -= 1 }
            if marks.chunksOpen == 0 {
                marks.lastChunk = nil
            } else if let last = lastChunk, last > 0 {
                marks.lastChunk = last - 1
            } else {
                marks.lastChunk = queue.lastIndex { $0.octetsToSend > 0 }
            }
            return marks
        }

        /// The marks once the chunk at `index` of `queue` has no more octets to send.
        func closingChunk(at index: Int, in queue: [PendingExchange]) -> Self {
            var marks = self
            marks.chunksOpen -= 1
            if marks.chunksOpen == 0 {
                marks.lastChunk = nil
            } else if lastChunk == index {
                marks.lastChunk = queue.lastIndex { $0.octetsToSend > 0 }
            }
            return marks
        }
    }

    var queueMarks: QueueMarks { marks ?? QueueMarks(scanning: queue) }

    /// Whether what the session keeps from event to event (the prediction, where the deciding
    /// exchange and the open chunk are) is what its queue gives when worked out afresh: the
    /// invariant the fuzz targets check after every event.
    public var keptViewsAreCurrent: Bool {
        predicted == queue.reduce(confirmed) { $0.advanced(by: $1.source, reply: nil) }
            && queueMarks == QueueMarks(scanning: queue)
    }

    /// How many of the exchanges still owed a reply `ReplyOutcome.stillAwaited` names.
    public static let awaitedNamesShown = 8

    /// `ReplyOutcome.stillAwaited` for the queue as it stands.
    private var awaitedNames: [String] {
        let names = queue.prefix(Self.awaitedNamesShown).map(\.awaitedName)
        let more = queue.count - names.count
        return more > 0 ? names + ["and \(more) more"] : names
    }

}

extension SessionStateMachine.Snapshot {
    /// The state after `source` got `reply`, or, with no reply, after it succeeds (for prediction).
    ///
    /// One function for both, so that the prediction and the truth cannot drift apart.
    func advanced(by source: ReplySource, reply: SMTPReply?) -> Self {
        var next = self
        let code = reply?.code
        let succeeded = reply.map { $0.replyClass == .positiveCompletion } ?? true
        if code == 421 {
            next.state = .closed
            return next
        }
        switch source {
        case .greeting:
            guard case .awaitingGreeting = state else { return next }
            if code == nil || code == 220 {
                next.state = .greeted
            } else if reply?.replyClass == .permanentNegative {
                next.state = .refused
            } else {
                next.state = .closed
            }
        case .endOfData:
            break
        case .authContinuation:
            next.authenticationAnswered(code: code, hello: state.hello)
        case .command(let command):
            guard let verb = command.verb else { return next }
            switch verb {
            case .ehlo, .helo, .lhlo:
                guard succeeded else { return next }
                let kind: SessionStateMachine.Hello.Kind = verb == .helo ? .helo : (verb == .lhlo ? .lhlo : .ehlo)
                let capabilities = reply.map { verb == .helo ? EHLOCapabilities() : EHLOCapabilities(reply: $0) }
                next.state = .helloed(SessionStateMachine.Hello(kind: kind, capabilities: capabilities))
                // RFC 2033 §4.1: a server that accepts LHLO speaks LMTP.
                if verb == .lhlo { next.sessionProtocol = .lmtp }
            case .mail:
                guard succeeded, case .helloed(let hello) = state else { return next }
                next.state = .transaction(hello, SessionStateMachine.Transaction(command))
            case .rcpt:
                guard case .transaction(let hello, var transaction) = state else { return next }
                let address = command.path ?? command.argument
                if succeeded {
                    transaction.acceptedRecipients.append(address)
                } else {
                    transaction.refusedRecipients.append(address)
                }
                next.state = .transaction(hello, transaction)
            case .data:
                guard case .transaction(let hello, var transaction) = state else { return next }
                if code == nil || code == 354 {
                    next.state = .message(hello, transaction)
                } else if code == 503, transaction.acceptedChunks > 0 || transaction.isBinaryMIME {
                    // RFC 3030 §2: "The state resulting from this error is indeterminate. A RSET
                    // command MUST be sent to clear the transaction before continuing." §3 says so
                    // of DATA after BODY=BINARYMIME too.
                    next.state = .failedTransaction(hello, transaction)
                } else if reply?.replyClass == .permanentNegative, code != 503 {
                    transaction.isDataRefused = true
                    next.state = .transaction(hello, transaction)
                }
            case .bdat:
                guard case .transaction(let hello, var transaction) = state else { return next }
                if !succeeded {
                    // RFC 3030 §2: the transaction "should be considered failed"; no more chunks.
                    next.state = .failedTransaction(hello, transaction)
                } else if command.bdatChunk?.isLast == true {
                    next.state = .helloed(hello)
                } else {
                    transaction.acceptedChunks += 1
                    next.state = .transaction(hello, transaction)
                }
            case .rset:
                guard succeeded else { return next }
                switch state {
                case .transaction(let hello, _), .failedTransaction(let hello, _): next.state = .helloed(hello)
                default: break
                }
            case .quit:
                if code == nil || code == 221 { next.state = .closed }
            case .starttls:
                if code == nil || code == 220, case .helloed = state { next.state = .tlsHandshake }
            case .auth:
                next.authenticationAnswered(code: code, hello: state.hello)
            case .vrfy, .expn, .help, .noop, .etrn:
                break
            }
        }
        return next
    }

    /// AUTH and its answers: 334 asks for more, 235 authenticates (RFC 4954 §4).
    private mutating func authenticationAnswered(code: Int?, hello: SessionStateMachine.Hello?) {
        guard let hello else { return }
        switch code {
        case 334: state = .authenticating(hello)
        case 235: isAuthenticated = true
        default: break
        }
    }
}

extension SessionStateMachine.Transaction {
    /// The transaction MAIL opens, with what its parameters declare.
    init(_ command: SMTPCommand) {
        sender = command.path ?? command.argument
        for parameter in command.parameters {
            switch parameter.keyword {
            case "PRDR": requestsPRDR = true
            case "SMTPUTF8": isInternational = true
            case "BODY": isBinaryMIME = parameter.value?.uppercased() == "BINARYMIME"
            default: break
            }
        }
    }
}

extension SessionStateMachine.State {
    var hello: SessionStateMachine.Hello? {
        switch self {
        case .helloed(let hello), .transaction(let hello, _), .failedTransaction(let hello, _), .message(let hello, _),
            .authenticating(let hello):
            return hello
        case .disconnected, .awaitingGreeting, .refused, .greeted, .tlsHandshake, .closed:
            return nil
        }
    }

    var transaction: SessionStateMachine.Transaction? {
        switch self {
        case .transaction(_, let transaction), .failedTransaction(_, let transaction), .message(_, let transaction):
            return transaction
        case .disconnected, .awaitingGreeting, .refused, .greeted, .helloed, .authenticating, .tlsHandshake, .closed:
            return nil
        }
    }

    var isMessage: Bool {
        if case .message = self { return true }
        return false
    }

    /// The phase `CommandTable` speaks of.
    var phase: SessionPhase {
        switch self {
        case .disconnected: return .disconnected
        case .awaitingGreeting: return .awaitingGreeting
        case .refused: return .refused
        case .greeted: return .greeted
        case .helloed: return .helloed
        case .transaction(_, let transaction):
            if transaction.acceptedChunks > 0 { return .chunking }
            return transaction.acceptedRecipients.isEmpty ? .mailTransaction : .recipientsGiven
        case .failedTransaction: return .resetRequired
        case .message: return .data
        case .authenticating: return .authenticating
        case .tlsHandshake: return .tlsHandshake
        case .closed: return .closed
        }
    }
}

extension ReplySource {
    var command: SMTPCommand? {
        if case .command(let command) = self { return command }
        return nil
    }
}
