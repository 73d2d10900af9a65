import Foundation
import NIOConcurrencyHelpers
import SMTPCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where accepted messages go.
public enum MessageDestination: Hashable, Sendable {
    /// A Maildir (tmp/, new/, cur/): each message is written to tmp/, synced, then renamed into new/.
    case maildir(String)
    /// Standard output, between marker lines, through the event log.
    case standardOutput
    /// Nowhere: accepted and dropped.
    case discard
    /// Kept in memory only, the most recent `keeping` messages, for the console's `--practice`
    /// and its `/mailbox` (`RunningPracticeServer.storedMessages()`), on the `MessageShelf`.
    case memory(keeping: Int)
}

/// Stores accepted messages with their trace headers (RFC 5321 §4.4). Runs on a thread pool.
final class MessageStore: Sendable {
    struct StoreError: Error, CustomStringConvertible {
        let description: String
        /// The file system is full, the quota is used up, or the file is over RLIMIT_FSIZE.
        var isNoRoom = false
    }

    let destination: MessageDestination
    let domain: String
    private let log: EventLog
    private let sequence = NIOLockedValueBox(0)
    private let hostName: String
    private let startSecond = Int(Date().timeIntervalSince1970)
    /// Where every stored message is also kept in memory (`.memory`, the class view), if anywhere.
    let shelf: MessageShelf?

    init(destination: MessageDestination, domain: String, log: EventLog, shelf: MessageShelf? = nil) throws {
        self.destination = destination
        self.domain = domain
        self.log = log
        self.shelf = shelf
        hostName = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "\\057")
            .replacingOccurrences(of: ":", with: "\\072")
        if case .maildir(let directory) = destination {
            for folder in ["", "/tmp", "/new", "/cur"] {
                try FileManager.default.createDirectory(
                    atPath: directory + folder, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            }
            let removed = Self.removeStaleTemporaryFiles(in: directory + "/tmp", hostName: hostName)
            if removed > 0 {
                log.write("removed \(removed) unfinished message(s) left in \(directory)/tmp by a server that stopped")
            }
        }
    }

