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

public enum Replayer {
    public static func run(_ options: ReplayOptions) throws(ConsoleError) -> ExitStatus {
        guard let data = FileManager.default.contents(atPath: options.file) else {
            throw ConsoleError(status: .inputUnreadable, message: "cannot read the transcript \(options.file)")
        }
        let recording: RecordedSession
        do {
            recording = try TranscriptReader.read(String(decoding: data, as: UTF8.self))
        } catch {
            throw ConsoleError(status: .inputUnreadable, message: "\(options.file): \(error)")
        }
        guard recording.clientLineCount > 0 else {
            throw ConsoleError(status: .inputUnreadable, message: "\(options.file) holds no C: lines to replay")
        }
        var consoleOptions = options.console
        consoleOptions.historyFile = nil
        if let server = options.server {
            consoleOptions.server = server
        } else if let named = recording.server, let server = try? ServerAddress(parsing: named, defaultPort: 25) {
            consoleOptions.server = server
        } else {
            throw ConsoleError(status: .usage, message: "\(options.file) names no server; give HOST[:PORT]")
        }
        let input = ReplayInput(recording: recording, options: options)
        let colorEnabled = consoleOptions.color.isEnabled(
            stdoutIsTerminal: Terminal.stdoutIsTerminal, environment: ProcessInfo.processInfo.environment)
        let console = Console(options: consoleOptions, input: input, colorEnabled: colorEnabled)
        input.console = console
        console.onReply = { [unowned input] outcome in input.observed.append(outcome.reply) }
        let status = console.run()
        input.compareObserved()
        input.summarise()
        if status == .success, input.failedCheck { return .replayDiffered }
        return status
    }
}

/// Feeds the recorded client lines to the console one at a time, comparing the replies each
/// line got with those it got when it was recorded.
final class ReplayInput: InputSource {
    private let recording: RecordedSession
    private let options: ReplayOptions
    weak var console: Console?
    /// Replies the console has shown since the last line was given to it.
    var observed: [SMTPReply] = []
    private var index = 0
    /// The recorded replies that followed the last line given out (or the greeting, at first).
    private var expected: [(SMTPReply, Int)] = []
    private var isInRecordedData = false
    private var secretsUsed = 0
    private(set) var differences = 0
    private(set) var failedCheck = false
    private var compared = 0

    init(recording: RecordedSession, options: ReplayOptions) {
        self.recording = recording
        self.options = options
        expected = Self.replies(in: recording.steps, from: 0)
    }

    var isInteractive: Bool { false }

    func readLine(prompt: @escaping () -> String) -> LineEditor.ReadResult {
        compareObserved()
        guard let console, !failedCheck else { return .endOfInput }
        while index < recording.steps.count {
            if case .newSession(let server, let sourceLine) = recording.steps[index] {
                // The next session of an appended transcript: connect again, and compare its greeting.
                index += 1
                expected = Self.replies(in: recording.steps, from: index)
                isInRecordedData = false
                guard let target = options.server?.description ?? server else { continue }
                console.emit(.event, "the recording starts another session (transcript line \(sourceLine))")
                return .line("/connect \(target)")
            }
            guard case .client(let bytes, let isRedacted, let sourceLine) = recording.steps[index] else {
                index += 1
                continue
            }
            index += 1
            let text = String(decoding: bytes, as: UTF8.self)
            let isBodyLine = isInRecordedData
            if isBodyLine, console.session.phase != .data {
                // The server did not take the message this time: skip it, and the reply to its end.
                console.emit(
                    .event,
                    "skipping the recorded message (transcript line \(sourceLine)): the server did not answer DATA with 354 this time"
                )
                skipRecordedMessage()
                continue
            }
            expected = Self.replies(in: recording.steps, from: index)
            if isBodyLine {
                if text == "." { isInRecordedData = false }
                // Recorded dot-stuffed; the console stuffs again.
                return .line(text == "." ? text : DotStuffing.unstuff(text))
            }
            if expected.first?.0.code == 354 { isInRecordedData = true }
            if options.isStepping, !waitForEnter(sourceLine: sourceLine, text: text) {
                expected = []
                return .endOfInput
            }
            guard isRedacted else { return .line(text) }
            guard let secret = secret(for: text, sourceLine: sourceLine) else {
                expected = []
                return .endOfInput
            }
            return .line(
                text == Redactor.placeholder
                    ? secret : text.replacingOccurrences(of: Redactor.placeholder, with: secret))
        }
        return .endOfInput
    }

