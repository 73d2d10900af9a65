/// One line from the server, without its line ending, and what was wrong with its framing.
public struct SMTPLine: Hashable, Sendable {
    public var bytes: [UInt8]
    public var problems: [ReplyProblem]

    public init(bytes: [UInt8], problems: [ReplyProblem] = []) {
        self.bytes = bytes
        self.problems = problems
    }

    public init(_ text: String, problems: [ReplyProblem] = []) {
        self.init(bytes: Array(text.utf8), problems: problems)
    }
}

/// Splits the byte stream from the server into lines, with a hard limit on line length.
///
/// RFC 5321 ends lines with CRLF. A bare LF also ends a line here (servers that send one are
/// what ehlo exists to show), but the line is flagged. A line longer than `maximumLineLength`
/// is delivered cut at that length and flagged, and the rest of it is counted and dropped, so
/// a hostile server cannot make the console buffer without bound:
///
///     bytes:   2 5 0 - a \r \n 2 5 0 ␠ b \n x x x … (70 000 bytes, no LF) … \r \n
///     lines:   "250-a"         "250 b" (bare LF)  "xxx…" (cut at the limit, rest dropped)
///
/// The 512-octet limit of RFC 5321 §4.5.3.1.5 is judged by `ReplyParser`, not here: an overlong
/// but complete line is still shown whole.
public struct LineFramer: Sendable {
    public let maximumLineLength: Int
    /// Bytes received; those before `readIndex` are lines already delivered.
    private var buffer: [UInt8] = []
    /// Where the next line starts in `buffer`.
    private var readIndex = 0
    /// Where the search for the next LF goes on: `buffer[readIndex..<scanIndex]` holds none.
    private var scanIndex = 0
    /// The start of an overlong line, kept while the rest of it is dropped.
    private var cut: [UInt8]?
    private var droppedOctets = 0

    public init(maximumLineLength: Int = 16 * 1024) {
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes received but not yet part of a complete line (RFC 3207 §6: must be zero when TLS starts).
    public var bufferedByteCount: Int { buffer.count - readIndex + (cut?.count ?? 0) }

    /// ### Why a read index?
    /// A burst of pipelined replies (RFC 2920) arrives in one read. Removing each line from the
    /// front of the buffer would move the rest of the burst once per line, and searching from
    /// the start again would rescan bytes already known to hold no LF: quadratic in the burst.
    /// Lines are read in place instead, and the delivered bytes are dropped once per read.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 0 {
            buffer.removeSubrange(..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line, or nil until more bytes arrive.
    public mutating func nextLine() -> SMTPLine? {
        guard let newline = nextLineFeed() else {
            scanIndex = buffer.count
            dropOverlongPrefix()
            return nil
        }
        let hasCR = newline > readIndex && buffer[newline - 1] == UInt8(ascii: "\r")
        let contentEnd = hasCR ? newline - 1 : newline
        let length = contentEnd - readIndex
        var problems: [ReplyProblem] = hasCR ? [] : [.bareLineFeed]
        var content: [UInt8]
        if let start = cut {
            content = start
            problems.insert(.truncated(droppedOctets: droppedOctets + length), at: 0)
            cut = nil
            droppedOctets = 0
        } else if length > maximumLineLength {
            content = Array(buffer[readIndex..<(readIndex + maximumLineLength)])
            problems.insert(.truncated(droppedOctets: length - maximumLineLength), at: 0)
        } else {
            content = Array(buffer[readIndex..<contentEnd])
        }
        readIndex = newline + 1
        scanIndex = readIndex
        return SMTPLine(bytes: content, problems: problems)
    }

    /// The connection ended: whatever is left, as a last line flagged for its missing ending.
    public mutating func finish() -> SMTPLine? {
        let rest = buffer[readIndex...]
        defer {
            buffer = []
            readIndex = 0
            scanIndex = 0
            cut = nil
            droppedOctets = 0
        }
        if let start = cut {
            return SMTPLine(
                bytes: start, problems: [.truncated(droppedOctets: droppedOctets + rest.count), .noLineEnding])
        }
        guard !rest.isEmpty else { return nil }
        if rest.count > maximumLineLength {
            return SMTPLine(
                bytes: Array(rest.prefix(maximumLineLength)),
                problems: [.truncated(droppedOctets: rest.count - maximumLineLength), .noLineEnding])
        }
        return SMTPLine(bytes: Array(rest), problems: [.noLineEnding])
    }

    /// The index of the next LF at or after the next line's start, searching only bytes not searched yet.
    private func nextLineFeed() -> Int? {
        let from = max(scanIndex, readIndex)
        return buffer.withUnsafeBufferPointer { ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: $0, from: from) }
    }

    /// With no line end in sight, keep only the start of an overlong line.
    private mutating func dropOverlongPrefix() {
        // A trailing CR may be the start of the line's CRLF: it does not make the line overlong.
        let pendingCR = buffer.last == UInt8(ascii: "\r") ? 1 : 0
        if cut == nil, buffer.count - readIndex - pendingCR > maximumLineLength {
            cut = Array(buffer[readIndex..<(readIndex + maximumLineLength)])
            readIndex += maximumLineLength
        }
        guard cut != nil else { return }
        // Keep a trailing CR: it may pair with the LF of the next read.
        let keep = buffer.count > readIndex && buffer.last == UInt8(ascii: "\r") ? 1 : 0
        droppedOctets += buffer.count - readIndex - keep
        readIndex = buffer.count - keep
        scanIndex = buffer.count
    }
}
