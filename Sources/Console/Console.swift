import Foundation
import LineEditor
import NIOCore
import NIOPosix
import SMTPClient
import SMTPCore

/// The REPL: reads lines, hands them to the session, and carries out what it says.
///
/// `SessionStateMachine` decides everything (what a line is, what a reply means, when to wait);
/// the console only interprets its actions (`run(_:)`). The network thread posts events to the
/// inbox, taken here while waiting for a reply or, when the user is typing, through the line
/// editor's wake-up (so the line being edited is redrawn, not garbled).
///
/// ### Where does it run?
/// An actor, on one of two executors. A script's console runs on the network thread's event
/// loop: a command is written and its reply read on the same thread, and the wait between is a
/// suspension that the reply's post resumes (`ServerLink.awaitEvents`), not a hand-off from one
/// thread to another and back. At a terminal the console has a thread of its own, which libedit
/// blocks while the user types; there the waits block too (`Terminal.wait`), which lets Ctrl-C
/// end them.
///
/// The work is split by concern: this file has the loop and the dispatch of input lines;
/// `Console+Sending` writes to the server, `Console+Receiving` waits and shows replies,
/// `Console+Commands` has the `/` commands, `Console+TLS` and `Console+Auth` the handshake and
/// the SASL exchanges, `Console+SendFile` streams `/send`.
public actor Console {
    /// The event loop of the console's thread at a terminal; nil for a script (which runs on
    /// the network thread's).
    private nonisolated let terminalThread: MultiThreadedEventLoopGroup?
    private nonisolated let executor: any SerialExecutor
    /// The same event loop as a task's executor: what resumes the console's waits (see there).
    nonisolated let taskExecutor: EventLoopTaskExecutor
    /// The network thread, stopped by `shutdown()` once the run is over.
    private nonisolated let network: SMTPConnector

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// The options in force for the current connection: the command line's, those a `/connect`
    /// gave for its connection, or a profile's over the command line's (`Console+Profiles`).
    var options: ConsoleOptions
    /// The options ehlo started with, before any profile.
    let commandLine: ConsoleOptions
    /// The profile the current session was opened with, if any.
    var profileReference: ProfileReference?
    let input: InputSource
    let link: ServerLink
    let screen: Screen

    var session: SessionStateMachine
    /// Addresses typed in MAIL, RCPT, VRFY and EXPN, most recent first, for completion.
    var addresses: [String] = []
    var exitStatus: ExitStatus = .success
    var isFinished = false
    var tls = TLSStatus()
    /// The domain of ehlo's practice server, when its greeting says that is what we talk to.
    var practiceDomain: String?
    /// The MX host name of the connection (`--mx`), which is connected to by address: shown, and
    /// the name its certificate must carry unless `--sni` says otherwise.
    var mailExchangerName: String?
    /// Lines for the server not written yet: a pipelined group, or a message's lines between writes.
    var outgoing = OutgoingLines()
    /// `/pipe` opened a group in the REPL: commands are held until `/go`, an empty line or a
    /// command that ends the group.
    var isPipeGroupOpen = false
    /// The PIPELINING warning was shown for this connection.
    var hasWarnedAboutPipelining = false
    /// What `/save-script` writes: the session's lines, each with an `/expect` of its reply.
    let savedScript = SavedScript()
    /// Replies complete their lines in the saved script (not while a console command such as
    /// `/auth` runs its own exchanges: the command line stands for them).
    var isSavingReplies = true
    /// Each reply's latency is shown (`/timing on|off`; on at a terminal, or with `--timing`).
    var isTimingShown: Bool
    /// Replies shown, collected for a caller that compares them (replay) while it is not nil.
    var observed: [SessionStateMachine.ReplyOutcome]?
    /// The lesson running (`--lesson N`, `/lesson N`), fed the session's events.
    var lesson: ActiveLesson?
    /// The password read from `--password-file`, with its path, kept for the run: a pipe gives
    /// it once.
    var passwordFromFile: (path: String, secret: String)?

    var isScript: Bool { !input.isInteractive }

    /// Whether commands are held for a pipelined group now (`--pipeline`, or `/pipe`).
    var isGrouping: Bool { options.pipelines || isPipeGroupOpen }

    /// Offered after EHLO/HELO: `--helo` (or a profile's `helo`), else this machine's name (from
    /// the kernel, not DNS).
    var heloName: String? { options.heloName ?? Self.localName }

    private static let localName = hostName()

    /// - Parameter terminalThread: the console's own thread, at a terminal; without, the console
    ///   runs on the network thread's event loop (`input` must not block it).
    init(
        options: ConsoleOptions, commandLine: ConsoleOptions? = nil, input: InputSource, colorEnabled: Bool,
        link: ServerLink = ServerLink(), terminalThread: MultiThreadedEventLoopGroup? = nil
    ) {
        self.terminalThread = terminalThread
        let loop = terminalThread?.next() ?? link.eventLoop
        self.executor = loop.executor
        self.taskExecutor = EventLoopTaskExecutor(loop)
        self.network = link.connector
        self.options = options
        self.commandLine = commandLine ?? options
        self.profileReference = options.startProfile
        self.input = input
        self.isTimingShown = options.showsTiming || input.isInteractive
        self.link = link
        self.screen = Screen(colorEnabled: colorEnabled)
        link.beforeBlocking = { [screen] in screen.writeGathered() }
        self.session = SessionStateMachine(sessionProtocol: options.sessionProtocol)
    }

    /// Builds the console for this process: libedit when stdin and stdout are terminals and no
    /// script was given, else script mode.
    public static func make(options commandLine: ConsoleOptions) throws -> Console {
        let options = try commandLine.applyingStartProfile()
        let colorEnabled = options.color.isEnabled(
            stdoutIsTerminal: Terminal.stdoutIsTerminal, environment: ProcessInfo.processInfo.environment)
        if let path = options.scriptFile, path != "-" {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            var status = stat()
            guard fd >= 0, fstat(fd, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else {
                if fd >= 0 { close(fd) }
                throw ConsoleError(status: .inputUnreadable, message: "cannot read the script \(path)")
            }
            return Console(
                options: options, commandLine: commandLine, input: ScriptInput(fileDescriptor: fd),
                colorEnabled: colorEnabled)
        }
        if options.scriptFile == nil, Terminal.isInteractive {
            let link = ServerLink()
            let editor = LineEditor(
                programName: "ehlo", historyFile: options.historyFile, wakeFileDescriptor: link.inbox.fileDescriptor)
            let console = Console(
                options: options, commandLine: commandLine, input: EditorInput(editor: editor),
                colorEnabled: colorEnabled, link: link, terminalThread: MultiThreadedEventLoopGroup(numberOfThreads: 1))
            return console
        }
        return Console(
            options: options, commandLine: commandLine, input: ScriptInput(fileDescriptor: STDIN_FILENO),
            colorEnabled: colorEnabled)
    }

    /// Connects the input's callbacks to the console: the editor's completion and wake-up, or
    /// the script's.
    private func attachInput() {
        if let editor = (input as? EditorInput)?.editor {
            editor.complete = { [unowned self] text in self.complete(text) }
            editor.onWake = { [unowned self] in self.takeEventsWhileEditing() }
            screen.columns = { editor.terminalColumns }
        } else if let script = input as? ScriptInput {
            script.wakeFileDescriptor = link.inbox.fileDescriptor
            script.onWake = { [unowned self] in
                self.takeEvents()
                return self.isFinished
            }
            script.beforeWaiting = { [screen] in screen.writeGathered() }
        }
    }

    /// What arrived while the user was typing, as lines for the editor to print above theirs.
    private func takeEventsWhileEditing() -> [String] {
        screen.collecting { takeEvents() }
    }

    private static func hostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return nil }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }

    // MARK: The loop

    /// Runs until QUIT, Ctrl-D, the end of the script, or a failed `/expect` in a script.
    ///
    /// Then call `shutdown()`, from outside the console.
    public func run() async -> ExitStatus {
        await withTaskExecutorPreference(taskExecutor) {
            attachInput()
            if await start() {
                while !isFinished { await step() }
            }
            return await end()
        }
    }

    /// Stops the network thread and the console's own; after `run()`, from another thread
    /// than theirs (the caller of `run()` is).
    public nonisolated func shutdown() {
        network.shutdown()
        try? terminalThread?.syncShutdownGracefully()
    }

    /// Opens the transcript and the connection the command line asked for. Returns false if
    /// that connection failed (the run is over).
    func start() async -> Bool {
        if let path = options.transcriptFile ?? profileTranscriptPath() {
            startRecording(to: path, isBeforeFirstConnection: true)
        }
        switch options.lesson {
        case .list?: emit(LessonRenderer.list().map { DisplayLine(.output, $0) })
        case .lesson(let lesson, let number)?: startLesson(lesson, number: number)
        case nil: break
        }
        if let target = options.mailDomain {
            guard await connect(toMailDomain: target) else {
                if case .failure = tls.outcome { exitStatus = .tlsFailed }
                if exitStatus == .success { exitStatus = .connectionFailed }
                return false
            }
            await openSessionAsAsked()
            return true
        }
        guard let server = options.server else {
            if input.isInteractive {
                emit(
                    .output,
                    "Not connected. To start, quit and run ehlo --practice (a practice mail server on this machine), or type /connect HOST[:PORT] to reach a mail server. /help for help, quit to leave."
                )
            }
            return true
        }
        guard await connect(to: server, waitsForGreeting: options.quitAfter != .connect) else {
            if case .failure = tls.outcome { exitStatus = .tlsFailed }
            if exitStatus == .success { exitStatus = .connectionFailed }
            return false
        }
        if options.quitAfter == .connect {
            closeConnection(reason: "--quit-after connect")
            isFinished = true
            return true
        }
        await openSessionAsAsked()
        welcomeToPractice()
        return true
    }

    /// `ehlo --practice` at a terminal: the first thing to type, once the practice server greeted.
    private func welcomeToPractice() {
        guard options.isPractice, input.isInteractive, link.isConnected, let domain = practiceDomain else { return }
        let first: String
        switch session.phase {
        case .greeted: first = "\(session.sessionProtocol == .lmtp ? "LHLO" : "EHLO") \(heloName ?? "client.example")"
        case .helloed: first = "MAIL FROM:<you@example.test>"
        default: return
        }
        emit(
            .output,
            "Welcome to ehlo's practice server for \(domain), running on this machine: nothing you send leaves it. Type \(first) to begin (Tab completes); /help for help, /help lab for addresses that make each reply happen, quit to leave."
        )
    }

    /// Reads one line (or does what is due before one may be read) and handles it.
    func step() async {
        takeEvents()
        guard !isFinished else { return }
        // Read once: each read of a view of the session from here copies the whole session.
        let mode = session.inputMode
        switch mode {
        case .tlsHandshake:
            // The 220 to STARTTLS came after a Ctrl-C stopped the wait: nothing else may go first.
            await performTLSHandshake()
            return
        case .challengeAnswer where input.isInteractive && session.isUserNameAsked:
            // AUTH LOGIN's user name is no secret: typed with echo, like any line.
            break
        case .challengeAnswer where input.isInteractive:
            guard let secret = await input.readSecret(prompt: "answer to 334 (not echoed)> ") else {
                emit(.event, "no answer: the exchange is cancelled with * (RFC 4954 §4)")
                await sendSecret("*", quiet: true)
                return
            }
            await sendSecret(secret)
            return
        default:
            break
        }
        switch await input.readLine(prompt: { [unowned self] in self.promptText }) {
        case .endOfInput:
            if input.isInteractive { Terminal.write("\n") }
            await finish()
        case .interrupted:
            if case .chunk = session.inputMode { abandonChunk() }
        case .line(let line):
            guard !isFinished else { return }
            await handle(line, typedIn: mode)
            if isStageReached { await finish() }
        }
    }

    /// `--quit-after mail|rcpt`: the command of that stage has its reply.
    private var isStageReached: Bool {
        guard let stage = options.quitAfter, session.pending.isEmpty, let verb = session.lastAnswered?.verb else {
            return false
        }
        return (stage == .mail && verb == .mail) || (stage == .rcpt && verb == .rcpt)
    }

    /// After the loop: the server's close, then ours; the exit status.
    func end() async -> ExitStatus {
        await quitIfPossible()
        if session.phase == .closed {
            // After 221 the server closes the connection; give it a moment so the close is shown and recorded.
            _ = await takeEvents(until: { false }, seconds: 1)
        }
        closeConnection(reason: nil)
        endLesson()
        screen.writeGathered()
        if isScript, exitStatus == .success, screen.hasTranscriptFailed { exitStatus = .transcriptFailed }
        return exitStatus
    }

    var promptText: String {
        guard let server = link.server else { return "ehlo> " }
        switch session.inputMode {
        case .message: return "data> "
        case .chunk(let remaining, let size): return "bdat \(size - remaining)/\(size)> "
        case .challengeAnswer: return "answer to 334 (the user name, base64)> "
        default: break
        }
        var tags = session.promptTags
        if isPipeGroupOpen { tags.append("pipe=\(session.pending.filter { $0.sentAt == nil }.count)") }
        return "ehlo \(mailExchangerName ?? server.host)\(tags.isEmpty ? "" : " [\(tags.joined(separator: " "))]")> "
    }

    /// One line of input, as the session's input mode says it is to be read.
    ///
    /// - Parameter mode: the input mode when the prompt was shown. At a terminal, a line typed as
    ///   message text (data or chunk mode) and finished after a reply ended that mode, or a line
    ///   typed as a command and finished after a 354, is not sent: its meaning changed under it.
    func handle(_ line: String, typedIn mode: SessionStateMachine.InputMode? = nil, tag: Int? = nil) async {
        let now = session.inputMode
        if input.isInteractive, let mode, mode.isMessageText != now.isMessageText {
            emit(
                .warning,
                mode.isMessageText
                    ? "not sent: the server answered while this line was typed, and the lines are commands again; type it again if it is one"
                    : "not sent: the server's reply made the lines message text while this line was typed; type it again as message text"
            )
            return
        }
        switch now {
        case .message where session.isReplyCheck(line):
            // A script's /expect right after DATA checks the 354; the message starts after it.
            await runConsoleCommand(line)
        case .message:
            await sendBodyLine(line, tag: tag)
        case .chunk:
            await sendChunkLine(line)
        case .skipping:
            await skip(line)
        case .challengeAnswer where !isConsoleCommand(line):
            // In a script, the answer to a 334 is the next ordinary line (// for one starting with /).
            await sendSecret(line.hasPrefix("//") ? String(line.dropFirst()) : line, tag: tag)
        case .awaitingReply(let source) where !isConsoleCommand(line):
            if !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                emit(
                    .warning,
                    "not sent: the reply to \(source.name) decides what the next lines are; wait for it (it is shown when it comes)"
                )
            }
        case .tlsHandshake where !isConsoleCommand(line):
            emit(.warning, "not sent: after the 220 to STARTTLS only the TLS handshake may follow (RFC 3207 §4)")
        case .commands, .offline, .challengeAnswer, .awaitingReply, .tlsHandshake:
            await handleCommandLine(line, tag: tag)
        }
    }

    /// What a person types to leave a console, taken as such while no server is connected.
    private static let leavingWords: Set<String> = ["quit", "exit"]

    private func isConsoleCommand(_ line: String) -> Bool {
        line.hasPrefix("/") && !line.hasPrefix("//")
    }

    private func handleCommandLine(_ line: String, tag: Int?) async {
        if line.hasPrefix("#") { return }
        if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            // An empty line sends a `/pipe` group.
            if isPipeGroupOpen { await sendGroup() }
            return
        }
        if line.hasPrefix("//") {
            input.remember(line, persist: Redactor.isSafeForHistory(String(line.dropFirst())))
            await sendCommand(String(line.dropFirst()), tag: tag)
            return
        }
        if !link.isConnected, Self.leavingWords.contains(line.trimmingCharacters(in: .whitespaces).lowercased()) {
            // Offline there is no server to say QUIT to: the word a person types to leave, leaves.
            await finish()
            return
        }
        if line.hasPrefix("/") {
            // /b64 may hold a password being encoded: memory only.
            input.remember(line, persist: !line.lowercased().hasPrefix("/b64"))
            await runConsoleCommand(line)
            return
        }
        // A line with a secret stays in memory for the up arrow, never in the history file.
        input.remember(line, persist: Redactor.isSafeForHistory(line))
        await sendCommand(line, tag: tag)
    }

    /// A line the session says is not to be sent (a refused message in a script).
    private func skip(_ line: String) async {
        switch session.lineSkipped(line) {
        case .skipped:
            break
        case .ended(let note):
            emit(.warning, note)
        case .endedSendingLine(let note):
            emit(.warning, note)
            await sendBodyLine(line, tag: nil)
        case .notSkipped(let note):
            emit(.event, note)
            await handle(line)
        }
    }

    /// Handles one input line as the loop would (replies shown meanwhile go to `observed`).
    ///
    /// - Parameter holdsForGroup: the line joins a pipelined group: it is written with the lines
    ///   that follow, up to one that ends the group.
    func perform(_ line: String, tag: Int?, holdsForGroup: Bool) async {
        let wasOpen = isPipeGroupOpen
        isPipeGroupOpen = holdsForGroup
        await handle(line, tag: tag)
        if !holdsForGroup { await flushAndWait() }
        isPipeGroupOpen = wasOpen && isPipeGroupOpen
    }

    /// Replay: a message line exactly as recorded (already dot-stuffed), or skipped as the
    /// session says; `mode` is the session's input mode now.
    func replayMessageLine(_ octets: [UInt8], in mode: SessionStateMachine.InputMode) async {
        switch mode {
        case .message:
            await sendMessageOctets(octets)
        case .skipping:
            await skip(String(decoding: octets, as: UTF8.self))
        case .offline, .commands, .chunk, .challengeAnswer, .awaitingReply, .tlsHandshake:
            emit(.warning, "a recorded message line is not sent: no message is being sent now")
        }
    }

    /// End of input: leave politely (QUIT, and show the 221).
    func finish() async {
        switch session.inputMode {
        case .chunk:
            emit(.warning, "input ended inside a BDAT chunk: the server still waits for its octets")
            closeConnection(reason: "closed in the middle of BDAT")
            fail(.sessionFailed)
        case .message:
            emit(.warning, "input ended inside a message (no line holding only .): the message was not sent")
            closeConnection(reason: "closed in the middle of DATA")
            fail(.sessionFailed)
        case .skipping:
            if let note = session.inputEnded() {
                emit(.warning, note)
                fail(.sessionFailed)
            }
        case .challengeAnswer:
            // A QUIT now would be taken as the answer to the challenge (RFC 4954 §4): cancel first.
            await sendSecret("*", quiet: true)
        case .commands, .offline, .awaitingReply, .tlsHandshake:
            break
        }
        await quitIfPossible()
        isFinished = true
    }

    /// Every way out of a session says QUIT to a server that can still take it (RFC 5321
    /// §4.1.1.10), whatever ended the run: the input, a failure, `--quit-after`.
    private func quitIfPossible() async {
        if link.isConnected, session.inputMode == .commands,
            SessionPhase.connected.union([.refused]).contains(session.predictedPhase)
        {
            // A courtesy on the way out: a server that does not answer must not keep the user waiting.
            await sendCommand("QUIT", quiet: true, replyTimeout: min(options.timeoutOverride ?? 5, 5))
        }
        await flushAndWait()
    }

    // MARK: Connecting

    /// - Parameters:
    ///   - waitsForGreeting: false only for `--quit-after connect`.
    ///   - mailExchanger: the MX host whose address `address` is (`--mx`).
    @discardableResult
    func connect(to address: ServerAddress, waitsForGreeting: Bool = true, mailExchanger: String? = nil) async -> Bool {
        if link.isConnected { closeConnection(reason: "closed to connect elsewhere") }
        mailExchangerName = mailExchanger
        do {
            let implicitTLS = options.tlsMode == .implicit ? tlsSettings : nil
            let opened = try await link.connect(
                to: address, timeoutSeconds: options.timeoutOverride ?? 30, implicitTLS: implicitTLS,
                settings: options.connection)
            session = SessionStateMachine(sessionProtocol: options.sessionProtocol)
            session.connectionOpened(overTLS: implicitTLS != nil, at: Date().timeIntervalSince1970)
            lessonObserved(.connected)
            tls = TLSStatus()
            outgoing = OutgoingLines()
            hasWarnedAboutPipelining = false
            if let warning = screen.transcript?.connected(
                recordedConnection(to: address), time: Date().timeIntervalSince1970)
            {
                emit(.warning, warning)
            }
            // The local address when --source chose it; else an ephemeral port is noise.
            let local = options.connection.sourceAddress == nil ? nil : opened.localAddressDescription
            emit(
                .event,
                "connected to \(mailExchanger ?? address.host) (\(opened.remoteAddressDescription))\(local.map { " from \($0)" } ?? "")"
            )
        } catch {
            emit(.warning, "cannot connect to \(address): \(error)")
            if isScript || options.server == address { exitStatus = .connectionFailed }
            return false
        }
        // Ctrl-C while waiting for the greeting keeps the connection: the greeting shows when it comes.
        if waitsForGreeting { await waitForReplies() }
        guard link.isConnected else {
            if isScript { exitStatus = .connectionFailed }
            return false
        }
        return true
    }

    /// Closes the current connection from our side; later events from it are ignored.
    func closeConnection(reason: String?) {
        guard link.isConnected else { return }
        link.close()
        session.connectionClosed()
        outgoing = OutgoingLines()
        isPipeGroupOpen = false
        if let reason { emit(.event, "connection closed: \(reason)") }
        lessonObserved(.connectionClosed)
    }

    /// In a script, a failure ends the run with `status`; interactively it is only shown.
    func fail(_ status: ExitStatus) {
        guard isScript else { return }
        if exitStatus == .success { exitStatus = status }
        isFinished = true
    }

    // MARK: Output

    func emit(_ kind: DisplayLine.Kind, _ text: String) {
        screen.emit([DisplayLine(kind, text)])
    }

    func emit(_ lines: [DisplayLine]) {
        screen.emit(lines)
    }

    /// Writes to the screen only.
    func show(_ lines: [DisplayLine]) {
        screen.show(lines)
    }

    // MARK: Completion

    private func complete(_ text: String) -> LineEditor.Completion {
        let context = CompletionContext(
            session: session, addresses: addresses, heloName: heloName, profileNames: options.profiles.names,
            labDomain: practiceDomain)
        let completion = Completer.complete(text, context: context)
        if completion.needsFilePaths {
            return LineEditor.Completion(
                word: completion.word, candidates: FilePathCompletion.candidates(for: completion.word))
        }
        return LineEditor.Completion(word: completion.word, candidates: completion.candidates)
    }
}

/// How the last TLS handshake went, and what it showed (for `/cert`).
struct TLSStatus {
    /// How the last handshake ended: nil while one is under way (or none was started).
    var outcome: Result<TLSReport, TLSFailure>?
    /// The last TLS session's report.
    var report: TLSReport?
    /// The last handshake that failed after the server's certificates arrived: what it
    /// presented and why it failed, for `/cert` (nil once a handshake succeeds).
    var failure: (chain: [CertificateSummary], problems: [CertificateProblem], reason: String)?
}

extension SessionStateMachine.InputMode {
    /// Lines typed now are message text (DATA or a BDAT chunk), not commands.
    var isMessageText: Bool {
        switch self {
        case .message, .chunk: return true
        case .offline, .commands, .challengeAnswer, .awaitingReply, .tlsHandshake, .skipping: return false
        }
    }
}

/// A failure that ends ehlo before the console runs, with its exit status.
public struct ConsoleError: Error, CustomStringConvertible {
    public let status: ExitStatus
    public let message: String
    public var description: String { message }
}
