import Foundation

/// Writes a session as text (the plain form of the screen) or as JSON Lines.
///
/// Text is exactly what the console shows without colour: `C:`/`S:` in RFC 5321 Appendix D
/// notation, `#` annotations, `*` events, `!` warnings, one line per event, optionally prefixed
/// with a timestamp. Wire lines are in ehlo's visible form (C-style escapes, backslash doubled),
/// which `VisibleText.unescape` reverses, so a transcript can be replayed byte for byte.
///
/// JSON Lines has one object per event; a reply is one object with its lines, code, enhanced
/// code, meaning and the command it answers. Keys are sorted so that files compare cleanly.
public struct TranscriptFormatter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case text
        case jsonl
    }

    public enum Timestamps: String, Sendable, CaseIterable {
        case none
        /// RFC 3339 UTC time with milliseconds before each line.
        case absolute
        /// Seconds since the start before each line; replies add their latency.
        case relative
    }

    public var format: Format
    public var timestamps: Timestamps
    /// False keeps only the header and the `C:`/`S:` lines.
    public var includesAnnotations: Bool
    /// False records secrets as they were sent (`--no-redact`); the header says so.
    public var redactsSecrets: Bool
    private var start: Double?

    public init(
        format: Format = .text, timestamps: Timestamps = .none, includesAnnotations: Bool = true,
        redactsSecrets: Bool = true
    ) {
        self.format = format
        self.timestamps = timestamps
        self.includesAnnotations = includesAnnotations
        self.redactsSecrets = redactsSecrets
    }

    /// The line that starts a transcript, and each further connection in it.
    ///
    /// - Parameter isFirst: the transcript's first line: relative timestamps count from it.
    public mutating func header(connection: RecordedConnection, time: Double, isFirst: Bool = true) -> String {
        if isFirst || start == nil { start = time }
        let secrets = redactsSecrets ? "secrets redacted" : "SECRETS NOT REDACTED (--no-redact)"
        switch format {
        case .text:
            let text =
                "ehlo \(EhloVersion.current) transcript of \(connection.headerText), started \(RFC3339.format(time)), \(secrets)"
            return prefix(time: time, latency: nil) + DisplayLine(.event, text).plain + "\n"
        case .jsonl:
            var object = TranscriptJSONObject(time: time, type: "header")
            object.ehlo = EhloVersion.current
            object.server = connection.server ?? RecordedConnection.noServer
            object.redacted = redactsSecrets
            if connection.isImplicitTLS { object.tls = "implicit" }
            object.sni = connection.serverName
            if connection.sessionProtocol == .lmtp { object.protocol = "lmtp" }
            object.proxy = connection.proxy?.rawValue
            object.proxyFrom = connection.proxyClient?.description
            return json(object)
        }
    }

    /// The lines for one entry (possibly none, e.g. an annotation with `--no-annotations`).
    public mutating func format(_ entry: TranscriptEntry) -> String {
        if start == nil { start = entry.time }
        switch (format, entry.content) {
        case (.text, .client(let shown, let wire)):
            return prefix(time: entry.time, latency: nil) + DisplayLine(.client, redactsSecrets ? shown : wire).plain
                + "\n"
        case (.text, .reply(let reply)):
            var output = ""
            for (index, line) in reply.lines.enumerated() where includesAnnotations || line.kind == .server {
                output += prefix(time: entry.time, latency: index == 0 ? reply.latency : nil) + line.plain + "\n"
            }
            return output
        case (.text, .line(let line)):
            guard includesAnnotations || line.kind == .client || line.kind == .server else { return "" }
            return prefix(time: entry.time, latency: nil) + line.plain + "\n"
        case (.jsonl, .client(let shown, let wire)):
            var object = TranscriptJSONObject(time: entry.time, type: "client")
            object.line = redactsSecrets ? shown : wire
            return json(object)
        case (.jsonl, .reply(let reply)):
            let outcome = reply.outcome
            var object = TranscriptJSONObject(time: entry.time, type: "reply")
            object.lines = outcome.reply.lines.map(\.visible)
            object.code = outcome.reply.code
            object.meaning = ReplyCodeTable.title(outcome.reply.code)
            object.context = outcome.meaning
            object.next = outcome.nextSteps
            if let row = ReplyCodeTable.row(outcome.reply.code) {
                object.plain = row.plain + (row.advice.map { " " + $0 } ?? "")
            }
            if let enhanced = outcome.reply.enhancedCode {
                object.enhanced = enhanced.description
                let row = EnhancedStatusTable.row(for: enhanced)
                object.enhancedMeaning = row?.title(statusClass: enhanced.statusClass)
                object.enhancedPlain = row?.plainWords(statusClass: enhanced.statusClass)
            }
            let causes = ReplyCauseTable.recognise(outcome.reply)
            if !causes.isEmpty { object.causes = causes.map(\.name) }
            if let answered = outcome.answered {
                object.answers = outcome.isPipelined ? answered.detailedName : answered.name
            }
            // LMTP and PRDR: the reply after the message is this recipient's.
            object.recipient = outcome.recipient?.address
            if !outcome.stillAwaited.isEmpty { object.awaited = outcome.stillAwaited }
            object.latencyMs = reply.latency.map { Int(($0 * 1000).rounded()) }
            let warnings = reply.lines.filter { $0.kind == .warning }.map(\.text)
            if !warnings.isEmpty { object.warnings = warnings }
            return json(object)
        case (.jsonl, .line(let line)):
            guard includesAnnotations || line.kind == .client || line.kind == .server else { return "" }
            var object = TranscriptJSONObject(time: entry.time, type: line.kind.rawValue)
            object.line = line.text
            return json(object)
        }
    }

    /// Message lines sent together at `time` (a block of `/send`), each as `format` gives a
    /// `.client` entry whose shown and wire forms are the same, in one string.
    ///
    /// ### Why not `format` for each?
    /// A message of a gigabyte has millions of lines; building an entry and a prefix for each
    /// bounded how fast a recorded `/send` went. The text is the same, byte for byte.
    public mutating func messageLines(_ lines: [String], time: Double) -> String {
        if start == nil { start = time }
        guard format == .text else {
            let stamp = RFC3339.format(time)
            return lines.map { line in
                var object = TranscriptJSONObject(stamp: stamp, type: "client")
                object.line = line
                return json(object)
            }.joined()
        }
        let linePrefix = prefix(time: time, latency: nil) + DisplayLine.Kind.client.prefix
        var output = ""
        output.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count } + lines.count * (linePrefix.utf8.count + 1))
        for line in lines {
            output += linePrefix
            output += line
            output += "\n"
        }
        return output
    }

    private func prefix(time: Double, latency: Double?) -> String {
        switch timestamps {
        case .none:
            return ""
        case .absolute:
            return RFC3339.format(time) + " "
        case .relative:
            let elapsed = String(format: "+%.3fs", time - (start ?? time))
            guard let latency else { return elapsed + " " }
            return elapsed + String(format: " (%.3fs)", latency) + " "
        }
    }

    private func json(_ object: TranscriptJSONObject) -> String {
        guard let data = try? TranscriptJSONObject.encoder.encode(object) else {
            preconditionFailure("transcript objects hold only strings, numbers, booleans and arrays")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// RFC 3339 timestamps in UTC with milliseconds, e.g. `2026-11-29T10:47:03.120Z`.
public enum RFC3339 {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    public static func format(_ secondsSince1970: Double) -> String {
        // The style truncates to milliseconds: round first, then aim inside the millisecond.
        let milliseconds = (secondsSince1970 * 1000).rounded()
        return Date(timeIntervalSince1970: (milliseconds + 0.5) / 1000).formatted(style)
    }

    public static func parse(_ text: String) -> Double? {
        (try? style.parse(text))?.timeIntervalSince1970
    }
}
