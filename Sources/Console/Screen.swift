import Foundation
import LineEditor
import SMTPCore

/// Where the console's lines go: the terminal (or stdout), and the transcript when one is open.
///
/// While the line editor owns the terminal (a reply arriving as the user types), lines are
/// collected and handed to the editor, which prints them above the line being edited.
final class Screen {
    private let style: Style
    /// Where the session is recorded (`--transcript`, `/record`), if anywhere.
    var transcript: TranscriptSink?
    /// A transcript write failed (shown once, as it happened); a script ends with exit status 8.
    private(set) var hasTranscriptFailed = false
    private var collected: [String]?
    /// A progress line is on the terminal, without its newline: the next output replaces it.
    private var isProgressShown = false
    /// Output for a pipe or a file is gathered here and written when ehlo is about to wait (for
    /// the server or for input, `writeGathered()`) or once `gatheredOctetsLimit` are held: one
    /// `write(2)` per exchange of a script rather than one per reply and per command. A terminal
    /// gets every line at once.
    private let gathersOutput: Bool
    private var gathered = ""
    private static let gatheredOctetsLimit = 64 * 1024

    init(colorEnabled: Bool, gathersOutput: Bool = !Terminal.stdoutIsTerminal) {
        style = Style(isEnabled: colorEnabled)
        self.gathersOutput = gathersOutput
    }

    deinit {
        writeGathered()
    }

    /// Writes the output gathered for a pipe or a file; nothing to do for a terminal.
    func writeGathered() {
        guard !gathered.isEmpty else { return }
        Terminal.write(gathered)
        gathered = ""
    }

    /// Shows and records lines (console command output is shown only).
    func emit(_ lines: [DisplayLine]) {
        for line in lines where line.kind != .output {
            record(.line(line))
        }
        show(lines)
    }

    /// The terminal's width, when lines go to one (nil: a pipe or a file, never wrapped).
    var columns: (() -> Int)?

    /// Writes to the screen only (or above the line being edited).
    ///
    /// - Parameter wraps: lines wider than the terminal are broken between words
    ///   (`DisplayLine.wrappedPlain`); false for text that must be shown line for line.
    func show(_ lines: [DisplayLine], wraps: Bool = true) {
        guard !lines.isEmpty else { return }
        let width = wraps ? columns?() : nil
        if collected == nil, gathersOutput, width == nil {
            // A script's output to a pipe or a file: each line goes straight into what is
            // gathered, with no string made for it on the way (a message's every line is shown).
            clearProgress()
            for line in lines {
                style.append(line, to: &gathered)
                gathered += "\n"
            }
            if gathered.utf8.count >= Self.gatheredOctetsLimit { writeGathered() }
            return
        }
        let rendered = lines.flatMap { line in
            (width.map { line.wrappedPlain(width: $0) } ?? [line.plain]).map { style.render(line, text: $0) }
        }
        if collected != nil {
            collected! += rendered
        } else {
            clearProgress()
            var text = ""
            text.reserveCapacity(rendered.reduce(0) { $0 + $1.utf8.count + 1 })
            for line in rendered {
                text += line
                text += "\n"
            }
            guard gathersOutput else {
                Terminal.write(text)
                return
            }
            gathered += text
            if gathered.utf8.count >= Self.gatheredOctetsLimit { writeGathered() }
        }
    }

    /// A line that stays only until the next output (`waiting 3 s for the reply to AUTH…`);
    /// terminals only, never recorded.
    func showProgress(_ text: String) {
        guard collected == nil else { return }
        Terminal.write("\r\u{1B}[K" + style.render(DisplayLine(.event, text)))
        isProgressShown = true
    }

    func clearProgress() {
        guard isProgressShown else { return }
        Terminal.write("\r\u{1B}[K")
        isProgressShown = false
    }

    /// Writes to the transcript, if one is open; a write failure is shown once.
    func record(_ content: TranscriptEntry.Content) {
        guard let transcript else { return }
        if let warning = transcript.record(TranscriptEntry(time: Date().timeIntervalSince1970, content: content)) {
            show([DisplayLine(.warning, warning)])
            hasTranscriptFailed = true
        }
    }

    /// Writes entries that happened together to the transcript in one write (the lines of a block
    /// of message data: one `write(2)` per line would bound how fast a message can be sent).
    func record(contentsOf contents: @autoclosure () -> [TranscriptEntry.Content]) {
        guard let transcript else { return }
        let contents = contents()
        guard !contents.isEmpty else { return }
        let time = Date().timeIntervalSince1970
        if let warning = transcript.record(contents.map { TranscriptEntry(time: time, content: $0) }) {
            show([DisplayLine(.warning, warning)])
            hasTranscriptFailed = true
        }
    }

    /// Writes message lines sent together (a block of `/send`) to the transcript in one write.
    func recordMessageLines(_ lines: [String]) {
        guard let transcript, !lines.isEmpty else { return }
        if let warning = transcript.recordMessageLines(lines, time: Date().timeIntervalSince1970) {
            show([DisplayLine(.warning, warning)])
            hasTranscriptFailed = true
        }
    }

    /// Runs `body` and returns what it would have written to the terminal, for the line editor.
    func collecting(_ body: () -> Void) -> [String] {
        collected = []
        body()
        defer { collected = nil }
        return collected ?? []
    }
}
