import NIOConcurrencyHelpers
import SMTPCore

@testable import SMTPServer

/// A greylist for one test, on a clock the test moves (`clock.withLockedValue { $0 += 5 }`).
final class TestGreylist: GreylistMemory {
    let clock = NIOLockedValueBox(1000.0)
    private let greylist: LockedGreylist

    init(delay: Int = 0) {
        let clock = clock
        greylist = LockedGreylist(delay: delay, now: { clock.withLockedValue { $0 } })
    }

    func attempt(_ key: String) -> GreylistVerdict { greylist.attempt(key) }

    func wait(_ seconds: Double) { clock.withLockedValue { $0 += seconds } }
}

extension ServerSessionStateMachine {
    /// A session as a test wants it: greeted already, the demo user, TLS offered.
    static func test(
        _ configure: (inout SessionConfiguration) -> Void = { _ in }, greylist: TestGreylist = TestGreylist(),
        clientAddress: ClientAddress = .ip("192.0.2.1")
    ) -> ServerSessionStateMachine {
        var configuration = SessionConfiguration()
        configure(&configuration)
        return ServerSessionStateMachine(
            configuration: configuration, clientAddress: clientAddress, nonce: "n0nce", greylist: greylist)
    }

    /// Sends one line with CRLF; returns every action.
    mutating func line(_ text: String) -> [Action] {
        bytesReceived(Array((text + "\r\n").utf8))
    }

    /// Sends one line with CRLF; returns the codes of the replies.
    mutating func codes(_ text: String) -> [Int] {
        line(text).replies.map(\.code)
    }

    /// Sends one line and returns the single reply it got.
    mutating func reply(_ text: String) -> ServerReply? {
        let replies = line(text).replies
        return replies.count == 1 ? replies[0] : nil
    }

    /// Greets and says EHLO.
    mutating func open(_ hello: String = "EHLO client.test") {
        _ = connectionAccepted()
        _ = line(hello)
    }
}

extension Array where Element == ServerSessionStateMachine.Action {
    var replies: [ServerReply] {
        compactMap {
            if case .send(let reply) = $0 { return reply }
            return nil
        }
    }

    var codes: [Int] { replies.map(\.code) }

    var deliveredMessage: ReceivedMessage? {
        for case .deliver(let message) in self { return message }
        return nil
    }

    var closes: Bool { contains(.close) }
}
