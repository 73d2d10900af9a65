import Foundation
import NIOConcurrencyHelpers

/// A greylist with a clock: one per connection, or one for the server (`--greylist-reset`).
final class LockedGreylist: GreylistMemory {
    /// When each triplet was first tried, in seconds of `now`.
    private let firstAttempts = NIOLockedValueBox([String: Double]())
    private let delay: Double
    private let now: @Sendable () -> Double
    /// A server-wide list drops its oldest half past this many triplets, so a flood of senders
    /// cannot grow it without bound.
    static let capacity = 10_000

    init(delay: Int, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.delay = Double(max(0, delay))
        self.now = now
    }

    func attempt(_ key: String) -> GreylistVerdict {
        let time = now()
        return firstAttempts.withLockedValue { seen in
            guard let first = seen[key] else {
                if seen.count >= Self.capacity {
                    for (old, _) in seen.sorted(by: { $0.value < $1.value }).prefix(Self.capacity / 2) {
                        seen.removeValue(forKey: old)
                    }
                }
                seen[key] = time
                return .refused(isFirstAttempt: true, secondsLeft: Int(delay.rounded(.up)))
            }
            let elapsed = time - first
            guard elapsed < delay else { return .passed }
            return .refused(isFirstAttempt: false, secondsLeft: max(1, Int((delay - elapsed).rounded(.up))))
        }
    }
}
