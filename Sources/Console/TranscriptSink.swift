import Foundation
import LineEditor
import SMTPCore

/// The transcript file: every entry is written with one `write(2)` as it happens, so a crash,
/// SIGKILL or a dropped connection leaves a complete file up to that moment.
final class TranscriptSink {
    struct OpenError: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    private let fd: Int32
    private var formatter: TranscriptFormatter
    private(set) var hasFailed = false

    /// Opens `path` for a new transcript; an existing file is refused unless `append` is set.
    init(path: String, formatter: TranscriptFormatter, append: Bool) throws(OpenError) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_EXCL)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            let failure = errno
            let reason = String(cString: strerror(failure))
            var status = stat()
            if failure == EEXIST, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                throw OpenError(description: "cannot create transcript \(path): it is a directory")
            }
            if failure == EEXIST {
                throw OpenError(
                    description:
                        "transcript \(path) exists; ehlo never overwrites one: add --append to add to it, or choose another name"
                )
            }
            throw OpenError(description: "cannot create transcript \(path): \(reason)")
        }
        self.path = path
        self.fd = fd
        self.formatter = formatter
    }

    deinit {
        close(fd)
    }

    /// Infers the format from the name: `.jsonl` (or `.json`) is JSON Lines, anything else text.
    static func format(forPath path: String) -> TranscriptFormatter.Format {
        path.hasSuffix(".jsonl") || path.hasSuffix(".json") ? .jsonl : .text
    }

    /// The header names a connection not made yet: the first one made is that one.
    private var isFirstConnectionPending = false

    /// Writes the header. Returns a warning to show if the write failed.
    ///
    /// - Parameter isConnected: the header describes a connection open already, or none; false:
    ///   the one about to be made.
    func start(connection: RecordedConnection, isConnected: Bool, time: Double) -> String? {
        isFirstConnectionPending = !isConnected && connection.server != nil
        return write(formatter.header(connection: connection, time: time))
    }

    /// A connection was opened: every one after the header's gets a header of its own, so that
    /// replay reaches each server as the session did.
    func connected(_ connection: RecordedConnection, time: Double) -> String? {
        if isFirstConnectionPending {
            isFirstConnectionPending = false
            return nil
        }
        return write(formatter.header(connection: connection, time: time, isFirst: false))
    }

    /// Writes one entry. Returns a warning to show the first time a write fails.
    func record(_ entry: TranscriptEntry) -> String? {
        write(formatter.format(entry))
    }

    /// Writes entries that happened together (the lines of one block of a message) with one
    /// `write(2)`. Returns a warning to show the first time a write fails.
    func record(_ entries: [TranscriptEntry]) -> String? {
        var text = ""
        for entry in entries { text += formatter.format(entry) }
        return write(text)
    }

    /// Writes message lines sent together (see `TranscriptFormatter.messageLines`) with one `write(2)`.
    func recordMessageLines(_ lines: [String], time: Double) -> String? {
        write(formatter.messageLines(lines, time: time))
    }

    private func write(_ text: String) -> String? {
        guard !text.isEmpty, let failure = Terminal.writeAll(Array(text.utf8), to: fd) else { return nil }
        defer { hasFailed = true }
        let reason = String(cString: strerror(failure))
        return hasFailed
            ? nil : "transcript \(path): cannot write (\(reason)); the session goes on, the transcript is incomplete"
    }
}
