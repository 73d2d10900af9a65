import Foundation
import LineEditor
import SMTPCore

/// `ehlo replay`: sends a recorded session's client lines to a server again, waits for each
/// reply, and shows where the new replies differ from the recorded ones.
public struct ReplayOptions: Sendable {
    public enum Check: String, Sendable, CaseIterable {
        /// Fail on the first reply whose basic code differs.
        case code
        /// Fail on the first reply whose basic or enhanced code differs.
        case enhanced
    }

    public var file: String
    /// The server to replay against; nil: the one named in the transcript's header.
    public var server: ServerAddress?
    public var check: Check?
    /// Wait for Enter before each command.
    public var isStepping = false
    /// Take redacted secrets from EHLO_SECRET_1, EHLO_SECRET_2, … instead of asking.
    public var secretsFromEnvironment = false
    public var console = ConsoleOptions()

    public init(file: String) {
        self.file = file
    }
}

extension ReplayOptions {
    /// The server to replay `recorded` against: the command line's, else the one recorded.
    func server(for recorded: RecordedConnection) -> ServerAddress? {
        if let server { return server }
        let defaultPort = recorded.isImplicitTLS ? 465 : recorded.sessionProtocol.defaultPort
        return recorded.server.flatMap { try? ServerAddress(parsing: $0, defaultPort: defaultPort) }
    }
}

extension ConsoleOptions {
    /// These options, set to reach a recorded connection as the recording did (implicit TLS, the
    /// SNI name, LMTP, the PROXY header) wherever the replay's command line does not say otherwise.
    func reaching(_ recorded: RecordedConnection) -> ConsoleOptions {
        var options = self
        if recorded.isImplicitTLS, options.tlsMode == .none { options.tlsMode = .implicit }
        if options.tls.serverName == nil { options.tls.serverName = recorded.serverName }
        if recorded.sessionProtocol == .lmtp { options.sessionProtocol = .lmtp }
        if options.connection.proxy == nil, let proxy = recorded.proxy {
            options.connection.proxy = proxy
            options.connection.proxyClient = recorded.proxyClient
        }
        return options
    }
}

public enum Replayer {
    public static func run(_ options: ReplayOptions) async throws(ConsoleError) -> ExitStatus {
        guard let file = TranscriptFile(path: options.file) else {
            throw ConsoleError(status: .inputUnreadable, message: "cannot read the transcript \(options.file)")
        }
        let (plan, reader, clientLineCount) = try read(file, named: options.file)
        guard clientLineCount > 0 else {
            throw ConsoleError(status: .inputUnreadable, message: "\(options.file) holds no C: lines to replay")
        }
        let recorded = plan.sessions[0].connection
        var commandLine = options.console
        commandLine.historyFile = nil
        var consoleOptions = commandLine.reaching(recorded)
        guard let server = options.server(for: recorded) else {
            throw ConsoleError(status: .usage, message: "\(options.file) names no server; give HOST[:PORT]")
        }
        consoleOptions.server = server
        let colorEnabled = consoleOptions.color.isEnabled(
            stdoutIsTerminal: Terminal.stdoutIsTerminal, environment: ProcessInfo.processInfo.environment)
        let console = Console(
            options: consoleOptions, commandLine: commandLine, input: ReplayInput(), colorEnabled: colorEnabled)
        let status = await ReplayRun(plan: plan, file: file, reader: reader, options: options).run(console)
        console.shutdown()
        return status
    }

    /// Plans the replay of a transcript, reading it a block at a time; its message lines stay in
    /// the file. Returns the reader as the file left it (it knows the file's format).
    private static func read(
        _ file: TranscriptFile, named name: String
    ) throws(ConsoleError) -> (ReplayPlan, TranscriptReader.LineByLine, clientLines: Int) {
        var builder = ReplayPlan.Builder()
        var reader = TranscriptReader.LineByLine()
        var number = 0
        do {
            _ = try file.forEachLine { line, offsets in
                number += 1
                try builder.read(line, number: number, at: offsets, with: &reader)
                return true
            }
        } catch let error as TranscriptReader.ReadError {
            throw ConsoleError(status: .inputUnreadable, message: "\(name): \(error)")
        } catch {
            throw ConsoleError(status: .inputUnreadable, message: "cannot read the transcript \(name): \(error)")
        }
        return (builder.plan(), reader, builder.clientLineCount)
    }
}

