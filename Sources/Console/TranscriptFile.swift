import Foundation
import SMTPCore

/// A transcript file read a block at a time, line by line, with where each line lies in it:
/// `ehlo replay` reads it once to plan the replay, then again for each message's lines as it
/// sends them, so what it holds does not grow with the messages recorded.
final class TranscriptFile {
    /// How much is read at a time.
    static let blockOctets = 1024 * 1024

    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    private let fd: Int32

    /// Opens a regular file; nil if it cannot be read.
    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
    }

    deinit {
        close(fd)
    }

    /// Calls `body` with each line of `range` (the whole file if nil) in order: its text without
    /// the LF (a line that is not UTF-8 is read as `String(decoding:as:)` reads it), and the
    /// offsets it takes, LF included. A last line without an LF is a line too. Stops when `body`
    /// returns false; returns whether it went to the end.
    func forEachLine(
        in range: Range<Int>? = nil, _ body: (Substring, Range<Int>) async throws -> Bool
    ) async throws -> Bool {
        var offset = range?.lowerBound ?? 0
        let end = range?.upperBound ?? Int.max
        var block: [UInt8] = []
        /// Where the next line starts, in `block`; `offset` is where `block` starts in the file.
        var lineStart = 0
        /// How much of `block` is known to hold no LF (a long line is scanned once, not once a block).
        var scanned = 0
        var buffer = [UInt8](repeating: 0, count: Self.blockOctets)
        while true {
            let wanted = min(buffer.count, end - offset - block.count)
            let count = try wanted <= 0 ? 0 : read(into: &buffer, count: wanted, at: off_t(offset + block.count))
            if count == 0 {
                guard lineStart < block.count else { return true }
                let text = Substring(String(decoding: block[lineStart...], as: UTF8.self))
                return try await body(text, (offset + lineStart)..<(offset + block.count))
            }
            block.append(contentsOf: buffer[..<count])
            var scanFrom = scanned
            while let lineFeed = block.withUnsafeBufferPointer({
                ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: $0, from: scanFrom)
            }) {
                let text = Substring(String(decoding: block[lineStart..<lineFeed], as: UTF8.self))
                guard try await body(text, (offset + lineStart)..<(offset + lineFeed + 1)) else { return false }
                lineStart = lineFeed + 1
                scanFrom = lineStart
            }
            // What is left is the start of a line the next block finishes.
            block.removeSubrange(..<lineStart)
            offset += lineStart
            lineStart = 0
            scanned = block.count
        }
    }

    private func read(into buffer: inout [UInt8], count: Int, at position: off_t) throws -> Int {
        while true {
            let result = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, position) }
            if result >= 0 { return result }
            if errno != EINTR { throw ReadError(description: String(cString: strerror(errno))) }
        }
    }
}
