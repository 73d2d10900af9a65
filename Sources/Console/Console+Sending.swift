import Foundation
import SMTPClient
import SMTPCore

/// Lines for the server that are not written yet, with how each is recorded and shown.
///
/// A pipelined group is written in one write (RFC 2920: "a single TCP send operation"); so are
/// the lines of a message, up to a buffer's worth at a time. The octets of all the lines wait in
/// one buffer, which is what is written: no line is copied again on its way out.
struct OutgoingLines {
    struct Line {
        /// How the transcript and the screen show it (secrets redacted).
        var shown: String
        /// The wire form in ehlo's visible notation, for the transcript.
        var wire: String
        /// Shown as `C:` when written (script lines, and lines the user did not type).
        var isEchoed: Bool
        /// A BDAT command line: where a chunk given up before it was written starts.
        var opensChunk = false
        /// What a lesson learns when it is written (`isPipelined` is decided then).
        var lessonEvent: LessonEvent?
        /// A reply is owed to it: a command, the final dot, an answer to a 334.
        var expectsReply = false
        /// Where its octets start in `octets`.
        var start = 0
    }

    private(set) var lines: [Line] = []
    /// The octets on the wire of every line, each with its CRLF (a cut chunk line may lack it).
    private(set) var octets: [UInt8] = []

    var isEmpty: Bool { lines.isEmpty }
    var octetCount: Int { octets.count }

    /// Adds a line: its octets, then CRLF if `endsLine`.
    mutating func append(_ line: Line, octets lineOctets: some Collection<UInt8>, endsLine: Bool = true) {
        var line = line
        line.start = octets.count
        lines.append(line)
        octets.append(contentsOf: lineOctets)
        if endsLine {
            octets.append(0x0D)
            octets.append(0x0A)
        }
    }

    mutating func markLastLineOpensChunk() {
        if !lines.isEmpty { lines[lines.count - 1].opensChunk = true }
    }

    /// Drops the last BDAT line held and the chunk lines after it.
    mutating func dropLastChunk() {
        guard let start = lines.lastIndex(where: \.opensChunk) else { return }
        octets.removeSubrange(lines[start].start...)
        lines.removeSubrange(start...)
    }
}

/// Writing to the server, and the actions of the session that follow a write.
extension Console {
    /// RFC 5321 §4.5.3.2.5: a client waits 3 minutes for each block of message data to be taken.
    var dataBlockTimeout: Int { options.timeoutOverride ?? CommandTable.dataBlockTimeout }

    /// A message's lines are written once this many octets are waiting.
    private static let messageBufferOctets = 64 * 1024

