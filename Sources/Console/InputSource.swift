import Foundation
import LineEditor
import NIOCore
import NIOPosix
import SMTPClient
import SMTPCore

/// Where the console's lines come from: a person at a terminal, or a script.
protocol InputSource: AnyObject {
    /// Whether lines are echoed as `C:` (a script) or were already seen as typed (a person).
    var isInteractive: Bool { get }
    func readLine(prompt: @escaping () -> String) async -> LineEditor.ReadResult
    /// A line that must not be echoed or stored (an answer to a 334 challenge).
    func readSecret(prompt: String) async -> String?
    /// Adds a line to the history; `persist` false keeps it out of the history file.
    func remember(_ line: String, persist: Bool)
}

/// Reads a script: a file or a pipe, line by line, never blocking past its end.
///
/// While it waits for the next line it also watches `wakeFileDescriptor`, so what the server
/// sends meanwhile (a 421, a closed connection) is shown when it happens, not with the next line.
///
/// The console that reads it runs on the network thread's event loop, which must not block:
/// input that is not there yet (a pipe from a slower program) is waited for on a thread of
/// SwiftNIO's pool, and the console is suspended meanwhile.
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

    func readLine(prompt: @escaping () -> String) async -> LineEditor.ReadResult {
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
            if wakeFileDescriptor >= 0, let onWake {
                switch await Self.waitForReadable(fileDescriptor, or: wakeFileDescriptor, beforeWaiting: beforeWaiting)
                {
                case .failed:
                    continue
                case .woken:
                    if onWake() { return .endOfInput }
                    continue
                case .readable:
                    break
                }
            } else {
                beforeWaiting?()
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

    private enum Readiness: Sendable { case readable, woken, failed }

    /// Whether `input` has something to read (or its end) or `wake` was signalled first. A look
    /// that does not wait comes first; only if neither is ready does a pool thread wait in
    /// `poll(2)`, with `beforeWaiting` run before.
    private static func waitForReadable(
        _ input: Int32, or wake: Int32, beforeWaiting: (() -> Void)?
    ) async -> Readiness {
        let now = poll(input, or: wake, milliseconds: 0)
        guard now == .failed || now == nil else { return now! }
        beforeWaiting?()
        let waited = try? await NIOThreadPool.singleton.runIfActive {
            poll(input, or: wake, milliseconds: -1) ?? .failed
        }
        return waited ?? .failed
    }

    /// One `poll(2)` of both descriptors; nil if it timed out. The wake-up wins a tie: what the
    /// server said comes before the next line.
    private static func poll(_ input: Int32, or wake: Int32, milliseconds: Int32) -> Readiness? {
        var fds = [
            pollfd(fd: input, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        let ready = Foundation.poll(&fds, 2, milliseconds)
        if ready < 0 { return .failed }
        if ready == 0 { return nil }
        return fds[1].revents & Int16(POLLIN) != 0 ? .woken : .readable
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

    func readSecret(prompt: String) async -> String? {
        if case .line(let line) = await readLine(prompt: { prompt }) { return line }
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