/// The console's input during a replay: none of its own; `ReplayRun` hands it each line.
final class ReplayInput: InputSource {
    var isInteractive: Bool { false }
    func readLine(prompt: @escaping () -> String) async -> LineEditor.ReadResult { .endOfInput }
    func readSecret(prompt: String) async -> String? { nil }
    func remember(_ line: String, persist: Bool) {}
}

/// One replay: sends the plan's lines through the console, in the groups they were recorded in,
/// and compares the replies each exchange gets with the recorded ones.
///
/// It drives the console; the console never calls back. Replies are matched to recorded ones by
/// the transcript line that opened their exchange (the tag given with each line).
final class ReplayRun {
    private let plan: ReplayPlan
    /// Where the plan's message runs are read again from, and how.
    private let file: TranscriptFile
    private let reader: TranscriptReader.LineByLine
    private let options: ReplayOptions
    /// Replies that came, by the transcript line of the exchange they answered.
    private var observed: [Int: [SMTPReply]] = [:]
    private var observedGreeting: [SMTPReply] = []
    private var compared = 0
    private var differences = 0
    private var failedCheck = false
    /// Why the replay did not get through every recorded line, if it did not.
    private var stoppedEarly: String?
    private var secretsUsed = 0

    init(
        plan: ReplayPlan, file: TranscriptFile, reader: TranscriptReader.LineByLine, options: ReplayOptions
    ) {
        self.plan = plan
        self.file = file
        self.reader = reader
        self.options = options
    }

    func run(_ console: isolated Console) async -> ExitStatus {
        // The console's waits resume on its event loop (see `EventLoopTaskExecutor`).
        await withTaskExecutorPreference(console.taskExecutor) { await replay(console) }
    }

    private func replay(_ console: isolated Console) async -> ExitStatus {
        console.observed = []
        if await console.start() {
            await replaySessions(console)
            if !console.isFinished { await console.finish() }
            collect(console)
        } else {
            collect(console)
            stoppedEarly = "the connection failed"
        }
        let status = await console.end()
        summarise(console)
        console.screen.writeGathered()
        if status == .success, failedCheck || (options.check != nil && stoppedEarly != nil) {
            return .replayDiffered
        }
        return status
    }

    private func replaySessions(_ console: isolated Console) async {
        for (index, session) in plan.sessions.enumerated() {
            if index > 0 {
                guard let target = options.server(for: session.connection) else { continue }
                console.emit(.event, "the recording starts another session (transcript line \(session.sourceLine))")
                var reaching = console.commandLine.reaching(session.connection)
                reaching.server = console.commandLine.server
                console.options = reaching
                await console.connect(to: target)
            }
            collect(console)
            await compare(console, session.greeting, observedGreeting, sourceLine: session.sourceLine)
            observedGreeting = []
            guard !failedCheck else { return }
            var comparedUpTo = 0
            for (position, line) in session.lines.enumerated() {
                guard console.link.isConnected, !console.isFinished else {
                    stoppedEarly = "the connection ended before transcript line \(line.sourceLine)"
                    return
                }
                guard await send(console, line) else { return }
                collect(console)
                guard line.isFollowedByReplies || position == session.lines.count - 1 else { continue }
                for earlier in session.lines[comparedUpTo...position] {
                    await compare(
                        console, earlier.replies, observed[earlier.sourceLine] ?? [], sourceLine: earlier.sourceLine)
                    if failedCheck { return }
                }
                comparedUpTo = position + 1
            }
        }
    }