    /// Sends (or holds, for a pipelined group) one command line.
    ///
    /// - Parameters:
    ///   - quiet: a line the user did not type (`/send`'s DATA, `/auth`'s AUTH): shown as `C:`,
    ///     never part of a group, and never followed by message lines from the input.
    ///   - replyTimeout: seconds to wait for the reply, instead of the command's own.
    ///   - savesToScript: a line ehlo sends itself that `/save-script` keeps as if typed (the
    ///     EHLO and STARTTLS of `--starttls`).
    func sendCommand(
        _ line: String, quiet: Bool = false, replyTimeout: Int? = nil, tag: Int? = nil, savesToScript: Bool = false
    ) async {
        // Show what arrived meanwhile first: the server may have closed the connection.
        takeEvents()
        guard link.isConnected else {
            emit(.warning, "not connected; /connect HOST[:PORT] first")
            // Lines after the script's own QUIT are not sent, but the script has not failed; after
            // a 421 or a dropped connection it has.
            if !session.isEndedByQuit { fail(.sessionFailed) }
            return
        }
        switch session.inputMode {
        case .commands, .challengeAnswer:
            break
        case .awaitingReply(let source):
            emit(.warning, "not sent: the reply to \(source.name) decides what may follow; wait for it")
            return
        case .tlsHandshake:
            emit(.warning, "not sent: after the 220 to STARTTLS only the TLS handshake may follow (RFC 3207 §4)")
            return
        case .offline:
            // 221 or 421 came: the server is closing, though its close may not be in yet. Whether
            // a line meets this or the close is only a matter of timing, so both judge alike.
            emit(.warning, "not sent: the server ended the session; /connect to start again")
            if !session.isEndedByQuit { fail(.sessionFailed) }
            return
        case .message, .chunk, .skipping:
            // A reply that changed what the lines are came while this one was on its way.
            emit(.warning, "not sent: the lines are message text now, not commands")
            return
        }
        if quiet, isPipeGroupOpen {
            // A command ehlo sends itself (QUIT on the way out, /send's DATA, /auth's AUTH) does
            // not join the group being typed: the group goes first, as /go would send it.
            emit(.event, "the pipelined group is sent first")
            await sendGroup()
            guard link.isConnected else { return }
        }
        let command = SMTPCommand(line: line)
        let warnings = session.warnings(for: command)
        for warning in warnings { emit(.warning, warning) }
        if options.isStrict, !warnings.isEmpty {
            emit(.event, "not sent (--strict)")
            return
        }
        if let verb = command.verb, [.mail, .rcpt, .vrfy, .expn].contains(verb) {
            let address = command.path ?? command.argument
            if !address.isEmpty {
                addresses.removeAll { $0 == address }
                addresses.insert(address, at: 0)
            }
        }
        let isPipelined = isGrouping && !quiet
        if isPipelined { warnAboutPipeliningOnce() }
        if command.verb == .starttls {
            // The replies owed before it (a group, LMTP's per-recipient replies, an interrupted
            // wait) come first: the hold against injected plaintext arms on STARTTLS's own.
            if session.repliesOwed == nil { await flushAndWait() }
            try? await link.connection?.expectSTARTTLSReply(repliesBefore: session.repliesOwed ?? 0)
        }
        let actions = session.commandSent(
            command, isPipelined: isPipelined, bodyFollowsInInput: isScript && !quiet, tag: tag)
        let shown = VisibleText.escape(Redactor.redact(command))
        hold(
            Array(line.utf8), shown: shown, isEchoed: isScript || quiet, wire: line,
            lessonEvent: .commandSent(command, isPipelined: false, isComposed: quiet))
        if command.bdatChunk != nil { outgoing.markLastLineOpensChunk() }
        if !quiet || savesToScript { savedScript.commandSent(command) }
        await run(actions, replyTimeout: replyTimeout)
        if session.inputMode == .tlsHandshake { await performTLSHandshake() }
    }

    /// Ctrl-C at the chunk prompt: a chunk nothing of which was written is given up, BDAT line and all.
    func abandonChunk() {
        guard case .chunk(let remaining, let size) = session.inputMode else { return }
        if session.chunkAbandoned() {
            outgoing.dropLastChunk()
            emit(.event, "BDAT \(size) is dropped: neither it nor the \(size - remaining) octets typed were sent")
        } else {
            emit(
                .warning,
                "BDAT is sent: the server reads \(remaining) more octets before it answers (RFC 3030 §2); type them, or Ctrl-D to leave"
            )
        }
    }

    /// A body line in data mode: dot-stuffed on the wire (RFC 5321 §4.5.2); a lone "." ends the message.
    func sendBodyLine(_ line: String, quiet: Bool = false, tag: Int?) async {
        if !quiet { savedScript.messageLineSent(line) }
        if line == "." {
            hold(Array(line.utf8), shown: line, isEchoed: isScript || quiet, expectsReply: true)
            await run(session.endOfDataSent(isPipelined: isGrouping, tag: tag))
            return
        }
        // RFC 5321 §4.5.2: a line starting with a period gets another one on the wire.
        let isFull =
            line.utf8.first == UInt8(ascii: ".")
            ? holdMessageOctets([UInt8(ascii: ".")] + line.utf8) : holdMessageOctets(line.utf8)
        if isFull { await flush(streaming: true) }
    }

    /// A message line exactly as it goes on the wire, already dot-stuffed (replay sends what was recorded).
    func sendMessageOctets(_ wire: some Collection<UInt8>) async {
        if holdMessageOctets(wire) { await flush(streaming: true) }
    }

