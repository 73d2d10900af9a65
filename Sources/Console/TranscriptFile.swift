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

    /// Calls `body` with each line of `range` (the whole file if nil) in order (see `Lines`).
    /// Stops when `body` returns false; returns whether it went to the end.
    func forEachLine(in range: Range<Int>? = nil, _ body: (Substring, Range<Int>) throws -> Bool) throws -> Bool {
        var lines = self.lines(in: range)
        while let (text, offsets) = try lines.next() {
            guard try body(text, offsets) else { return false }
        }
        return true
    }

    /// The lines of `range` (the whole file if nil), read a block at a time.
    func lines(in range: Range<Int>? = nil) -> Lines {
        Lines(file: self, range: range)
    }

    /// Each line of a range of the file in turn: its text without the LF (a line that is not
    /// UTF-8 is read as `String(decoding:as:)` reads it), and the offsets it takes, LF included.
    /// A last line without an LF is a line too.
    struct Lines {
        private let file: TranscriptFile
        /// Where `block` starts in the file.
        private var offset: Int
        private let end: Int
        private var block: [UInt8] = []
        /// Where the next line starts, in `block`.
        private var lineStart = 0
        /// How much of `block` is known to hold no LF (a long line is scanned once, not once a block).
        private var scanned = 0
        private var buffer = [UInt8](repeating: 0, count: TranscriptFile.blockOctets)
        private var isAtEnd = false

        fileprivate init(file: TranscriptFile, range: Range<Int>?) {
            self.file = file
            offset = range?.lowerBound ?? 0
            end = range?.upperBound ?? Int.max
        }

        mutating func next() throws -> (Substring, Range<Int>)? {
            while !isAtEnd {
                if let lineFeed = block.withUnsafeBufferPointer({
                    ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: $0, from: max(scanned, lineStart))
                }) {
                    let text = Substring(String(decoding: block[lineStart..<lineFeed], as: UTF8.self))
                    let offsets = (offset + lineStart)..<(offset + lineFeed + 1)
                    lineStart = lineFeed + 1
                    return (text, offsets)
                }
                // What is left is the start of a line the next block finishes.
                block.removeSubrange(..<lineStart)
                offset += lineStart
                lineStart = 0
                scanned = block.count
                let wanted = min(buffer.count, end - offset - block.count)
                let count = try wanted <= 0 ? 0 : file.read(into: &buffer, count: wanted, at: off_t(offset + block.count))
                if count == 0 {
                    isAtEnd = true
                    guard !block.isEmpty else { return nil }
                    let text = Substring(String(decoding: block, as: UTF8.self))
                    return (text, offset..<(offset + block.count))
                }
                block.append(contentsOf: buffer[..<count])
            }
            return nil
        }
    }

    fileprivate func read(into buffer: inout [UInt8], count: Int, at position: off_t) throws -> Int {
        while true {
            let result = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, position) }
            if result >= 0 { return result }
            if errno != EINTR { throw ReadError(description: String(cString: strerror(errno))) }
        }
    }
}
