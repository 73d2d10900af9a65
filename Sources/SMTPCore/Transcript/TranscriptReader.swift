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

    /// Adds a step as read: a header begins a session (`begin(_:sourceLine:)`).
    public mutating func append(_ step: Step) {
        if case .newSession(let connection, let sourceLine) = step {
            begin(connection, sourceLine: sourceLine)
        } else {
            steps.append(step)
        }
    }

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
        var session = RecordedSession(steps: [])
        var reader = LineByLine()
        // Cut on the octets: as Characters, CR LF is one grapheme that is not "\n", so a CRLF
        // file would be a single line. `steps(in:number:)` drops the CR.
        for (index, line) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            let line = Substring(String(decoding: line, as: UTF8.self))
            for step in try reader.steps(in: line, number: index + 1) { session.append(step) }
        }
        return session
    }

    /// Reads a transcript a line at a time, as a file is read: the steps `read(_:)` finds in the
    /// whole text, without the whole text (`ehlo replay` of a recording with a message of a gigabyte).
    public struct LineByLine: Sendable {
        private enum Format {
            case text
            case jsonLines
        }

        /// Told by the first non-empty line.
        private var format: Format?
        /// A text transcript's replies: a multiline reply is recorded one line at a time.
        private var parser = ReplyParser()

        public init() {}

        /// The steps one line records (none for most of a text transcript's annotations).
        ///
        /// - Parameters:
        ///   - line: the line without its LF; a CR before it is dropped.
        ///   - number: its line number, from 1.
        public mutating func steps(in line: Substring, number: Int) throws(ReadError) -> [RecordedSession.Step] {
            let line = line.withoutCR
            if format == nil {
                guard !line.isEmpty else { return [] }
                format = line.hasPrefix("{") ? .jsonLines : .text
            }
            switch format {
            case .jsonLines?: return try Self.jsonSteps(in: line, number: number)
            case .text?, nil: return textSteps(in: line, number: number)
            }
        }

        /// The text of a text transcript's client line when it needs no decoding (no escapes),
        /// as most message lines do; nil for any other line, and for every line of JSON Lines.
        public func plainClientText(_ line: Substring) -> Substring? {
            guard format == .text else { return nil }
            let line = TranscriptReader.withoutTimestamp(line.withoutCR)
            guard let text = line.afterPrefix("C: ") else { return nil }
            let backslash = UInt8(ascii: "\\")
            let hasEscape = text.utf8.withContiguousStorageIfAvailable { $0.contains(backslash) }
            return (hasEscape ?? text.utf8.contains(backslash)) ? nil : text
        }

        private mutating func textSteps(in rawLine: Substring, number: Int) -> [RecordedSession.Step] {
            let line = TranscriptReader.withoutTimestamp(rawLine)
            if let text = line.afterPrefix("C: ").map(String.init) {
                return [
                    .client(
                        line: VisibleText.unescape(text), isRedacted: TranscriptReader.isRedacted(text),
                        sourceLine: number)
                ]
            } else if let text = line.afterPrefix("S: ") {
                if case .reply(let reply) = parser.parse(line: VisibleText.unescape(String(text))) {
                    return [.reply(reply, sourceLine: number)]
                }
            } else if line.hasPrefix("*  ehlo "), let range = line.range(of: " transcript of ") {
                let fields = line[range.upperBound...].components(separatedBy: ", ").map { Substring($0) }
                let connection = fields.prefix { !$0.hasPrefix("started ") }
                return [.newSession(RecordedConnection(headerFields: Array(connection)), sourceLine: number)]
            }
            return []
        }

        private static func jsonSteps(in line: Substring, number: Int) throws(ReadError) -> [RecordedSession.Step] {
            // Blank: nothing but JSON's whitespace (RFC 8259 §2).
            guard line.utf8.contains(where: { !" \t\r\n".utf8.contains($0) }) else { return [] }
            let decoder = TranscriptJSONObject.decoder
            guard let object = try? decoder.decode(TranscriptJSONObject.self, from: Data(line.utf8)) else {
                throw ReadError(line: number, reason: "not a JSON object")
            }
            switch object.type {
            case "header":
                let connection = RecordedConnection(
                    server: object.server == RecordedConnection.noServer ? nil : object.server,
                    isImplicitTLS: object.tls == "implicit", serverName: object.sni,
                    sessionProtocol: object.protocol == "lmtp" ? .lmtp : .smtp,
                    proxy: object.proxy.flatMap(ProxyHeader.Version.init(rawValue:)),
                    proxyClient: object.proxyFrom.flatMap(ProxyHeader.Endpoint.init(parsing:)))
                return [.newSession(connection, sourceLine: number)]
            case "client":
                guard let text = object.line else {
                    throw ReadError(line: number, reason: "a client event without \"line\"")
                }
                return [
                    .client(
                        line: VisibleText.unescape(text), isRedacted: TranscriptReader.isRedacted(text),
                        sourceLine: number)
                ]
            case "reply":
                guard let texts = object.lines, !texts.isEmpty else {
                    throw ReadError(line: number, reason: "a reply without \"lines\"")
                }
                var parser = ReplyParser()
                return texts.compactMap { text in
                    guard case .reply(let reply) = parser.parse(line: VisibleText.unescape(text)) else { return nil }
                    return .reply(reply, sourceLine: number)
                }
            default:
                return []
            }
        }
    }

    /// A line recorded with a secret left out: `<redacted>` alone or after `AUTH MECHANISM`, as
    /// the writer wrote it (its octets: asked of every line a replay reads).
    static func isRedacted(_ text: String) -> Bool {
        text == Redactor.placeholder
            || text.utf8.reversed().starts(with: redactedSuffix.utf8.reversed()) && SMTPCommand(line: text).verb == .auth
    }

    private static let redactedSuffix = " " + Redactor.placeholder

    /// Strips `2026-11-29T10:47:03.120Z ` or `+1.234s ` / `+1.234s (0.045s) ` from the start.
    static func withoutTimestamp(_ line: Substring) -> Substring {
        var rest = line
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

extension Substring {
    /// The line without the CR of a CR LF line end. (A CR is a grapheme of its own, so the last
    /// octet says as much as the last `Character` would, without walking graphemes back.)
    fileprivate var withoutCR: Substring {
        utf8.last == UInt8(ascii: "\r") ? self[..<utf8.index(before: endIndex)] : self
    }

    /// The rest of the line after `prefix`, compared octet by octet; nil when it does not start so.
    ///
    /// ### Why not `hasPrefix` and `dropFirst`?
    /// They work on `Character`s: a line `C: ` whose text starts with a combining mark (U+0301,
    /// a Hebrew accent) has " " and the mark as one grapheme, so `hasPrefix("C: ")` is false and
    /// the line was not read as the client's; `dropFirst(3)` would drop the mark too.
    fileprivate func afterPrefix(_ prefix: String) -> Substring? {
        guard utf8.starts(with: prefix.utf8) else { return nil }
        return self[utf8.index(startIndex, offsetBy: prefix.utf8.count)...]
    }
}