    /// The first half of `sendMessageOctets`, which does not wait: holds the line, and says
    /// whether the buffer is full, to be flushed (`flush(streaming: true)`) before the next line.
    /// A message's lines come in their thousands; most need no more than this.
    func holdMessageOctets(_ wire: some Collection<UInt8>) -> Bool {
        session.messageLineSent()
        let shown = VisibleText.escape(wire)
        // A lesson cannot start while message lines are held (they are not commands), so without
        // one now none will want this line's octets.
        let event = lesson == nil ? nil : LessonEvent.messageLineSent(wire: Array(wire))
        hold(wire, shown: shown, isEchoed: isScript, lessonEvent: event)
        return outgoing.octetCount >= Self.messageBufferOctets
    }

    /// A line of a BDAT chunk: sent with CRLF, not dot-stuffed (RFC 3030 §2); cut to the octets left.
    func sendChunkLine(_ line: String) async {
        guard case .chunk(let remaining, _) = session.inputMode else {
            preconditionFailure("a chunk line outside a BDAT chunk")
        }
        savedScript.messageLineSent(line)
        var wire = Array(line.utf8) + [0x0D, 0x0A]
        if wire.count > remaining {
            emit(
                .warning,
                "BDAT counts octets: only \(remaining) of this line's \(wire.count) (with CRLF) fit in the chunk; the rest is not sent"
            )
            wire = Array(wire.prefix(remaining))
        }
        let shown = VisibleText.escape(wire.last == 0x0A ? Array(wire.dropLast(2)) : wire)
        outgoing.append(
            OutgoingLines.Line(shown: shown, wire: shown, isEchoed: isScript), octets: wire, endsLine: false)
        let actions = session.chunkOctetsSent(wire.count)
        if outgoing.octetCount >= Self.messageBufferOctets { await flush() }
        await run(actions)
    }

    /// An answer to a 334 challenge; redacted unless the challenge asked for the user name.
    func sendSecret(_ line: String, quiet: Bool = false, tag: Int? = nil) async {
        // "*" cancels (RFC 4954 §4) and is no secret either.
        let isSecret = !session.isUserNameAsked && line != "*"
        hold(
            Array(line.utf8), shown: isSecret ? Redactor.placeholder : VisibleText.escape(line),
            isEchoed: isScript || quiet, wire: line, lessonEvent: .authResponseSent)
        await run(session.authResponseSent(tag: tag))
    }

    /// Adds a line (CRLF appended) to what is written next.
    private func hold(
        _ octets: some Collection<UInt8>, shown: String, isEchoed: Bool, wire: String? = nil,
        lessonEvent: LessonEvent? = nil, expectsReply: Bool = false
    ) {
        var line = OutgoingLines.Line(shown: shown, wire: wire.map(VisibleText.escape) ?? shown, isEchoed: isEchoed)
        line.lessonEvent = lessonEvent
        switch lessonEvent {
        case .commandSent?, .authResponseSent?: line.expectsReply = true
        default: line.expectsReply = expectsReply
        }
        outgoing.append(line, octets: octets)
    }

    /// Writes every held line in one write, then records (and, for scripts, shows) them. A failed
    /// write ends the connection. Returns whether the lines were written.
    ///
    /// - Parameter streaming: the write need not be done before this returns (`ServerLink.stream`):
    ///   a block of message data with more to follow, or lines whose replies are awaited next.
    @discardableResult
    func flush(streaming: Bool = false) async -> Bool {
        guard !outgoing.isEmpty else { return true }
        let lines = outgoing.lines
        let octets = outgoing.octets
        outgoing = OutgoingLines()
        // Only a lesson asks which commands went out while replies were owed.
        let repliesOwedBefore = lesson == nil ? 0 : session.pending.filter { $0.sentAt != nil }.count
        do {
            if streaming {
                try await link.stream(octets, timeout: dataBlockTimeout)
            } else {
                try await link.write(octets, timeout: dataBlockTimeout)
            }
        } catch {
            // The close event usually explains why; show it before anything else.
            takeEvents()
            if link.isConnected {
                emit(.event, "could not send: \(error)")
                closeConnection(reason: nil)
            } else {
                emit(.event, lines.count == 1 ? "the line was not sent" : "the \(lines.count) lines were not sent")
            }
            fail(.sessionFailed)
            return false
        }
        session.exchangesWritten(at: Date().timeIntervalSince1970)
        screen.record(contentsOf: lines.map { .client(shown: $0.shown, wire: $0.wire) })
        show(lines.filter(\.isEchoed).map { DisplayLine(.client, $0.shown) })
        lessonLinesWritten(lines, repliesOwedBefore: repliesOwedBefore)
        return true
    }