    /// Hands one recorded line to the console. Returns false when the replay must stop.
    private func send(_ console: isolated Console, _ line: ReplayPlan.Line) async -> Bool {
        let holds = !line.isFollowedByReplies
        switch line.kind {
        case .messageLine:
            if let run = line.run { return await sendMessageRun(console, run, sourceLine: line.sourceLine) }
            await sendMessageLine(console, line.octets, sourceLine: line.sourceLine)
            return true
        case .endOfData, .chunk:
            isSkippingMessage = false
            await console.perform(line.text, tag: line.sourceLine, holdsForGroup: holds)
            return true
        case .command, .challengeAnswer:
            var text = line.text
            if options.isStepping, line.kind == .command, !waitForEnter(sourceLine: line.sourceLine, text: text) {
                stoppedEarly = "stopped at transcript line \(line.sourceLine)"
                return false
            }
            if line.isRedacted {
                guard let secret = secret(console, for: text, sourceLine: line.sourceLine) else {
                    stoppedEarly = "no secret for transcript line \(line.sourceLine)"
                    return false
                }
                text =
                    text == Redactor.placeholder
                    ? secret : text.replacingOccurrences(of: Redactor.placeholder, with: secret)
            }
            await console.perform(text, tag: line.sourceLine, holdsForGroup: holds)
            return true
        }
    }

    private var isSkippingMessage = false

    /// A message line, recorded on the wire, dot-stuffed: sent exactly so (RFC 5321 §4.5.2).
    private func sendMessageLine(_ console: isolated Console, _ octets: [UInt8], sourceLine: Int) async {
        let mode = console.session.inputMode
        if mode == .skipping, !isSkippingMessage {
            console.emit(
                .event,
                "skipping the recorded message (transcript line \(sourceLine)): the server did not answer DATA with 354 this time"
            )
        }
        isSkippingMessage = mode == .skipping
        await console.replayMessageLine(octets, in: mode)
    }

    /// The message lines of a run, read from the transcript again one block at a time and sent
    /// as they are read: the console writes them a buffer at a time, as fast as the server takes
    /// them. Returns false when the replay must stop.
    private func sendMessageRun(_ console: isolated Console, _ run: ReplayPlan.MessageRun, sourceLine: Int) async
        -> Bool
    {
        var reader = reader
        var lines = file.lines(in: run.offsets)
        var number = sourceLine
        do {
            while let (line, _) = try lines.next() {
                defer { number += 1 }
                for case .client(let octets, _, let lineNumber) in try reader.steps(in: line, number: number) {
                    guard console.link.isConnected, !console.isFinished else {
                        stoppedEarly = "the connection ended before transcript line \(lineNumber)"
                        return false
                    }
                    // A line of the message being sent only joins the buffer, until it is full.
                    if console.session.inputMode == .message {
                        if console.holdMessageOctets(octets) { await console.flush(streaming: true) }
                    } else {
                        await sendMessageLine(console, octets, sourceLine: lineNumber)
                    }
                }
            }
            return true
        } catch {
            stoppedEarly = "cannot read \(options.file) again: \(error)"
            return false
        }
    }

    /// Files the replies the console showed under the exchanges they answered.
    private func collect(_ console: isolated Console) {
        for outcome in console.observed ?? [] {
            if outcome.answered == .greeting {
                observedGreeting.append(outcome.reply)
            } else if let tag = outcome.tag {
                observed[tag, default: []].append(outcome.reply)
            }
        }
        console.observed = []
    }

    /// Compares the replies one exchange got with the recorded ones, position by position.
    private func compare(
        _ console: isolated Console, _ recorded: [ReplayPlan.RecordedReply], _ now: [SMTPReply], sourceLine: Int
    ) async {
        for (position, expected) in recorded.enumerated() {
            guard position < now.count else {
                report(
                    console,
                    "the recording has a reply here that did not come (transcript line \(expected.sourceLine)):",
                    recorded: expected.reply, now: nil)
                if options.check != nil {
                    stoppedEarly = stoppedEarly ?? "at the first difference"
                    await stop(console)
                }
                return
            }
            let reply = now[position]
            compared += 1
            let codeDiffers = reply.code != expected.reply.code
            let enhancedDiffers = reply.enhancedCode != expected.reply.enhancedCode
            guard codeDiffers || enhancedDiffers else { continue }
            report(
                console,
                "differs from the recording (transcript line \(expected.sourceLine)):", recorded: expected.reply,
                now: reply)
            if codeDiffers && options.check != nil || enhancedDiffers && options.check == .enhanced {
                stoppedEarly = stoppedEarly ?? "at the first difference"
                await stop(console)
                return
            }
        }
        if now.count > recorded.count {
            for extra in now[recorded.count...] {
                report(
                    console,
                    "a reply came that the recording does not have (after transcript line \(sourceLine)):",
                    recorded: nil, now: extra)
            }
            if options.check != nil {
                stoppedEarly = stoppedEarly ?? "at the first difference"
                await stop(console)
            }
        }
    }