    func readSecret(prompt: String) -> String? { nil }

    func remember(_ line: String, persist: Bool) {}

    /// Compares the replies shown since the last line with the recorded ones.
    func compareObserved() {
        guard let console else { return }
        defer {
            observed = []
            expected = []
        }
        for (position, (recorded, sourceLine)) in expected.enumerated() {
            guard position < observed.count else {
                report(
                    console, "the recording has a reply here that did not come (transcript line \(sourceLine)):",
                    recorded: recorded, now: nil)
                return
            }
            let now = observed[position]
            compared += 1
            let codeDiffers = now.code != recorded.code
            let enhancedDiffers = now.enhancedCode != recorded.enhancedCode
            if codeDiffers || enhancedDiffers {
                report(
                    console, "differs from the recording (transcript line \(sourceLine)):", recorded: recorded, now: now
                )
                if codeDiffers && options.check != nil || enhancedDiffers && options.check == .enhanced {
                    failedCheck = true
                    console.emit(.event, "replay --check: stopping at the first difference")
                    console.exitStatus = .replayDiffered
                    console.finish()
                    return
                }
            }
        }
    }

    func summarise() {
        guard let console else { return }
        let total = recording.steps.reduce(0) { count, step in
            if case .reply = step { return count + 1 }
            return count
        }
        let plural = { (count: Int) in count == 1 ? "reply" : "replies" }
        var summary = "replay of \(options.file): \(compared) \(plural(compared)) compared, "
        summary +=
            differences == 0
            ? "every reply matched the recording" : "\(differences) \(plural(differences)) differed from the recording"
        if compared < total { summary += " (it has \(total) \(plural(total)); the replay stopped early)" }
        console.emit(.event, summary)
    }

    private func report(_ console: Console, _ title: String, recorded: SMTPReply, now: SMTPReply?) {
        differences += 1
        var lines = [DisplayLine(.warning, title)]
        let recordedLines = recorded.lines.map(\.visible)
        let nowLines = now?.lines.map(\.visible) ?? ["(nothing)"]
        for (offset, line) in recordedLines.enumerated() {
            lines.append(DisplayLine(.warning, (offset == 0 ? "  recorded  S: " : "            S: ") + line))
        }
        for (offset, line) in nowLines.enumerated() {
            lines.append(DisplayLine(.warning, (offset == 0 ? "  now       S: " : "            S: ") + line))
        }
        console.emit(lines)
    }

    private func skipRecordedMessage() {
        while index < recording.steps.count {
            if case .client(let bytes, _, _) = recording.steps[index] {
                index += 1
                if bytes == [UInt8(ascii: ".")] { break }
            } else {
                index += 1
            }
        }
        isInRecordedData = false
        // The reply to the end of data is not coming either.
        while index < recording.steps.count, case .reply = recording.steps[index] { index += 1 }
    }

    /// The replies recorded after the step before `start`, up to the next client line.
    private static func replies(in steps: [RecordedSession.Step], from start: Int) -> [(SMTPReply, Int)] {
        var replies: [(SMTPReply, Int)] = []
        var position = start
        while position < steps.count, case .reply(let reply, let sourceLine) = steps[position] {
            replies.append((reply, sourceLine))
            position += 1
        }
        return replies
    }

    private func secret(for text: String, sourceLine: Int) -> String? {
        secretsUsed += 1
        if options.secretsFromEnvironment {
            let name = "EHLO_SECRET_\(secretsUsed)"
            if let value = ProcessInfo.processInfo.environment[name] { return value }
            console?.emit(
                .warning,
                "transcript line \(sourceLine) was recorded redacted (\(text)) and \(name) is not set; stopping")
            console?.exitStatus = .usage
            return nil
        }
        guard
            let answer = TerminalQuestion.ask(
                "secret for transcript line \(sourceLine) (\(VisibleText.escape(text))), not echoed: ", echo: false)
        else {
            console?.emit(
                .warning,
                "transcript line \(sourceLine) was recorded redacted; give the secret at a terminal or with --auth-from-env (EHLO_SECRET_1, …)"
            )
            console?.exitStatus = .usage
            return nil
        }
        return answer
    }

    private func waitForEnter(sourceLine: Int, text: String) -> Bool {
        let shown = VisibleText.escape(Redactor.redact(command: text))
        guard
            TerminalQuestion.ask(
                "step: Enter sends C: \(shown) (transcript line \(sourceLine)), Ctrl-D stops ", echo: true) != nil
        else {
            return false
        }
        return true
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
