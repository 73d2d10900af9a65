import Foundation
import SMTPCore

/// `/send FILE`: DATA, then the file as the message, streamed, then the final dot.
extension Console {
    /// DATA, then the file as the body (CRLF-normalised, dot-stuffed, streamed), then the dot.
    func sendFile(_ argument: String) {
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
        sendCommand("DATA", quiet: true)
        guard session.inputMode == .message, link.isConnected else {
            emit(.event, "the server did not accept DATA; \(argument) was not sent")
            return
        }
        var encoder = BodyEncoder()
        // The transcript gets every wire line, as if typed, without holding the body in memory.
        var unrecorded: [UInt8] = []
        func recordLines(of wire: [UInt8]) {
            guard screen.transcript != nil else { return }
            unrecorded += wire
            while let lineEnd = unrecorded.firstIndex(of: UInt8(ascii: "\n")) {
                let line = unrecorded[..<lineEnd].dropLast()  // without its CR
                let shown = VisibleText.escape(line)
                screen.record(.client(shown: shown, wire: shown))
                unrecorded.removeSubrange(...lineEnd)
            }
        }
        do {
            while true {
                let chunk = try handle.read(upToCount: 64 * 1024) ?? Data()
                if chunk.isEmpty { break }
                let wire = encoder.encode(chunk)
                try link.write(wire, timeout: dataBlockTimeout)
                recordLines(of: wire)
            }
            // The final dot goes with the end of data, below; its CRLF before it, if the file lacked one.
            let closing = encoder.finish()
            let lineEnd = Array(closing.dropLast(DotStuffing.terminator.count))
            try link.write(lineEnd, timeout: dataBlockTimeout)
            recordLines(of: lineEnd)
        } catch {
            emit(.event, "sending \(argument) failed: \(error)")
            closeConnection(reason: nil)
            fail(.sessionFailed)
            return
        }
        emit(.event, "sent \(argument): \(encoder.bodyOctets) octets on the wire (CRLF, dot-stuffed), then the final .")
        sendBodyLine(".", quiet: true, tag: nil)
    }
}
