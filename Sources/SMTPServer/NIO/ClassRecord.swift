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
    public typealias StoredMessage = SMTPCore.StoredMessage

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
        /// The numbers of its latest sessions, oldest first: at most `sessionsPerStudentKept`.
        public internal(set) var sessions: [Int] = []
        /// Its sessions before those, counted only (their lesson goals still count).
        public internal(set) var earlierSessions = 0
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
        var students: [String: Student] = [:]
        var studentOrder: [String] = []
        /// Students dropped past `studentsKept`, oldest first.
        var studentsDropped = 0
        /// Each session's student.
        var studentOf: [Int: String] = [:]
        var subscribers: [Int: @Sendable (Change) -> Void] = [:]
        var nextSubscriber = 0
    }

    public static let sessionsKept = 500
    public static let messagesKept = 500
    public static let messageOctetsKept = 64 * 1024 * 1024
    public static let studentsKept = 1000
    /// The session numbers listed per student; with `studentsKept`, at most 50,000 in all.
    public static let sessionsPerStudentKept = 50

    private let state = NIOLockedValueBox(State())
    private let now: @Sendable () -> Double
    /// Where the server's store keeps the messages the class view shows: the store writes it,
    /// the class view reads it, nothing keeps a second copy.
    public let shelf: MessageShelf

    public init(
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        shelf: MessageShelf = MessageShelf(keeping: ClassRecord.messagesKept, octets: ClassRecord.messageOctetsKept)
    ) {
        self.now = now
        self.shelf = shelf
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
        shelf.messages
    }

    public func message(_ id: String) -> StoredMessage? {
        shelf.message(id)
    }

    /// Students no longer listed (past `studentsKept`, the ones seen first).
    public var studentsDropped: Int {
        state.withLockedValue { $0.studentsDropped }
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
                    state.studentsDropped += 1
                }
            }
            state.students[address]?.sessionOpened(number)
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

    /// The store put a message on the shelf.
    func messageStored(_ number: Int, id: String) {
        change(.message(id)) { _ in }
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

extension ClassRecord.Student {
    mutating func sessionOpened(_ number: Int) {
        sessions.append(number)
        if sessions.count > ClassRecord.sessionsPerStudentKept {
            sessions.removeFirst()
            earlierSessions += 1
        }
    }
}
