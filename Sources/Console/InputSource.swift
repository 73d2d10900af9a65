import Foundation
import LineEditor

/// Where the console's lines come from: a person at a terminal, or a script.
protocol InputSource: AnyObject {
    /// Whether lines are echoed as `C:` (a script) or were already seen as typed (a person).
    var isInteractive: Bool { get }
    func readLine(prompt: @escaping () -> String) -> LineEditor.ReadResult
    /// A line that must not be echoed or stored (an answer to a 334 challenge).
    func readSecret(prompt: String) -> String?
    func remember(_ line: String)
}

/// Reads a script: a file or a pipe, line by line, never blocking past its end.
final class ScriptInput: InputSource {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var isAtEnd = false

    init(handle: FileHandle) {
        self.handle = handle
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
                let line = buffer
                buffer.removeAll()
                return .line(String(decoding: line, as: UTF8.self))
            }
            let chunk = handle.availableData
            if chunk.isEmpty { isAtEnd = true } else { buffer += chunk }
        }
    }

    func readSecret(prompt: String) -> String? {
        if case .line(let line) = readLine(prompt: { prompt }) { return line }
        return nil
    }

    func remember(_ line: String) {}
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

    func remember(_ line: String) {
        editor.addToHistory(line)
    }
}
