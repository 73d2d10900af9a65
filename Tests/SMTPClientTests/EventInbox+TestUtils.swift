import Foundation

@testable import SMTPClient

extension EventInbox {
    /// The oldest event, waiting up to `seconds` for one; nil if none came. For synchronous
    /// tests only: it blocks the thread (the TLS tests, whose certificate check needs the pool, sleep instead).
    func next(within seconds: TimeInterval = 5) -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let event = takeFirst() { return event }
            usleep(2000)
        }
        return nil
    }
}
