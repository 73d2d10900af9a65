import Foundation
import LineEditor
import SMTPCore

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
    /// Where the next line starts in `buffer`: lines are read in place, and the bytes before
    /// this dropped once per read, not once per line (a long message would be quadratic).
    private var readIndex = 0
    private var isAtEnd = false
    var wakeFileDescriptor: Int32 = -1
    /// Shows what arrived; returns true when the script should stop (the session failed).
    var onWake: (() -> Bool)?
    /// Called before the script's input is waited for (the output gathered so far is written).
    var beforeWaiting: (() -> Void)?

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    deinit {
        if fileDescriptor != STDIN_FILENO { close(fileDescriptor) }
    }

    var isInteractive: Bool { false }

    func readLine(prompt: @escaping () -> String) -> LineEditor.ReadResult {
        while true {
            if let newline = buffer.withUnsafeBufferPointer({
                ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: $0, from: readIndex)
            }) {
                let start = readIndex
                readIndex = newline + 1
                let end = newline > start && buffer[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
                return .line(String(decoding: buffer[start..<end], as: UTF8.self))
            }
            if isAtEnd {
                guard readIndex < buffer.count else { return .endOfInput }
                defer {
                    buffer.removeAll()
                    readIndex = 0
                }
                return .line(String(decoding: buffer[readIndex...], as: UTF8.self))
            }
            beforeWaiting?()
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
            buffer.removeSubrange(..<readIndex)
            readIndex = 0
            let count = readChunk()
            if count > 0 {
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                isAtEnd = true
            }
        }
    }

    /// Reads up to 64 KiB onto the end of `buffer`; returns what `read(2)` returned.
    private func readChunk() -> Int {
        let chunkSize = 64 * 1024
        let end = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress! + end, chunkSize) }
        buffer.removeSubrange((end + max(count, 0))...)
        return count
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
