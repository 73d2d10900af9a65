import NIOConcurrencyHelpers
import SMTPCore

/// The messages the practice server keeps in memory, oldest first: the one copy that the
/// console's `/mailbox` (`--practice`) and the class view (`--dashboard`) both read.
///
/// Bounded by count and by octets, the oldest dropped first (the newest is always kept, however
/// large), so a server that runs for days keeps a bounded amount. A reader that shows fewer
/// (`/mailbox` shows the last `.memory(keeping:)`) takes the newest it shows.
public final class MessageShelf: Sendable {
    /// The most messages kept.
    public let countKept: Int
    /// The most octets kept (all messages' together).
    public let octetsKept: Int

    private struct Kept {
        var messages: [StoredMessage] = []
        var octets = 0
    }

    private let kept = NIOLockedValueBox(Kept())

    public init(keeping count: Int, octets: Int = 64 * 1024 * 1024) {
        countKept = max(1, count)
        octetsKept = octets
    }

    func add(_ message: StoredMessage) {
        kept.withLockedValue { kept in
            kept.messages.append(message)
            kept.octets += message.octets.count
            var drop = 0
            while kept.messages.count - drop > countKept || (kept.octets > octetsKept && kept.messages.count - drop > 1)
            {
                kept.octets -= kept.messages[drop].octets.count
                drop += 1
            }
            kept.messages.removeFirst(drop)
        }
    }

    /// Every message kept, oldest first.
    public var messages: [StoredMessage] {
        kept.withLockedValue { $0.messages }
    }

    public func message(_ id: String) -> StoredMessage? {
        kept.withLockedValue { kept in kept.messages.first { $0.id == id } }
    }

    /// The shelf a server's store keeps its messages on: the class view's when there is one
    /// (`.memory` then reads its newest), one of its own for `.memory`, else none.
    static func kept(for configuration: PracticeServerConfiguration) -> MessageShelf? {
        if let record = configuration.record { return record.shelf }
        if case .memory(let keeping) = configuration.destination { return MessageShelf(keeping: keeping) }
        return nil
    }
}
