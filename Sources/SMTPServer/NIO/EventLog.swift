import Foundation
import NIOConcurrencyHelpers
import SMTPCore

/// Where the server writes its one line per session event (and, without a maildir, the messages).
///
/// Lines go out whole with one `write(2)` each, never buffered, so a test or a pipe reading the
/// log sees each event as it happens and lines from different sessions never interleave.
public final class EventLog: Sendable {
    private let sink: @Sendable (String) -> Void
    private let lock = NIOLock()

    public init(sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// Writes to standard output.
    public static let standardOutput = EventLog { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes nothing (the console's `--practice` has the screen to itself).
    public static let silent = EventLog { _ in }

    /// Writes `text`, one or more lines. What clients sent (names, commands, message bodies) is
    /// in it, so each line is escaped: a student must not be able to drive the teacher's terminal.
    public func write(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let body = (text.hasSuffix("\n") ? lines.dropLast() : lines[...]).map { line in
            // Tabs stay tabs (header continuations); everything else unprintable is escaped.
            line.split(separator: "\t", omittingEmptySubsequences: false)
                .map { VisibleText.escape(Array($0.utf8)) }.joined(separator: "\t")
        }
        lock.withLock { sink(body.joined(separator: "\n") + "\n") }
    }
}
