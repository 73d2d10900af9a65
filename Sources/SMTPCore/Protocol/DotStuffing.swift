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
/// that starts with a period is stuffed, and `finish()` adds a final CRLF if the body did not end
/// with one, then the terminating `.` line. Memory use is one chunk, whatever the body's size.
public struct BodyEncoder: Sendable {
    private var atLineStart = true
    private var previousWasCR = false
    private var sawAnyByte = false
    /// Octets of the message on the wire so far: the body lines with their CRLFs, without the final `.` line.
    public private(set) var bodyOctets = 0

    public init() {}

    public mutating func encode(_ chunk: some Sequence<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.underestimatedCount + 16)
        for byte in chunk {
            sawAnyByte = true
            switch byte {
            case UInt8(ascii: "\n"):
                if previousWasCR {
                    previousWasCR = false
                    continue
                }
                output += [0x0D, 0x0A]
                atLineStart = true
            case UInt8(ascii: "\r"):
                output += [0x0D, 0x0A]
                atLineStart = true
                previousWasCR = true
                continue
            default:
                if atLineStart, byte == UInt8(ascii: ".") {
                    output.append(UInt8(ascii: "."))
                }
                output.append(byte)
                atLineStart = false
            }
            previousWasCR = false
        }
        bodyOctets += output.count
        return output
    }

    /// The bytes that end the data: a CRLF if the last line lacked one, then `.` CRLF.
    public mutating func finish() -> [UInt8] {
        let lineEnd: [UInt8] = (atLineStart || !sawAnyByte) ? [] : [0x0D, 0x0A]
        bodyOctets += lineEnd.count
        atLineStart = true
        return lineEnd + DotStuffing.terminator
    }
}
