import Foundation
import NIOConcurrencyHelpers

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

    public func write(_ line: String) {
        lock.withLock { sink(line.hasSuffix("\n") ? line : line + "\n") }
    }
}
