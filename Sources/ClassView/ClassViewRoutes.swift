import SMTPCore
import SMTPServer

/// What each address of the class view answers, decided without a socket (so tests call it).
///
///     GET /                          the page for the projector (HTML, live through /api/events)
///     GET /api/sessions              every session kept, oldest first, with its annotated steps
///     GET /api/sessions/ID           one session
///     GET /api/messages              every message kept, oldest first, as stored
///     GET /api/messages/ID           one message
///     GET /api/messages/ID/raw       one message's octets as stored (message/rfc822)
///     GET /api/students              each client address with the lesson goals its sessions reached
///     GET /api/events                server-sent events: `session` and `message`, each {"id": …}
///     GET /api/status                counts: sessions, open sessions, messages, event listeners
///     GET /fragment/sessions/ID      one session's section of the page (the handout renderer's)
///     GET /fragment/messages         the messages' section of the page
///     GET /fragment/students         the students' section of the page
///
/// Nothing changes anything: every other method is 405.
public struct ClassViewRoutes: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        init(_ status: Int, _ contentType: String, _ body: String) {
            self.status = status
            self.contentType = contentType
            self.body = Array(body.utf8)
        }

        init(_ status: Int, _ contentType: String, octets: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = octets
        }
    }

    public enum Answer: Sendable {
        case response(Response)
        /// Start the event stream.
        case events
    }

    static let json = "application/json; charset=utf-8"
    static let html = "text/html; charset=utf-8"

    public let record: ClassRecord

    public init(record: ClassRecord) {
        self.record = record
    }

    /// - Parameter scriptNonce: the page's inline script runs only with this nonce (its
    ///   Content-Security-Policy says so), so nothing injected into the page could run.
    public func answer(method: String, path fullPath: String, scriptNonce: String = "") -> Answer {
        guard method == "GET" || method == "HEAD" else {
            return .response(Response(405, Self.json, JSONText.encode(["error": "the class view is read-only"])))
        }
        let path = fullPath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? fullPath
        let parts = path.split(separator: "/").map(String.init)
        switch parts.count {
        case 0:
            return .response(
                Response(
                    200, Self.html,
                    DashboardPage.page(
                        sessions: record.sessions, students: record.students, messages: record.messages,
                        scriptNonce: scriptNonce)))
        case 2 where parts == ["api", "sessions"]:
            return .response(Response(200, Self.json, JSONText.encode(record.sessions.map(\.jsonObject))))
        case 3 where parts[0...1] == ["api", "sessions"]:
            guard let id = Int(parts[2]), let session = record.session(id) else { return notFound(path) }
            return .response(Response(200, Self.json, JSONText.encode(session.jsonObject)))
        case 2 where parts == ["api", "students"]:
            return .response(Response(200, Self.json, JSONText.encode(record.students.map(Self.studentObject))))
        case 2 where parts == ["fragment", "students"]:
            return .response(
                Response(200, Self.html, DashboardPage.studentsSection(record.students)))
        case 2 where parts == ["api", "messages"]:
            return .response(Response(200, Self.json, JSONText.encode(record.messages.map(Self.messageObject))))
        case 3 where parts[0...1] == ["api", "messages"]:
            guard let message = record.message(parts[2]) else { return notFound(path) }
            return .response(Response(200, Self.json, JSONText.encode(Self.messageObject(message))))
        case 4 where parts[0...1] == ["api", "messages"] && parts[3] == "raw":
            guard let message = record.message(parts[2]) else { return notFound(path) }
            return .response(Response(200, "message/rfc822", octets: message.octets))
        case 2 where parts == ["api", "events"]:
            return .events
        case 2 where parts == ["api", "status"]:
            let sessions = record.sessions
            let status: [String: Any] = [
                "ehlo": EhloVersion.current, "sessions": sessions.count,
                "openSessions": sessions.filter(\.isOpen).count, "messages": record.messages.count,
                "listeners": record.subscriberCount, "studentsDropped": record.studentsDropped,
            ]
            return .response(Response(200, Self.json, JSONText.encode(status)))
        case 3 where parts[0...1] == ["fragment", "sessions"]:
            guard let id = Int(parts[2]), let session = record.session(id) else { return notFound(path) }
            return .response(Response(200, Self.html, DashboardPage.sessionSection(session)))
        case 2 where parts == ["fragment", "messages"]:
            return .response(Response(200, Self.html, DashboardPage.messagesSection(record.messages)))
        default:
            return notFound(path)
        }
    }

    private func notFound(_ path: String) -> Answer {
        .response(Response(404, Self.json, JSONText.encode(["error": "nothing at \(path)"])))
    }

    static func studentObject(_ student: ClassRecord.Student) -> [String: Any] {
        [
            "address": student.address, "sessions": student.sessions, "earlierSessions": student.earlierSessions,
            "lessons": student.lessons.map(\.jsonObject),
        ]
    }

    /// A message for the API: its envelope, and its text as stored (invalid UTF-8 replaced; the
    /// octets themselves are at `…/raw`).
    static func messageObject(_ message: ClassRecord.StoredMessage) -> [String: Any] {
        [
            "id": message.id, "session": message.session, "time": RFC3339.format(message.time),
            "sender": message.sender, "recipients": message.recipients, "octets": message.octets.count,
            "text": String(decoding: message.octets, as: UTF8.self),
        ]
    }
}