    /// Writes what is held and waits for every reply owed.
    ///
    /// The write is not waited for: the replies are (within their own timeouts, RFC 5321
    /// §4.5.3.2), and a write that fails closes the connection, which ends the wait. That saves a
    /// round trip between the threads for every command of a lock-step session.
    func flushAndWait(timeout: Int? = nil) async {
        guard await flush(streaming: true) else { return }
        await waitForReplies(timeout: timeout)
    }

    /// `/go`, an empty line, or a command that ends the group: the `/pipe` group is sent.
    func sendGroup() async {
        isPipeGroupOpen = false
        await flushAndWait()
    }

    /// Carries out what the session asked for after a line was sent: a wait, or a note.
    func run(_ actions: [SessionStateMachine.Action], replyTimeout: Int? = nil) async {
        for action in actions {
            switch action {
            case .awaitReplies:
                if isPipeGroupOpen {
                    isPipeGroupOpen = false
                    let name = session.pending.last?.source.name ?? "that command"
                    emit(.event, "\(name) ends the pipelined group (RFC 2920 §3.1): the group is sent")
                }
                await flushAndWait(timeout: replyTimeout)
            case .awaitEarlyRefusal:
                await awaitEarlyRefusalOfChunk()
            default:
                note(action)
            }
        }
    }

    /// Carries out what the session asked for after a reply came, while events are taken: a
    /// note, never a wait (the session asks for waits only after a send).
    func runAfterReply(_ actions: [SessionStateMachine.Action]) {
        for action in actions { note(action) }
    }

    /// What the session asked for that is shown, not waited for.
    private func note(_ action: SessionStateMachine.Action) {
        switch action {
        case .awaitReplies, .awaitEarlyRefusal:
            assertionFailure("\(action) is carried out by run(_:), after a send")
        case .readChunk(let octets):
            if input.isInteractive {
                emit(
                    .event,
                    "chunk mode: the next lines (each with its CRLF) are the \(octets) octets of this BDAT, sent as typed"
                )
            }
        case .enterDataMode:
            if input.isInteractive {
                emit(.event, "data mode: type the message, end it with a line holding only .")
            }
        case .skipInput(let note):
            emit(.warning, note)
        case .abandonChunk(let octets):
            emit(.event, "chunk mode ends: the \(octets) octets left of it are not sent")
        case .noReplyDue(let reason):
            emit(.annotation, reason)
        case .startTLSHandshake, .expectSecretResponse, .closeConnection:
            // The loop starts the handshake or asks for the secret once this reply is shown
            // (the session's input mode says so); the server's close comes as an event.
            break
        }
    }

    /// A server that did not advertise CHUNKING treats BDAT as an unknown command and answers at
    /// once; its octets would then arrive as commands (RFC 3030 §2). Give it a moment to say so.
    private func awaitEarlyRefusalOfChunk() async {
        guard await flush() else { return }
        let seconds = min(options.timeoutOverride ?? 3, 3)
        emit(
            .event,
            "the server did not advertise CHUNKING: waiting \(seconds) s for it to refuse BDAT before the chunk's octets go out"
        )
        _ = await takeEvents(until: { !self.session.inputMode.isMessageText }, seconds: Double(seconds))
    }

    /// Once per connection: pipelining to a server that did not offer it.
    private func warnAboutPipeliningOnce() {
        guard !hasWarnedAboutPipelining, let warning = session.pipeliningWarning else { return }
        hasWarnedAboutPipelining = true
        emit(.warning, warning)
    }
}
