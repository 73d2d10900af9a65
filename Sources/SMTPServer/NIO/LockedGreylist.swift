import NIOConcurrencyHelpers

/// The greylist shared by every session of one server.
final class LockedGreylist: GreylistMemory {
    private let seen = NIOLockedValueBox(Set<String>())

    func isFirstAttempt(_ key: String) -> Bool {
        seen.withLockedValue { $0.insert(key).inserted }
    }
}