    /// Deletes what a killed server left in tmp/: never a message (only new/ holds those), only
    /// the part of one that was being written.
    ///
    /// A file is stale when this host wrote it (its name says `P<pid>` and the host, as
    /// `store(_:)` names them) and that process is gone, or when it is older than 36 hours, the
    /// age after which maildir(5) tells every reader to delete a tmp/ file.
    static func removeStaleTemporaryFiles(in folder: String, hostName: String, now: Date = Date()) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names {
            let path = folder + "/" + name
            var isStale = false
            if name.hasSuffix("." + hostName), let writer = Self.writerProcess(of: name) {
                // Nothing is being written yet by this process, so its own pid (reused) is stale too.
                isStale = writer == getpid() || (kill(writer, 0) != 0 && errno == ESRCH)
            }
            if !isStale,
                let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            {
                isStale = now.timeIntervalSince(modified) > 36 * 3600
            }
            if isStale, unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    /// The pid in a name `store(_:)` made: `<seconds>.M<micros>P<pid>Q<n>.<host>`.
    static func writerProcess(of name: String) -> pid_t? {
        let first = name.split(separator: ".", maxSplits: 2)
        guard first.count >= 2, let p = first[1].firstIndex(of: "P"), let q = first[1].firstIndex(of: "Q"), p < q
        else { return nil }
        return pid_t(first[1][first[1].index(after: p)..<q])
    }

    /// Stores the message, and keeps it on the shelf; returns its queue id and the octets stored
    /// (trace headers, then the content with LF line ends). Nothing is visible in new/ unless all
    /// of it is written, nor on the shelf unless it is stored.
    ///
    /// - Parameter session: the number of the session that sent it.
    @discardableResult
    func store(_ message: ReceivedMessage, session: Int = 0) throws -> (id: String, text: [UInt8]) {
        let number = sequence.withLockedValue { value -> Int in
            value += 1
            return value
        }
        let id = String(startSecond, radix: 36).uppercased() + "." + String(number)
        let now = Date()
        let text = Self.traceHeaders(message, id: id, domain: domain, date: now) + Self.unixLineEndings(message.content)
        switch destination {
        case .discard, .memory:
            break
        case .standardOutput:
            let recipients = message.recipients.map { "<\($0)>" }.joined(separator: ", ")
            log.write(
                "----- message \(id) from <\(message.sender)> to \(recipients), \(message.content.count) octets\n"
                    + String(decoding: text, as: UTF8.self) + (text.last == 0x0A ? "" : "\n")
                    + "----- end of message \(id)")
        case .maildir(let directory):
            let seconds = Int(now.timeIntervalSince1970)
            let micros = Int(now.timeIntervalSince1970 * 1_000_000) % 1_000_000
            let unique = "\(seconds).M\(micros)P\(getpid())Q\(number).\(hostName)"
            try Self.writeAtomically(text, temporary: "\(directory)/tmp/\(unique)", final: "\(directory)/new/\(unique)")
        }
        shelf?.add(
            StoredMessage(
                id: id, sender: message.sender, recipients: message.recipients, octets: text, session: session,
                time: now.timeIntervalSince1970))
        return (id, text)
    }

    /// The messages `.memory` keeps, oldest first: the newest `keeping` of the shelf (empty for
    /// other destinations, whose messages are elsewhere).
    var storedMessages: [StoredMessage] {
        guard case .memory(let keeping) = destination, let shelf else { return [] }
        return Array(shelf.messages.suffix(keeping))
    }

    /// Maildir (and Unix mail in general) stores lines ending in LF.
    static func unixLineEndings(_ content: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(content.count)
        var index = 0
        while index < content.count {
            let byte = content[index]
            if byte == 0x0D, index + 1 < content.count, content[index + 1] == 0x0A {
                index += 1
                continue
            }
            result.append(byte)
            index += 1
        }
        return result
    }

    /// RFC 5321 §4.4: Return-Path, and a Received line naming both ends, the protocol (RFC 3848),
    /// the id and, for a single recipient, the recipient. A client of a UNIX-domain socket has no
    /// TCP-info, so its name stands alone.
    static func traceHeaders(_ message: ReceivedMessage, id: String, domain: String, date: Date) -> [UInt8] {
        var lines = ["Return-Path: <\(message.sender)>"]
        lines += message.recipients.map { "Delivered-To: \($0)" }
        let authenticated = message.authenticatedUser.map { " (authenticated as \($0))" } ?? ""
        let recipient = message.recipients.count == 1 ? "\n\tfor <\(message.recipients[0])>" : ""
        let tcpInfo = message.clientAddress.tcpInfo.map { " (\($0))" } ?? ""
        lines.append(
            "Received: from \(message.heloName)\(tcpInfo)\(authenticated)\n"
                + "\tby \(domain) (ehlo practice server) with \(message.protocolName) id \(id)\(recipient);\n"
                + "\t\(rfc5322Date(date))")
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// RFC 5322 §3.3 date-time, in UTC.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// Writes tmp/, fsyncs, renames into new/ (the Maildir delivery protocol): a crash leaves at
    /// most a file in tmp/, never half a message in new/.
    static func writeAtomically(_ bytes: [UInt8], temporary: String, final: String) throws {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw StoreError(description: "cannot create \(temporary): \(errorText())") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let isNoRoom = [ENOSPC, EDQUOT, EFBIG].contains(errno)
                let reason = errorText()
                close(descriptor)
                unlink(temporary)
                throw StoreError(description: "cannot write \(temporary): \(reason)", isNoRoom: isNoRoom)
            }
            written += result
        }
        guard fsync(descriptor) == 0 else {
            let isNoRoom = [ENOSPC, EDQUOT].contains(errno)
            let reason = errorText()
            close(descriptor)
            unlink(temporary)
            throw StoreError(description: "cannot sync \(temporary): \(reason)", isNoRoom: isNoRoom)
        }
        close(descriptor)
        guard rename(temporary, final) == 0 else {
            let reason = errorText()
            unlink(temporary)
            throw StoreError(description: "cannot move the message into new/: \(reason)")
        }
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
