import Foundation
import SMTPCore

/// `/send FILE`: DATA, then the file as the message, streamed, then the final dot.
extension Console {
    /// How much of the file is read, encoded and written at a time.
    static let sendChunkOctets = 256 * 1024

    struct SendFileError: Error, CustomStringConvertible {
        let description: String
    }

    /// DATA, then the file as the body (CRLF-normalised, dot-stuffed, streamed), then the dot.
    func sendFile(_ argument: String) async {
        let path = NSString(string: argument).expandingTildeInPath
        guard !argument.isEmpty else {
            emit(.warning, "usage: /send FILE")
            return
        }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
            let handle = FileHandle(forReadingAtPath: path)
        else {
            emit(.warning, "cannot read \(argument)")
            if isScript { fail(.inputUnreadable) }
            return
        }
        defer { try? handle.close() }
        guard session.inputMode == .commands else {
            emit(.warning, "/send starts its own DATA; it needs a session where commands may be sent now")
            return
        }
        await sendCommand("DATA", quiet: true)
        guard session.inputMode == .message, link.isConnected else {
            emit(.event, "the server did not accept DATA; \(argument) was not sent")
            return
        }
        var encoder = BodyEncoder()
        var recorder = WireLineRecorder(isRecording: screen.transcript != nil)
        let fd = handle.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: Self.sendChunkOctets)
        var wire: [UInt8] = []
        wire.reserveCapacity(Self.sendChunkOctets * 2)
        do {
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count < 0 {
                    throw SendFileError(description: "cannot read \(argument): \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                wire.removeAll(keepingCapacity: true)
                chunk.withUnsafeBufferPointer {
                    encoder.encode(UnsafeBufferPointer(rebasing: $0[..<count]), into: &wire)
                }
                try await link.stream(wire, timeout: dataBlockTimeout)
                screen.recordMessageLines(recorder.lines(in: wire))
            }
            // The final dot goes with the end of data, below; its CRLF before it, if the file lacked
            // one. This write returns once every block before it is written too.
            let closing = encoder.finish()
            let lineEnd = Array(closing.dropLast(DotStuffing.terminator.count))
            try await link.write(lineEnd, timeout: dataBlockTimeout)
            screen.recordMessageLines(recorder.lines(in: lineEnd))
        } catch {
            emit(.event, "sending \(argument) failed: \(error)")
            closeConnection(reason: nil)
            fail(.sessionFailed)
            return
        }
        emit(.event, "sent \(argument): \(encoder.bodyOctets) octets on the wire (CRLF, dot-stuffed), then the final .")
        await sendBodyLine(".", quiet: true, tag: nil)
    }
}

/// The transcript's view of a stream of wire octets: each complete line, as if typed, in ehlo's
/// visible notation; an unfinished line waits for the next block.
///
/// The wire form is CRLF-terminated throughout (`BodyEncoder` made it so), so a line is what
/// lies before each CRLF. Lines are cut out by index, once each, and recorded together.
struct WireLineRecorder {
    let isRecording: Bool
    /// The start of a line that the last block did not finish.
    private var partial: [UInt8] = []

    init(isRecording: Bool) {
        self.isRecording = isRecording
    }

    /// The lines `wire` completes, in ehlo's visible notation.
    mutating func lines(in wire: [UInt8]) -> [String] {
        guard isRecording else { return [] }
        var lines: [String] = []
        var start = 0
        wire.withUnsafeBufferPointer { bytes in
            while let lineFeed = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: bytes, from: start) {
                if partial.isEmpty {
                    lines.append(VisibleText.escape(bytes[start..<lineFeed].dropLast()))
                } else {
                    partial += bytes[start..<lineFeed]
                    lines.append(VisibleText.escape(partial.dropLast()))
                    partial.removeAll()
                }
                start = lineFeed + 1
            }
            partial += bytes[start...]
        }
        return lines
    }
}
