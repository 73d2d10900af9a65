import Foundation
import LineEditor
import SMTPClient
import SMTPCore

/// The REPL: reads lines, sends them, waits for replies, and shows everything annotated.
///
/// All session state lives on the main thread. The network thread only posts events to the
/// inbox; they are taken here, either while waiting for a reply or, when the user is typing,
/// through the line editor's wake-up (so the line being edited is redrawn, not garbled).
public final class Console {
    struct TaggedEvent: Sendable {
        let connectionID: Int
        let event: ConnectionEvent
    }

    let options: ConsoleOptions
    let input: InputSource
    let style: Style
    private let connector = SMTPConnector()
    let inbox: EventInbox<TaggedEvent>

    var session = SessionStateMachine()
    var connection: SMTPConnection?
    var server: ServerAddress?
    private var connectionID = 0
    /// Addresses typed in MAIL, RCPT, VRFY and EXPN, most recent first, for completion.
    var addresses: [String] = []
    var exitStatus: ExitStatus = .success
    /// After `BDAT <size>`: the octets of the chunk still to send (RFC 3030 §2).
    var bdatChunk: (size: Int, remaining: Int)?
    /// The server said 220 to STARTTLS: the handshake starts as soon as that reply is shown.
    var isTLSStartDue = false
    /// How the last TLS handshake ended: nil while one is under way (or none was started).
    var tlsOutcome: Result<TLSReport, TLSFailure>?
    /// The last TLS session's report, for `/cert`.
    var tlsReport: TLSReport?
    /// Where the session is recorded (`--transcript`, `/record`), if anywhere.
    var transcript: TranscriptSink?
    /// When each exchange awaiting a reply began, oldest first, for reply latencies.
    private var pendingSince: [Double] = []
    var isFinished = false
    /// The domain of ehlo's practice server, when its greeting says that is what we talk to.
    var practiceDomain: String?
    /// Called with every reply after it is shown (`ehlo replay` compares it with the recording).
    var onReply: ((SessionStateMachine.ReplyOutcome) -> Void)?
    /// While the line editor owns the screen, output is collected here and shown above the line.
    private var collectedOutput: [String]?

    var isScript: Bool { !input.isInteractive }

