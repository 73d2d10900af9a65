import Foundation

/// A recorded session, read back from a text or JSON Lines transcript for `ehlo replay`.
public struct RecordedSession: Sendable {
    public enum Step: Hashable, Sendable {
        /// A line the client sent, as on the wire (body lines still dot-stuffed).
        case client(line: [UInt8], isRedacted: Bool, sourceLine: Int)
        /// A reply the server gave.
        case reply(SMTPReply, sourceLine: Int)
        /// A further connection begins (`/connect`, or a transcript grown with `--append`).
        case newSession(RecordedConnection, sourceLine: Int)
    }

    /// How the first session reached its server, as the first header says.
    public var connection = RecordedConnection(server: nil)
    public var steps: [Step]

    /// The server named in the first header, e.g. `127.0.0.1:2525`.
    public var server: String? { connection.server }

    /// A header: the first (or the first to name a server, before anything was recorded) says
    /// how the session connected; each later one starts another session.
    mutating func begin(_ connection: RecordedConnection, sourceLine: Int) {
        if steps.isEmpty, self.connection.server == nil {
            self.connection = connection
        } else {
            steps.append(.newSession(connection, sourceLine: sourceLine))
        }
    }

    public var clientLineCount: Int {
        steps.reduce(0) { count, step in
            if case .client = step { return count + 1 }
            return count
        }
    }
}

public enum TranscriptReader {
    public struct ReadError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Reads either format: JSON Lines when the first non-empty line starts with `{`. Lines end
    /// in LF or CRLF (a transcript saved on Windows, or by an editor that writes CRLF).
    public static func read(_ text: String) throws(ReadError) -> RecordedSession {
        // Cut on the octets: as Characters, CR LF is one grapheme that is not "\n", so a CRLF
        // file would be a single line.
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)
        }
        if lines.first(where: { !$0.isEmpty })?.hasPrefix("{") == true {
            return try readJSONLines(lines)
        }
        return readText(lines)
    }

    private static func readText(_ lines: [String]) -> RecordedSession {
        var session = RecordedSession(steps: [])
        var parser = ReplyParser()
        for (index, rawLine) in lines.enumerated() {
            let line = withoutTimestamp(rawLine)
            if line.hasPrefix("C: ") {
                let text = String(line.dropFirst(3))
                session.steps.append(
                    .client(line: VisibleText.unescape(text), isRedacted: isRedacted(text), sourceLine: index + 1))
            } else if line.hasPrefix("S: ") {
                if case .reply(let reply) = parser.parse(line: VisibleText.unescape(String(line.dropFirst(3)))) {
                    session.steps.append(.reply(reply, sourceLine: index + 1))
                }
            } else if line.hasPrefix("*  ehlo "), let range = line.range(of: " transcript of ") {
                let fields = line[range.upperBound...].components(separatedBy: ", ").map { Substring($0) }
                let connection = fields.prefix { !$0.hasPrefix("started ") }
                session.begin(RecordedConnection(headerFields: Array(connection)), sourceLine: index + 1)
            }
        }
        return session
    }

    private static func readJSONLines(_ lines: [String]) throws(ReadError) -> RecordedSession {
        var session = RecordedSession(steps: [])
        for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let data = line.data(using: .utf8),
                let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            else { throw ReadError(line: index + 1, reason: "not a JSON object") }
            switch object["type"] as? String {
            case "header":
                let server = object["server"] as? String
                let connection = RecordedConnection(
                    server: server == RecordedConnection.noServer ? nil : server,
                    isImplicitTLS: object["tls"] as? String == "implicit", serverName: object["sni"] as? String,
                    sessionProtocol: object["protocol"] as? String == "lmtp" ? .lmtp : .smtp,
                    proxy: (object["proxy"] as? String).flatMap(ProxyHeader.Version.init(rawValue:)),
                    proxyClient: (object["proxy_from"] as? String).flatMap(ProxyHeader.Endpoint.init(parsing:)))
                session.begin(connection, sourceLine: index + 1)
            case "client":
                guard let text = object["line"] as? String else {
                    throw ReadError(line: index + 1, reason: "a client event without \"line\"")
                }
                session.steps.append(
                    .client(line: VisibleText.unescape(text), isRedacted: isRedacted(text), sourceLine: index + 1))
            case "reply":
                guard let texts = object["lines"] as? [String], !texts.isEmpty else {
                    throw ReadError(line: index + 1, reason: "a reply without \"lines\"")
                }
                var parser = ReplyParser()
                for text in texts {
                    if case .reply(let reply) = parser.parse(line: VisibleText.unescape(text)) {
                        session.steps.append(.reply(reply, sourceLine: index + 1))
                    }
                }
            default:
                continue
            }
        }
        return session
    }

    /// A line recorded with a secret left out: `<redacted>` alone or after `AUTH MECHANISM`.
    static func isRedacted(_ text: String) -> Bool {
        text == Redactor.placeholder
            || text.hasSuffix(" " + Redactor.placeholder) && SMTPCommand(line: text).verb == .auth
    }

    /// Strips `2026-11-29T10:47:03.120Z ` or `+1.234s ` / `+1.234s (0.045s) ` from the start.
    static func withoutTimestamp(_ line: String) -> Substring {
        var rest = Substring(line)
        if let first = rest.first, first.isASCIIDigit || first == "+", let space = rest.firstIndex(of: " ") {
            let stamp = rest[..<space]
            if RFC3339.parse(String(stamp)) != nil || (stamp.hasPrefix("+") && stamp.hasSuffix("s")) {
                rest = rest[rest.index(after: space)...]
                if rest.hasPrefix("("), let close = rest.firstIndex(of: ")") {
                    rest = rest[rest.index(after: close)...].drop { $0 == " " }
                }
            }
        }
        return rest
    }
}
