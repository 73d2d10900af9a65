import Foundation
import LineEditor

/// Where the console's lines come from: a person at a terminal, or a script.
protocol InputSource: AnyObject {
    /// Whether lines are echoed as `C:` (a script) or were already seen as typed (a person).
    var isInteractive: Bool { get }
    func readLine(prompt: @escaping () -> String) -> LineEditor.ReadResult
    /// A line that must not be echoed or stored (an answer to a 334 challenge).
    func readSecret(prompt: String) -> String?
    /// Adds a line to the history; `persist` false keeps it out of the history file.
    func remember(_ line: String, persist: Bool)
}

/// Reads a script: a file or a pipe, line by line, never blocking past its end.
///
/// While it waits for the next line it also watches `wakeFileDescriptor`, so what the server
/// sends meanwhile (a 421, a closed connection) is shown when it happens, not with the next line.
final class ScriptInput: InputSource {
    private let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    private var isAtEnd = false
    var wakeFileDescriptor: Int32 = -1
    /// Shows what arrived; returns true when the script should stop (the session failed).
    var onWake: (() -> Bool)?

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    deinit {
        if fileDescriptor != STDIN_FILENO { close(fileDescriptor) }
    }

    var isInteractive: Bool { false }

    func readLine(prompt: @escaping () -> String) -> LineEditor.ReadResult {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return .line(String(decoding: line, as: UTF8.self))
            }
            if isAtEnd {
                guard !buffer.isEmpty else { return .endOfInput }
                defer { buffer.removeAll() }
                return .line(String(decoding: buffer, as: UTF8.self))
            }
            if wakeFileDescriptor >= 0, let onWake {
                var fds = [
                    pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wakeFileDescriptor, events: Int16(POLLIN), revents: 0),
                ]
                if poll(&fds, 2, -1) < 0 { continue }
                if fds[1].revents & Int16(POLLIN) != 0 {
                    if onWake() { return .endOfInput }
                    continue
                }
            }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = read(fileDescriptor, &chunk, chunk.count)
            if count > 0 {
                buffer += chunk[..<count]
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                isAtEnd = true
            }
        }
    }

    func readSecret(prompt: String) -> String? {
        if case .line(let line) = readLine(prompt: { prompt }) { return line }
        return nil
    }

    func remember(_ line: String, persist: Bool) {}
}

/// A person at a terminal, through libedit.
final class EditorInput: InputSource {
    let editor: LineEditor

    init(editor: LineEditor) {
        self.editor = editor
    }

    var isInteractive: Bool { true }

    func readLine(prompt: @escaping () -> String) -> LineEditor.ReadResult {
        editor.prompt = prompt
        return editor.readLine()
    }

    func readSecret(prompt: String) -> String? {
        editor.readSecret(prompt: prompt)
    }

    func remember(_ line: String, persist: Bool) {
        editor.addToHistory(line, persist: persist)
    }
}
