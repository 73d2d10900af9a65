import Foundation
import LineEditor
import SMTPCore

/// What `/save-script` writes, kept as the session goes: a `SessionScript` whose lines go to a
/// temporary file once they pass `heldOctetsLimit`, so a session that sends a message of a
/// gigabyte does not hold it in memory for a script that may never be saved.
///
/// The spool is unlinked as soon as it is made: it is gone when ehlo ends, however it ends.
/// Without a place for it (no writable temporary directory), the lines stay in memory.
final class SavedScript {
    /// Lines beyond this many octets go to the spool.
    static let heldOctetsLimit = 1024 * 1024

    private var script = SessionScript()
    /// The spool's descriptor; -1 before it is needed, or when it could not be made.
    private var spool: Int32 = -1
    private var isSpoolUnavailable = false
    /// Why a write to the spool failed (`errno`): the lines it had are lost, and a save says so.
    private var spoolFailure: Int32?

    deinit {
        if spool >= 0 { close(spool) }
    }

    func commandSent(_ command: SMTPCommand) {
        script.commandSent(command)
        spoolIfLong()
    }

    func consoleCommandRun(_ line: String) {
        script.consoleCommandRun(line)
        spoolIfLong()
    }

    func messageLineSent(_ line: String) {
        script.messageLineSent(line)
        spoolIfLong()
    }

    func replyCompleted(_ reply: SMTPReply, answering source: ReplySource?) {
        script.replyCompleted(reply, answering: source)
        spoolIfLong()
    }

    /// Writes the script (header, the lines spooled, the lines held) to `fd`. Returns why it
    /// could not, if it could not.
    func write(to fd: Int32, server: String?, time: Double) -> String? {
        if let spoolFailure {
            return "the session's lines could not be kept in \(NSTemporaryDirectory()): \(Self.reason(spoolFailure))"
        }
        if let failure = Terminal.writeAll(Array(SessionScript.header(server: server, time: time).utf8), to: fd) {
            return Self.reason(failure)
        }
        if spool >= 0 {
            var block = [UInt8](repeating: 0, count: 256 * 1024)
            var offset: off_t = 0
            while true {
                let count = block.withUnsafeMutableBytes { pread(spool, $0.baseAddress, $0.count, offset) }
                if count < 0, errno == EINTR { continue }
                if count < 0 { return Self.reason(errno) }
                if count == 0 { break }
                offset += off_t(count)
                if let failure = Terminal.writeAll(Array(block[..<count]), to: fd) { return Self.reason(failure) }
            }
        }
        // Held lines stay held: the script may be saved again, to another file, later.
        var held = script
        return Terminal.writeAll(Array(held.takeHeldText().utf8), to: fd).map(Self.reason)
    }

    private static func reason(_ failure: Int32) -> String {
        String(cString: strerror(failure))
    }

    private func spoolIfLong() {
        guard script.heldOctets > Self.heldOctetsLimit else { return }
        guard spoolFailure == nil else {
            _ = script.takeHeldText()
            return
        }
        guard openSpool() else { return }
        if let failure = Terminal.writeAll(Array(script.takeHeldText().utf8), to: spool) {
            // Lines that cannot be spooled are not held either: a save says they are lost.
            spoolFailure = failure
        }
    }

    private func openSpool() -> Bool {
        if spool >= 0 { return true }
        guard !isSpoolUnavailable else { return false }
        var template = Array(
            (NSTemporaryDirectory() as NSString).appendingPathComponent("ehlo-script-XXXXXX").utf8CString)
        spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard spool >= 0 else {
            isSpoolUnavailable = true
            return false
        }
        _ = fcntl(spool, F_SETFD, FD_CLOEXEC)
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        return true
    }
}