    private func stop(_ console: isolated Console) async {
        failedCheck = true
        console.emit(.event, "replay --check: stopping at the first difference")
        await console.finish()
    }

    private func summarise(_ console: isolated Console) {
        let total = plan.replyCount
        let plural = { (count: Int) in count == 1 ? "reply" : "replies" }
        var summary = "replay of \(options.file): \(compared) \(plural(compared)) compared, "
        summary +=
            differences == 0
            ? "every reply matched the recording" : "\(differences) \(plural(differences)) differed from the recording"
        if let stoppedEarly {
            summary += " (it has \(total) \(plural(total)); the replay stopped early: \(stoppedEarly))"
        } else if compared < total {
            summary += " (it has \(total) \(plural(total)); \(total - compared) did not come)"
        }
        console.emit(.event, summary)
    }

    private func report(_ console: isolated Console, _ title: String, recorded: SMTPReply?, now: SMTPReply?) {
        differences += 1
        var lines = [DisplayLine(.warning, title)]
        let recordedLines = recorded?.lines.map(\.visible) ?? ["(nothing)"]
        let nowLines = now?.lines.map(\.visible) ?? ["(nothing)"]
        for (offset, line) in recordedLines.enumerated() {
            lines.append(DisplayLine(.warning, (offset == 0 ? "  recorded  S: " : "            S: ") + line))
        }
        for (offset, line) in nowLines.enumerated() {
            lines.append(DisplayLine(.warning, (offset == 0 ? "  now       S: " : "            S: ") + line))
        }
        console.emit(lines)
    }

    private func secret(_ console: isolated Console, for text: String, sourceLine: Int) -> String? {
        secretsUsed += 1
        if options.secretsFromEnvironment {
            let name = "EHLO_SECRET_\(secretsUsed)"
            if let value = ProcessInfo.processInfo.environment[name] { return value }
            console.emit(
                .warning,
                "transcript line \(sourceLine) was recorded redacted (\(text)) and \(name) is not set; stopping")
            console.exitStatus = .usage
            return nil
        }
        guard
            let answer = TerminalQuestion.ask(
                "secret for transcript line \(sourceLine) (\(VisibleText.escape(text))), not echoed: ", echo: false)
        else {
            console.emit(
                .warning,
                "transcript line \(sourceLine) was recorded redacted; give the secret at a terminal or with --auth-from-env (EHLO_SECRET_1, …)"
            )
            console.exitStatus = .usage
            return nil
        }
        return answer
    }

    private func waitForEnter(sourceLine: Int, text: String) -> Bool {
        let shown = VisibleText.escape(Redactor.redact(command: text))
        return TerminalQuestion.ask(
            "step: Enter sends C: \(shown) (transcript line \(sourceLine)), Ctrl-D stops ", echo: true) != nil
    }
}

/// Asks a question on the controlling terminal (/dev/tty), whatever stdin and stdout are.
enum TerminalQuestion {
    static func ask(_ question: String, echo: Bool) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var original = termios()
        let hasTerminal = tcgetattr(fd, &original) == 0
        if hasTerminal, !echo {
            var quiet = original
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if hasTerminal, !echo {
                tcsetattr(fd, TCSAFLUSH, &original)
                _ = question.isEmpty ? 0 : write(fd, "\n", 1)
            }
        }
        _ = question.withCString { write(fd, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}
