import CEditLine
import Foundation

/// A libedit line editor: prompt, history, Tab completion, and output that arrives while the
/// user types. It knows nothing of SMTP.
///
/// Use it only when standard input and output are both terminals; the console reads scripts
/// and pipes without it.
public final class LineEditor {
    public enum ReadResult: Equatable {
        case line(String)
        /// Ctrl-D on an empty line, or the terminal went away.
        case endOfInput
        /// Ctrl-C: the line was dropped.
        case interrupted
    }

    /// Candidates for the word before the cursor.
    public struct Completion {
        /// The word being completed (its characters are before the cursor).
        public var word: String
        /// Full replacements for `word`.
        public var candidates: [String]

        public init(word: String, candidates: [String]) {
            self.word = word
            self.candidates = candidates
        }
    }

    /// Called before each redraw; the text shown before the cursor's line.
    public var prompt: () -> String = { "> " }
    /// Called on Tab with the text before the cursor.
    public var complete: ((String) -> Completion)?
    /// Called on the editor's thread when `wakeFileDescriptor` becomes readable while the user
    /// types; returns lines to show above the line being edited.
    public var onWake: (() -> [String])?

    private let editLine: OpaquePointer
    /// Everything entered this run: what the up arrow and Ctrl-R walk through.
    private let history: OpaquePointer
    /// Only the lines that may be written to the history file (no secrets).
    private let persistentHistory: OpaquePointer
    private let historyFile: String?
    private var promptStorage: UnsafeMutablePointer<CChar>?
    private var currentPromptWidth = 0

    /// - Parameters:
    ///   - historyFile: where history persists (created with mode 0600), or nil for none.
    ///   - wakeFileDescriptor: a descriptor that becomes readable when `onWake` should run.
    public init(programName: String, historyFile: String?, historySize: Int32 = 1000, wakeFileDescriptor: Int32 = -1) {
        setlocale(LC_CTYPE, "")
        guard let editLine = ceditline_init(programName), let history = ceditline_history_init(historySize),
            let persistentHistory = ceditline_history_init(historySize)
        else {
            preconditionFailure("libedit could not be initialised")
        }
        self.editLine = editLine
        self.history = history
        self.persistentHistory = persistentHistory
        self.historyFile = historyFile

        _ = ceditline_set_client_data(editLine, Unmanaged.passUnretained(self).toOpaque())
        _ = ceditline_set_editor(editLine, "emacs")
        _ = ceditline_use_history(editLine, history)
        _ = ceditline_set_prompt(editLine) { editLine in
            LineEditor.from(editLine)?.renderPrompt()
        }
        _ = ceditline_add_function(editLine, "ehlo-complete", "Complete the word at the cursor") { editLine, _ in
            LineEditor.from(editLine)?.completeAtCursor() ?? UInt8(CC_ERROR)
        }
        _ = ceditline_bind(editLine, "^I", "ehlo-complete")
        // libedit's emacs map leaves Ctrl-R as redisplay; bind it to incremental history search.
        _ = ceditline_bind(editLine, "^R", "em-inc-search-prev")
        _ = ceditline_install_signal_handlers()
        _ = ceditline_use_poll_reader(editLine, wakeFileDescriptor) { editLine in
            LineEditor.from(editLine)?.handleWake()
        }
        // ~/.editrc (or $EDITRC) may override any binding above.
        _ = el_source(editLine, nil)

        if let historyFile {
            HistoryFile.prepare(historyFile)
            _ = ceditline_history_load(history, historyFile)
            _ = ceditline_history_load(persistentHistory, historyFile)
        }
    }

    deinit {
        el_end(editLine)
        ceditline_history_end(history)
        ceditline_history_end(persistentHistory)
        promptStorage?.deallocate()
    }

    private static func from(_ editLine: OpaquePointer?) -> LineEditor? {
        guard let editLine, let data = ceditline_client_data(editLine) else { return nil }
        return Unmanaged<LineEditor>.fromOpaque(data).takeUnretainedValue()
    }

    /// Reads one line with editing. The line comes without its newline.
    public func readLine() -> ReadResult {
        var savedForResume: String?
        while true {
            var count: Int32 = 0
            if let saved = savedForResume {
                el_push(editLine, saved)
                savedForResume = nil
            }
            let pointer = el_gets(editLine, &count)
            if let pointer, count > 0 {
                var line = String(cString: pointer)
                if line.hasSuffix("\n") { line.removeLast() }
                return .line(line)
            }
            if count < 0 || pointer == nil && errno == EINTR {
                switch ceditline_take_interrupting_signal() {
                case SIGINT:
                    Terminal.write("^C\n")
                    return .interrupted
                case SIGCONT:
                    // Back from Ctrl-Z: libedit re-enters raw mode on the next el_gets.
                    let (before, after) = lineContents()
                    savedForResume = before + after
                    continue
                default:
                    if count < 0 { return .endOfInput }
                }
            }
            return .endOfInput
        }
    }

