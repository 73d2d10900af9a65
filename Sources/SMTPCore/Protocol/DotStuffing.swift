/// RFC 5321 §4.5.2: transparency of the message body.
///
/// A body line that starts with a period gets one more period in front on the wire, so that the
/// lone `.` that ends the data can never occur inside the message. The receiver removes it again.
public enum DotStuffing {
    /// The line as it goes on the wire (without its CRLF).
    public static func stuff(_ line: String) -> String {
        line.hasPrefix(".") ? "." + line : line
    }

    public static func stuff(_ line: [UInt8]) -> [UInt8] {
        line.first == UInt8(ascii: ".") ? [UInt8(ascii: ".")] + line : line
    }

    /// The line a receiver stores for a wire line.
    public static func unstuff(_ line: String) -> String {
        line.hasPrefix(".") ? String(line.dropFirst()) : line
    }

    /// Where the stored line starts in a wire line of bytes: after its first period, if it starts
    /// with one, else at its start. The line is given without its CRLF, in place (a slice of the
    /// receive buffer), so the receiver copies the stored octets once.
    ///
    /// RFC 5321 §4.5.2: "If the first character is a period and there are other characters on the
    /// line, the first character is deleted." A line holding only the period is the end of the data
    /// (see `isEndOfData(_:)`), never stored, so it needs no case of its own here.
    public static func unstuffedStart<Line: Collection<UInt8>>(of line: Line) -> Line.Index {
        line.first == UInt8(ascii: ".") ? line.index(after: line.startIndex) : line.startIndex
    }

    /// The line a receiver stores for a wire line of bytes (without its CRLF).
    public static func unstuff<Line: Collection<UInt8>>(_ line: Line) -> Line.SubSequence {
        line[unstuffedStart(of: line)...]
    }

    /// Whether a wire line (without its CRLF) is the lone period that ends the data (RFC 5321 §4.1.1.4).
    public static func isEndOfData<Line: Collection<UInt8>>(_ line: Line) -> Bool {
        line.first == UInt8(ascii: ".") && line.dropFirst().isEmpty
    }

    /// The end-of-data indication: CRLF . CRLF (the first CRLF ends the last body line).
    public static let terminator: [UInt8] = Array(".\r\n".utf8)
}

/// Turns a message body of any size, in chunks of any size, into its wire form.
///
/// Line endings are normalised to CRLF (a bare CR or LF, or CRLF, all end a line), every line
/// that starts with a period is stuffed (RFC 5321 §4.5.2), and `finish()` adds a final CRLF if
/// the body did not end with one, then the terminating `.` line. Every other octet (NUL, 8-bit)
/// passes through as it is. Memory use is one chunk, whatever the body's size; a CRLF or a
/// stuffed line split between two chunks comes out as if the body had come whole.
///
/// ### Why runs, not bytes?
/// The encoder sits between a file and the wire for every octet of `/send`. It finds each line
/// end with `memchr` and copies the run of octets before it in one go, so that the cost per
/// octet is that of a copy, and the few decisions (a period at a line start, CR, LF) are taken
/// once per line.
public struct BodyEncoder: Sendable {
    private var atLineStart = true
    private var previousWasCR = false
    private var sawAnyByte = false
    /// Octets of the message on the wire so far: the body lines with their CRLFs, without the final `.` line.
    public private(set) var bodyOctets = 0

    public init() {}

    public mutating func encode(_ chunk: some Sequence<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        encode(chunk, into: &output)
        return output
    }

    /// Appends the wire form of `chunk` to `output` (which the caller may reuse from chunk to chunk).
    public mutating func encode(_ chunk: some Sequence<UInt8>, into output: inout [UInt8]) {
        if chunk.withContiguousStorageIfAvailable({ encode($0, into: &output) }) == nil {
            Array(chunk).withUnsafeBufferPointer { encode($0, into: &output) }
        }
    }

    /// Appends the wire form of the octets at `bytes` to `output`.
    public mutating func encode(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        let before = output.count
        output.reserveCapacity(before + bytes.count + bytes.count / 32 + 16)
        let count = bytes.count
        var index = 0
        if previousWasCR, count > 0, bytes[0] == UInt8(ascii: "\n") {
            // The LF of a CRLF split between chunks: its CRLF is on the wire already.
            index = 1
        }
        if count > 0 {
            previousWasCR = false
            sawAnyByte = true
        }
        // The next LF at or after `index` (count: none); found once, used by every line before it.
        var nextLF = -1
        while index < count {
            if nextLF < index { nextLF = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: bytes, from: index) ?? count }
            let runEnd =
                ByteScan.firstIndex(
                    of: UInt8(ascii: "\r"), in: UnsafeBufferPointer(rebasing: bytes[..<nextLF]), from: index)
                ?? nextLF
            if runEnd > index {
                if atLineStart, bytes[index] == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<runEnd]))
                atLineStart = false
            }
            guard runEnd < count else { break }
            output.append(0x0D)
            output.append(0x0A)
            atLineStart = true
            if bytes[runEnd] == UInt8(ascii: "\r") {
                if runEnd + 1 == count {
                    previousWasCR = true
                    index = count
                } else {
                    index = bytes[runEnd + 1] == UInt8(ascii: "\n") ? runEnd + 2 : runEnd + 1
                }
            } else {
                index = runEnd + 1
            }
        }
        bodyOctets += output.count - before
    }

    /// The bytes that end the data: a CRLF if the last line lacked one, then `.` CRLF.
    public mutating func finish() -> [UInt8] {
        let lineEnd: [UInt8] = (atLineStart || !sawAnyByte) ? [] : [0x0D, 0x0A]
        bodyOctets += lineEnd.count
        atLineStart = true
        return lineEnd + DotStuffing.terminator
    }
}
