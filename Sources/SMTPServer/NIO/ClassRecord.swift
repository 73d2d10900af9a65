import Foundation
import NIOConcurrencyHelpers
import SMTPCore

/// What the class view (`ehlo serve --dashboard`) shows: every session as the server saw it,
/// annotated by SMTPCore as the console annotates it, and the messages exactly as stored.
///
/// The sessions' handlers report to it from their event loops; the dashboard reads it from its
/// own, and subscribers hear of each change. Old sessions and messages are dropped past a limit,
/// so a server that runs for days in CI keeps a bounded amount.
public final class ClassRecord: Sendable {
    /// A message as the store wrote it: trace headers, then the content with LF line ends.
    public struct StoredMessage: Hashable, Sendable {
        public let id: String
        /// The session that sent it.
        public let session: Int
        public let time: Double
        public let sender: String
        public let recipients: [String]
        public let text: [UInt8]
    }

    /// A student as the class view knows one: a client address, with the lesson goals its
    /// sessions reached, fed all its sessions' events in the order they came (a lesson may take
    /// several connections: the retry after greylisting, a second try at STARTTLS).
    ///
    /// ### Why the address?
    /// Nothing else the server sees stays the same across a student's sessions: the EHLO name is
    /// whatever was typed, and AUTH is a lesson of its own. In a classroom each student's machine
    /// has its own address; behind one NAT (or all on one machine) they count as one student.
    public struct Student: Sendable {
        /// The client's address without its port: `192.168.1.23`, `::1`.
        public let address: String
        public internal(set) var sessions: [Int] = []
        var tracker = LessonTracker()

        public var lessons: [HandoutSession.LessonStatus] { tracker.statuses }
    }

    /// What changed, for the live event stream.
    public enum Change: Hashable, Sendable {
        case session(Int)
        case message(String)
    }

    public struct Subscription: Hashable, Sendable {
        let number: Int
    }

    struct State {
        var annotators: [Int: SessionAnnotator] = [:]
        /// Session numbers, oldest first.
        var order: [Int] = []
        var messages: [StoredMessage] = []
        var messageOctets = 0
        var students: [String: Student] = [:]
        var studentOrder: [String] = []
        /// Each session's student.
        var studentOf: [Int: String] = [:]
        var subscribers: [Int: @Sendable (Change) -> Void] = [:]
        var nextSubscriber = 0
    }

    public static let sessionsKept = 500
    public static let messagesKept = 500
    public static let messageOctetsKept = 64 * 1024 * 1024
    public static let studentsKept = 1000

    private let state = NIOLockedValueBox(State())
    private let now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.now = now
    }

    // MARK: Reading

    /// Every session kept, oldest first.
    public var sessions: [HandoutSession] {
        state.withLockedValue { state in state.order.compactMap { state.annotators[$0]?.session } }
    }

    public func session(_ number: Int) -> HandoutSession? {
        state.withLockedValue { $0.annotators[number]?.session }
    }

    /// Every student, in the order of their first session.
    public var students: [Student] {
        state.withLockedValue { state in state.studentOrder.compactMap { state.students[$0] } }
    }

    /// Every message kept, oldest first.
    public var messages: [StoredMessage] {
        state.withLockedValue { $0.messages }
    }

    public func message(_ id: String) -> StoredMessage? {
        state.withLockedValue { state in state.messages.first { $0.id == id } }
    }

    /// How many listen to the changes (pages open on the class view, API clients on its events).
    public var subscriberCount: Int {
        state.withLockedValue { $0.subscribers.count }
    }

    /// Calls `handler` (on the reporting thread) after every change, until `unsubscribe`.
    public func subscribe(_ handler: @escaping @Sendable (Change) -> Void) -> Subscription {
        state.withLockedValue { state in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = handler
            return Subscription(number: state.nextSubscriber)
        }
    }

    public func unsubscribe(_ subscription: Subscription) {
        _ = state.withLockedValue { $0.subscribers.removeValue(forKey: subscription.number) }
    }

    // MARK: Reports from the sessions

    func sessionOpened(_ number: Int, client: String, server: String) {
        let session = HandoutSession(id: number, client: client, server: server, startedAt: now())
        let address = Self.host(of: client)
        change(.session(number)) { state in
            state.annotators[number] = SessionAnnotator(session)
            state.order.append(number)
            while state.order.count > Self.sessionsKept {
                let old = state.order.removeFirst()
                state.annotators.removeValue(forKey: old)
                state.studentOf.removeValue(forKey: old)
            }
            if state.students[address] == nil {
                state.students[address] = Student(address: address)
                state.studentOrder.append(address)
                if state.studentOrder.count > Self.studentsKept {
                    state.students.removeValue(forKey: state.studentOrder.removeFirst())
                }
            }
            state.students[address]?.sessions.append(number)
            state.studentOf[number] = address
            state.feedStudent(of: number)
        }
    }

    func bytesReceived(_ number: Int, _ bytes: [UInt8]) {
        let time = now()
        change(.session(number)) { state in
            state.annotators[number]?.bytesReceived(bytes, at: time)
            state.feedStudent(of: number)
        }
    }

    func replySent(_ number: Int, _ reply: ServerReply) {
        let time = now()
        change(.session(number)) { state in
            state.annotators[number]?.replySent(lines: reply.lines, at: time)
            state.feedStudent(of: number)
        }
    }

    func tlsEstablished(_ number: Int) {
        let time = now()
        change(.session(number)) { state in
            state.annotators[number]?.tlsEstablished(at: time)
            state.feedStudent(of: number)
        }
    }

    func sessionClosed(_ number: Int) {
        let time = now()
        change(.session(number)) { state in
            state.annotators[number]?.connectionClosed(at: time)
            state.feedStudent(of: number)
        }
    }

    func messageStored(_ number: Int, id: String, message: ReceivedMessage, text: [UInt8]) {
        let stored = StoredMessage(
            id: id, session: number, time: now(), sender: message.sender, recipients: message.recipients, text: text)
        change(.message(id)) { state in
            state.messages.append(stored)
            state.messageOctets += text.count
            while state.messages.count > Self.messagesKept
                || (state.messageOctets > Self.messageOctetsKept && state.messages.count > 1)
            {
                state.messageOctets -= state.messages.removeFirst().text.count
            }
        }
    }

    /// `192.0.2.7:4000` → `192.0.2.7`, `[::1]:4000` → `::1`; a socket's path stays whole.
    static func host(of client: String) -> String {
        if client.hasPrefix("["), let close = client.firstIndex(of: "]") {
            return String(client[client.index(after: client.startIndex)..<close])
        }
        if !client.hasPrefix("unix:"), let colon = client.lastIndex(of: ":"), !client[..<colon].contains(":") {
            return String(client[..<colon])
        }
        return client
    }

    private func change(_ change: Change, _ body: (inout State) -> Void) {
        let subscribers = state.withLockedValue { state in
            body(&state)
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber(change) }
    }
}

extension ClassRecord.State {
    /// The lesson events the session's annotator saw go to its student's lessons too.
    mutating func feedStudent(of number: Int) {
        guard let events = annotators[number]?.takeLessonEvents(), let address = studentOf[number] else { return }
        for event in events { _ = students[address]?.tracker.record(event) }
    }
}