    /// Remembers a line for the up arrow and Ctrl-R, and (when `persist`) in the history file,
    /// which is rewritten at once so that a crash loses nothing.
    public func addToHistory(_ line: String, persist: Bool = true) {
        guard !line.isEmpty else { return }
        _ = ceditline_history_enter(history, line)
        guard persist, let historyFile else { return }
        _ = ceditline_history_enter(persistentHistory, line)
        _ = ceditline_history_save(persistentHistory, historyFile)
        HistoryFile.restrictPermissions(historyFile)
    }

    /// Reads a line without echo (a password); nil on end of input or Ctrl-C.
    public func readSecret(prompt: String) -> String? {
        Terminal.write(prompt)
        _ = ceditline_set_echo(0)
        defer {
            _ = ceditline_set_echo(1)
            Terminal.write("\n")
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            if ceditline_wait_readable(STDIN_FILENO, -1) < 0 {
                // Ctrl-C: no secret; clear the signal so the next read is not interrupted too.
                _ = ceditline_take_interrupting_signal()
                Terminal.write("^C")
                return nil
            }
            let n = ceditline_read_byte(STDIN_FILENO, &byte)
            if n <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Callbacks from libedit

    private func renderPrompt() -> UnsafeMutablePointer<CChar>? {
        let text = prompt()
        currentPromptWidth = text.count
        promptStorage?.deallocate()
        let utf8 = Array(text.utf8CString)
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        storage.initialize(from: utf8, count: utf8.count)
        promptStorage = storage
        return storage
    }

    /// The characters before the cursor and after it.
    private func lineContents() -> (beforeCursor: String, afterCursor: String) {
        guard let info = el_line(editLine)?.pointee, let buffer = info.buffer, let cursor = info.cursor,
            let last = info.lastchar
        else { return ("", "") }
        let before = cursor - buffer
        let all = last - buffer
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: all)
        return (String(decoding: bytes[..<before], as: UTF8.self), String(decoding: bytes[before...], as: UTF8.self))
    }

    private func completeAtCursor() -> UInt8 {
        guard let complete else { return UInt8(CC_ERROR) }
        let (before, _) = lineContents()
        let completion = complete(before)
        guard !completion.candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }
        let common = Self.commonPrefix(completion.candidates)
        // Replace the typed word with the candidate (it may differ in case, e.g. "eh" -> "EHLO ").
        let replacement = common.count >= completion.word.count ? common : completion.word
        if replacement != completion.word {
            el_deletestr(editLine, Int32(completion.word.count))
            _ = el_insertstr(editLine, replacement)
        }
        if completion.candidates.count == 1 {
            return UInt8(CC_REFRESH)
        }
        Terminal.write("\n" + Self.columns(completion.candidates, width: Int(ceditline_terminal_columns(editLine))))
        return UInt8(CC_REDISPLAY)
    }

    private func handleWake() {
        guard let lines = onWake?(), !lines.isEmpty else { return }
        let (before, _) = lineContents()
        let columns = max(Int(ceditline_terminal_columns(editLine)), 1)
        let rowsAbove = (currentPromptWidth + before.count) / columns
        var output = "\r"
        if rowsAbove > 0 { output += "\u{1B}[\(rowsAbove)A" }
        output += "\u{1B}[J"
        output += lines.map { $0 + "\n" }.joined()
        Terminal.write(output)
        _ = ceditline_refresh(editLine)
    }

    // MARK: Helpers

    static func commonPrefix(_ candidates: [String]) -> String {
        guard var prefix = candidates.first else { return "" }
        for candidate in candidates.dropFirst() {
            while !candidate.lowercased().hasPrefix(prefix.lowercased()) { prefix.removeLast() }
        }
        return prefix
    }

    /// The terminal's width in columns, as libedit knows it (it follows SIGWINCH).
    public var terminalColumns: Int {
        max(Int(ceditline_terminal_columns(editLine)), 1)
    }

    /// Candidates in columns, as a shell lists them.
    static func columns(_ items: [String], width: Int) -> String {
        let cell = (items.map(\.count).max() ?? 0) + 2
        let perRow = max(1, width / cell)
        var output = ""
        for (index, item) in items.enumerated() {
            output += item.padding(toLength: cell, withPad: " ", startingAt: 0)
            if (index + 1) % perRow == 0 || index == items.count - 1 {
                while output.last == " " { output.removeLast() }
                output += "\n"
            }
        }
        return output
    }
}