    /// Offered after EHLO/HELO: `--helo`, else this machine's name (from the kernel, not DNS).
    lazy var heloName: String? =
        options.heloName
        ?? {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count) == 0 else { return nil }
            let name = String(cString: buffer)
            return name.isEmpty ? nil : name
        }()

    init(options: ConsoleOptions, input: InputSource, colorEnabled: Bool, inbox: EventInbox<TaggedEvent> = EventInbox())
    {
        self.options = options
        self.input = input
        self.style = Style(isEnabled: colorEnabled)
        self.inbox = inbox
    }

    /// Builds the console for this process: libedit when stdin and stdout are terminals and no
    /// script was given, else script mode.
    public static func make(options: ConsoleOptions) throws -> Console {
        let colorEnabled = options.color.isEnabled(
            stdoutIsTerminal: Terminal.stdoutIsTerminal, environment: ProcessInfo.processInfo.environment)
        if let path = options.scriptFile, path != "-" {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            var status = stat()
            guard fd >= 0, fstat(fd, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else {
                if fd >= 0 { close(fd) }
                throw ConsoleError(status: .inputUnreadable, message: "cannot read the script \(path)")
            }
            return Console.scripted(
                options: options, input: ScriptInput(fileDescriptor: fd), colorEnabled: colorEnabled)
        }
        if options.scriptFile == nil, Terminal.isInteractive {
            let inbox = EventInbox<TaggedEvent>()
            let editor = LineEditor(
                programName: "ehlo", historyFile: options.historyFile, wakeFileDescriptor: inbox.fileDescriptor)
            let console = Console(
                options: options, input: EditorInput(editor: editor), colorEnabled: colorEnabled, inbox: inbox)
            console.attach(to: editor)
            return console
        }
        return Console.scripted(
            options: options, input: ScriptInput(fileDescriptor: STDIN_FILENO), colorEnabled: colorEnabled)
    }

    private static func scripted(options: ConsoleOptions, input: ScriptInput, colorEnabled: Bool) -> Console {
        let console = Console(options: options, input: input, colorEnabled: colorEnabled)
        input.wakeFileDescriptor = console.inbox.fileDescriptor
        input.onWake = { [unowned console] in
            console.takeEvents()
            return console.isFinished
        }
        return console
    }

    private func attach(to editor: LineEditor) {
        editor.complete = { [unowned self] text in self.complete(text) }
        editor.onWake = { [unowned self] in
            self.collectedOutput = []
            self.takeEvents()
            defer { self.collectedOutput = nil }
            return self.collectedOutput ?? []
        }
    }

    // MARK: The loop

    /// Runs until QUIT, Ctrl-D, the end of the script, or a failed `/expect` in a script.
    public func run() -> ExitStatus {
        defer { connector.shutdown() }
        if let path = options.transcriptFile {
            server = options.server
            startRecording(to: path)
        }
        if let server = options.server {
            guard connect(to: server) else {
                if case .failure = tlsOutcome { return .tlsFailed }
                return exitStatus == .success ? .connectionFailed : exitStatus
            }
            openSessionAsAsked()
        } else if input.isInteractive {
            emit(.output, "Not connected. /connect HOST[:PORT] to start, /help for help.")
        }
        while !isFinished {
            takeEvents()
            if isFinished { break }
            if isTLSStartDue {
                // The 220 to STARTTLS came after a Ctrl-C stopped the wait: nothing else may go first.
                isTLSStartDue = false
                performTLSHandshake()
                continue
            }
            if session.isAwaitingChallengeAnswer, input.isInteractive {
                guard let secret = input.readSecret(prompt: "answer to 334 (not echoed)> ") else {
                    emit(.event, "no answer: the exchange is cancelled with * (RFC 4954 §4)")
                    sendSecret("*", quiet: true)
                    continue
                }
                sendSecret(secret)
                continue
            }
            switch input.readLine(prompt: { [unowned self] in self.promptText }) {
            case .endOfInput:
                if input.isInteractive { Terminal.write("\n") }
                finish()
            case .interrupted:
                continue
            case .line(let line):
                if isFinished { break }
                handle(line)
            }
        }
        waitForServerClose()
        closeConnection(reason: nil)
        return exitStatus
    }

    /// After 221 the server closes the connection; give it a moment so the close is shown and recorded.
    private func waitForServerClose() {
        guard session.phase == .closed else { return }
        _ = takeEvents(until: { false }, seconds: 1)
    }

    var promptText: String {
        guard let server else { return "ehlo> " }
        if session.phase == .data { return "data> " }
        if let chunk = bdatChunk { return "bdat \(chunk.size - chunk.remaining)/\(chunk.size)> " }
        let tags = session.promptTags
        return "ehlo \(server.host)\(tags.isEmpty ? "" : " [\(tags.joined(separator: " "))]")> "
    }

    func handle(_ line: String) {
        if session.phase == .data {
            sendBodyLine(line)
            return
        }
        if bdatChunk != nil {
            sendChunkLine(line)
            return
        }
        if line.hasPrefix("#") { return }
        if session.isAwaitingChallengeAnswer, !line.hasPrefix("/") || line.hasPrefix("//") {
            // In a script, the answer to a 334 is the next ordinary line (// for one starting with /).
            sendSecret(line.hasPrefix("//") ? String(line.dropFirst()) : line)
            return
        }
        if line.allSatisfy({ $0 == " " || $0 == "\t" }) { return }
        if line.hasPrefix("//") {
            input.remember(line, persist: Redactor.isSafeForHistory(String(line.dropFirst())))
            sendCommand(String(line.dropFirst()))
            return
        }
        if line.hasPrefix("/") {
            // /b64 may hold a password being encoded: memory only.
            input.remember(line, persist: !line.lowercased().hasPrefix("/b64"))
            runConsoleCommand(line)
            return
        }
        // A line with a secret stays in memory for the up arrow, never in the history file.
        input.remember(line, persist: Redactor.isSafeForHistory(line))
        sendCommand(line)
    }

    /// End of input: leave politely (QUIT, and show the 221).
    func finish() {
        if bdatChunk != nil {
            emit(.warning, "input ended inside a BDAT chunk: the server still waits for its octets")
            bdatChunk = nil
            closeConnection(reason: "closed in the middle of BDAT")
            fail(.sessionFailed)
        }
        if session.phase == .data {
            emit(.warning, "input ended inside a message (no line holding only .): the message was not sent")
            closeConnection(reason: "closed in the middle of DATA")
            fail(.sessionFailed)
        }
        if connection != nil, session.isAwaitingChallengeAnswer {
            // A QUIT now would be taken as the answer to the challenge (RFC 4954 §4): cancel first.
            sendSecret("*", quiet: true)
        }
        if connection != nil, SessionPhase.connected.union([.refused]).contains(session.phase) {
            // A courtesy on the way out: a server that does not answer must not keep the user waiting.
            sendCommand("QUIT", quiet: true, replyTimeout: min(options.timeoutOverride ?? 5, 5))
        }
        isFinished = true
    }

    // MARK: Connecting

    @discardableResult
    func connect(to address: ServerAddress) -> Bool {
        if connection != nil { closeConnection(reason: "closed to connect elsewhere") }
        connectionID += 1
        let id = connectionID
        let inbox = self.inbox
        do {
            let connectTimeout = options.timeoutOverride ?? 30
            let implicitTLS = options.tlsMode == .implicit ? options.tls : nil
            let opened = try connector.connect(to: address, timeoutSeconds: connectTimeout, implicitTLS: implicitTLS) {
                event in
                inbox.post(TaggedEvent(connectionID: id, event: event))
            }
            connection = opened
            server = address
            session.connectionOpened()
            pendingSince = [Date().timeIntervalSince1970]
            emit(.event, "connected to \(address.host) (\(opened.remoteAddressDescription))")
        } catch {
            emit(.warning, "cannot connect to \(address): \(error)")
            if isScript || options.server == address { exitStatus = .connectionFailed }
            return false
        }
        // Ctrl-C while waiting for the greeting keeps the connection: the greeting shows when it comes.
        waitForReplies()
        guard connection != nil else {
            if isScript { exitStatus = .connectionFailed }
            return false
        }
        return true
    }

    /// Closes the current connection from our side; later events from it are ignored.
    func closeConnection(reason: String?) {
        guard let connection else { return }
        connection.close()
        self.connection = nil
        connectionID += 1
        session.connectionClosed()
        pendingSince = []
        if let reason { emit(.event, "connection closed: \(reason)") }
    }

    // MARK: Sending

    /// - Parameter replyTimeout: seconds to wait for the reply, instead of the command's own.
    func sendCommand(_ line: String, quiet: Bool = false, replyTimeout: Int? = nil) {
        // Show what arrived meanwhile first: the server may have closed the connection.
        takeEvents()
        guard connection != nil else {
            emit(.warning, "not connected; /connect HOST[:PORT] first")
            fail(.sessionFailed)
            return
        }
        guard !session.isAwaitingTLSHandshake else {
            emit(.warning, "not sent: after the 220 to STARTTLS only the TLS handshake may follow (RFC 3207 §4)")
            return
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
        if command.verb == .starttls {
            try? connection?.expectSTARTTLSReply(repliesBefore: session.pending.count)
        }
        let redacted = VisibleText.escape(Redactor.redact(command: line))
        guard transmit(line, recordedAs: redacted, showing: isScript || quiet) else { return }
        session.commandSent(command)
        exchangeStarted()
        if command.verb == .bdat, let size = command.argument.split(separator: " ").first.flatMap({ Int($0) }), size > 0
        {
            // The server answers only after exactly `size` octets: the next lines are the chunk.
            bdatChunk = (size, size)
            if input.isInteractive {
                emit(
                    .event,
                    "chunk mode: the next lines (each with its CRLF) are the \(size) octets of this BDAT, sent as typed"
                )
            }
            return
        }
        waitForReplies(timeout: replyTimeout)
        if isTLSStartDue {
            isTLSStartDue = false
            performTLSHandshake()
        }
    }

    /// A body line in data mode: dot-stuffed on the wire; a lone "." ends the message.
    func sendBodyLine(_ line: String) {
        let isEnd = line == "."
        let wire = isEnd ? line : DotStuffing.stuff(line)
        guard transmit(wire, recordedAs: VisibleText.escape(wire), showing: isScript) else { return }
        if isEnd {
            session.endOfDataSent()
            exchangeStarted()
            waitForReplies()
        }
    }

    /// A line of a BDAT chunk: sent with CRLF, not dot-stuffed (RFC 3030 §2); cut to the octets left.
    func sendChunkLine(_ line: String) {
        guard var chunk = bdatChunk, let connection else {
            bdatChunk = nil
            return
        }
        var wire = Array(line.utf8) + [0x0D, 0x0A]
        if wire.count > chunk.remaining {
            emit(
                .warning,
                "BDAT counts octets: only \(chunk.remaining) of this line's \(wire.count) (with CRLF) fit in the chunk; the rest is not sent"
            )
            wire = Array(wire.prefix(chunk.remaining))
        }
        do {
            try connection.send(raw: wire, timeout: .seconds(Int64(options.timeoutOverride ?? 180)))
        } catch {
            emit(.event, "could not send: \(error)")
            bdatChunk = nil
            closeConnection(reason: nil)
            fail(.sessionFailed)
            return
        }
        let shown = VisibleText.escape(wire.last == 0x0A ? Array(wire.dropLast(2)) : wire)
        record(.client(shown: shown, wire: shown))
        if isScript { show([DisplayLine(.client, shown)]) }
        chunk.remaining -= wire.count
        bdatChunk = chunk.remaining > 0 ? chunk : nil
        if bdatChunk == nil {
            waitForReplies()
        }
    }

    func sendSecret(_ line: String, quiet: Bool = false) {
        guard transmit(line, recordedAs: Redactor.placeholder, showing: isScript || quiet) else { return }
        session.authResponseSent()
        exchangeStarted()
        waitForReplies()
    }

    /// Sends one line with CRLF and, once it is sent, records it as `C: <recorded>` (shown too
    /// when `showing`: a script's lines, or lines the user did not type). A failed write ends
    /// the connection. Returns whether the line was sent.
    private func transmit(_ line: String, recordedAs shown: String, showing: Bool) -> Bool {
        guard let connection else {
            emit(.warning, "not connected; the line was not sent")
            fail(.sessionFailed)
            return false
        }
        do {
            try connection.send(line: Array(line.utf8), timeout: options.timeoutOverride ?? 180)
        } catch {
            // The close event usually explains why; show it before anything else.
            takeEvents()
            if self.connection != nil {
                emit(.event, "could not send: \(error)")
                closeConnection(reason: nil)
            } else {
                emit(.event, "the line was not sent")
            }
            fail(.sessionFailed)
            return false
        }
        record(.client(shown: shown, wire: VisibleText.escape(line)))
        if showing { show([DisplayLine(.client, shown)]) }
        return true
    }

    /// Notes when an exchange began, for the latency of its reply.
    func exchangeStarted() {
        pendingSince.append(Date().timeIntervalSince1970)
    }

    // MARK: Receiving

    /// Waits until every pending exchange has its reply, the connection ends, the reply times
    /// out (RFC 5321 §4.5.3.2) or the user presses Ctrl-C. Returns false if it did not get them.
    @discardableResult
    func waitForReplies(timeout: Int? = nil) -> Bool {
        while let source = session.pending.first, connection != nil {
            let seconds = timeout ?? options.timeoutOverride ?? source.exchange?.timeout ?? 300
            let waiting = session.pending.count
            let answered = { self.session.pending.count != waiting || self.session.pending.first != source }
            switch takeEvents(until: answered, seconds: Double(seconds)) {
            case .done, .disconnected:
                continue
            case .timedOut:
                timedOut(waitingFor: source, seconds: seconds)
                return false
            case .interrupted:
                emit(.event, "stopped waiting for the reply to \(source.name); it will be shown when it arrives")
                return false
            }
        }
        return connection != nil
    }

    enum WaitOutcome { case done, disconnected, timedOut, interrupted }

    /// Takes and shows events until `isDone()` holds, the connection is gone, `seconds` pass or
    /// the user presses Ctrl-C. The one place the console waits on the network.
    func takeEvents(until isDone: () -> Bool, seconds: Double) -> WaitOutcome {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if isDone() { return .done }
            if connection == nil { return .disconnected }
            if takeEvents() { continue }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return .timedOut }
            let milliseconds = Int32(min(remaining * 1000, Double(Int32.max)))
            if Terminal.wait(forReadable: inbox.fileDescriptor, milliseconds: milliseconds) == .interrupted {
                return .interrupted
            }
        }
    }

    private func timedOut(waitingFor source: SessionStateMachine.ReplySource, seconds: Int) {
        let what =
            source == .greeting ? "no greeting from \(server?.host ?? "the server")" : "no reply to \(source.name)"
        emit(
            .event,
            "timeout: \(what) after \(seconds) s (RFC 5321 §4.5.3.2); closing the connection, /connect to start again")
        closeConnection(reason: nil)
        fail(source == .greeting ? .connectionFailed : .sessionFailed)
    }

    /// Takes and shows every waiting event. Returns true if there were any.
    @discardableResult
    func takeEvents() -> Bool {
        let events = inbox.takeAll()
        for tagged in events where tagged.connectionID == connectionID {
            process(tagged.event)
        }
        return !events.isEmpty
    }

    private func process(_ event: ConnectionEvent) {
        switch event {
        case .reply(let reply):
            let outcome = session.replyReceived(reply)
            let began = outcome.answered == nil || pendingSince.isEmpty ? nil : pendingSince.removeFirst()
            show(ReplyAnnotator.lines(for: outcome, level: options.explain))
            let recorded = ReplyAnnotator.lines(for: outcome, level: .full)
            let latency = began.map { Date().timeIntervalSince1970 - $0 }
            record(.reply(SMTPSessionReply(outcome: outcome, lines: recorded, latency: latency)))
            if outcome.answered == .greeting {
                practiceDomain = LabMailboxTable.practiceDomain(greeting: reply)
            }
            onReply?(outcome)
            for action in outcome.actions {
                switch action {
                case .enterDataMode:
                    if input.isInteractive {
                        emit(.event, "data mode: type the message, end it with a line holding only .")
                    }
                case .closeConnection:
                    break  // the server closes; the .closed event follows
                case .startTLSHandshake:
                    // Started once this reply has been waited for (sendCommand), never mid-event.
                    isTLSStartDue = true
                case .expectSecretResponse:
                    break
                }
            }
        case .tlsEstablished(let report):
            tlsEstablished(report)
        case .tlsFailed(let reason, let isCertificateRejected):
            tlsFailed(reason, isCertificateRejected: isCertificateRejected)
        case .malformedLine(let line, let problems):
            emit(.server, line.visible)
            for problem in problems { emit(.warning, problem.description) }
        case .closed(let reason):
            let expected = session.phase == .closed
            // Closed after the 220 to STARTTLS, before or during the handshake: a TLS failure.
            let wasAwaitingTLS = session.isAwaitingTLSHandshake && tlsOutcome == nil
            if wasAwaitingTLS {
                isTLSStartDue = false
                tlsOutcome = .failure(TLSFailure(reason: "closed"))
                emit(.warning, "TLS failed: the server closed the connection instead of completing the TLS handshake")
                fail(.tlsFailed)
            }
            connection = nil
            connectionID += 1
            session.connectionClosed()
            pendingSince = []
            if let reason {
                emit(.event, "connection lost: \(reason)")
            } else {
                emit(.event, expected ? "connection closed" : "connection closed by the server")
            }
            if !expected { fail(.sessionFailed) }
        }
    }

    /// In a script, a failure ends the run with `status`; interactively it is only shown.
    func fail(_ status: ExitStatus) {
        guard isScript else { return }
        if exitStatus == .success { exitStatus = status }
        isFinished = true
    }

    // MARK: Output

    func emit(_ kind: DisplayLine.Kind, _ text: String) {
        emit([DisplayLine(kind, text)])
    }

    func emit(_ lines: [DisplayLine]) {
        for line in lines where line.kind != .output {
            record(.line(line))
        }
        show(lines)
    }

    /// Writes to the screen only (or above the line being edited).
    func show(_ lines: [DisplayLine]) {
        let rendered = lines.map(style.render)
        if collectedOutput != nil {
            collectedOutput! += rendered
        } else {
            Terminal.write(rendered.map { $0 + "\n" }.joined())
        }
    }

    /// Writes to the transcript, if one is open; a write failure is shown once.
    func record(_ content: TranscriptEntry.Content) {
        guard let transcript else { return }
        if let warning = transcript.record(TranscriptEntry(time: Date().timeIntervalSince1970, content: content)) {
            show([DisplayLine(.warning, warning)])
            if isScript, exitStatus == .success { exitStatus = .transcriptFailed }
        }
    }

    // MARK: Completion

    private func complete(_ text: String) -> LineEditor.Completion {
        let context = CompletionContext(session: session, addresses: addresses, heloName: heloName)
        let completion = Completer.complete(text, context: context)
        if completion.needsFilePaths {
            return LineEditor.Completion(
                word: completion.word, candidates: FilePathCompletion.candidates(for: completion.word))
        }
        return LineEditor.Completion(word: completion.word, candidates: completion.candidates)
    }
}

/// A failure that ends ehlo before the console runs, with its exit status.
public struct ConsoleError: Error, CustomStringConvertible {
    public let status: ExitStatus
    public let message: String
    public var description: String { message }
}
