import Foundation
import Testing

@testable import SMTPCore

/// The RFC 5321 Appendix D.1 session, recorded with a fixed clock, against golden files.
/// `EHLO_UPDATE_GOLDEN=1 swift test --filter TranscriptTests` rewrites them.
@Suite struct TranscriptTests {
    static let start = 1_795_000_000.0  // 2026-11-18T11:06:40Z

    /// What the console records for Appendix D.1: events, client lines, replies, 10 ms apart.
    static func appendixDEntries() -> [TranscriptEntry] {
        var session = SessionStateMachine()
        var entries: [TranscriptEntry] = []
        var clock = start
        func tick() -> Double {
            clock += 0.010
            return clock
        }
        func client(_ line: String, command: Bool = true) {
            if command { session.send(line) }
            let shown = VisibleText.escape(Redactor.redact(command: line))
            entries.append(
                TranscriptEntry(time: tick(), content: .client(shown: shown, wire: VisibleText.escape(line))))
        }
        func server(_ reply: SMTPReply) {
            let outcome = session.replyReceived(reply)
            let lines = ReplyAnnotator.lines(for: outcome, level: .full)
            entries.append(
                TranscriptEntry(
                    time: tick(), content: .reply(SMTPSessionReply(outcome: outcome, lines: lines, latency: 0.010))))
        }
        session.connectionOpened()
        entries.append(
            TranscriptEntry(time: tick(), content: .line(DisplayLine(.event, "connected to foo.com (192.0.2.1:25)"))))
        server(SMTPReply(220, "foo.com Simple Mail Transfer Service Ready"))
        client("EHLO bar.com")
        server(SMTPReply(250, "foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"))
        client("MAIL FROM:<Smith@bar.com>")
        server(SMTPReply(250, "OK"))
        client("RCPT TO:<Jones@foo.com>")
        server(SMTPReply(250, "OK"))
        client("RCPT TO:<Green@foo.com>")
        server(SMTPReply(550, "No such user here"))
        client("RCPT TO:<Brown@foo.com>")
        server(SMTPReply(250, "OK"))
        client("DATA")
        server(SMTPReply(354, "Start mail input; end with <CRLF>.<CRLF>"))
        client("Blah blah blah...", command: false)
        client(DotStuffing.stuff("...etc. etc. etc."), command: false)
        client(".", command: false)
        _ = session.endOfDataSent()
        server(SMTPReply(250, "OK"))
        client("QUIT")
        server(SMTPReply(221, "foo.com Service closing transmission channel"))
        entries.append(TranscriptEntry(time: tick(), content: .line(DisplayLine(.event, "connection closed"))))
        return entries
    }

    static func render(_ formatter: TranscriptFormatter) -> String {
        var formatter = formatter
        var text = formatter.header(connection: RecordedConnection(server: "foo.com:25"), time: start)
        for entry in appendixDEntries() { text += formatter.format(entry) }
        return text
    }

    static func golden(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/transcripts/\(name)")
    }

    @Test(arguments: [
        ("appendix-d.txt", TranscriptFormatter(format: .text)),
        ("appendix-d-relative.txt", TranscriptFormatter(format: .text, timestamps: .relative)),
        (
            "appendix-d-protocol-only.txt",
            TranscriptFormatter(format: .text, timestamps: .absolute, includesAnnotations: false)
        ),
        ("appendix-d.jsonl", TranscriptFormatter(format: .jsonl)),
    ])
    func matchesGoldenFile(name: String, formatter: TranscriptFormatter) throws {
        let rendered = Self.render(formatter)
        let url = Self.golden(name)
        if ProcessInfo.processInfo.environment["EHLO_UPDATE_GOLDEN"] == "1" {
            try rendered.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(rendered == expected, "\(name) differs; EHLO_UPDATE_GOLDEN=1 rewrites it")
    }

    @Test func everyJSONLineParses() throws {
        for line in Self.render(TranscriptFormatter(format: .jsonl)).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] is String)
            #expect(object?["type"] is String)
        }
    }

    @Test(arguments: ["appendix-d.txt", "appendix-d-relative.txt", "appendix-d-protocol-only.txt", "appendix-d.jsonl"])
    func readsBackWhatWasRecorded(name: String) throws {
        let text = try String(contentsOf: Self.golden(name), encoding: .utf8)
        let recording = try TranscriptReader.read(text)
        #expect(recording.server == "foo.com:25")
        let clientLines = recording.steps.compactMap { step -> String? in
            if case .client(let line, _, _) = step { return String(decoding: line, as: UTF8.self) }
            return nil
        }
        #expect(
            clientLines == [
                "EHLO bar.com", "MAIL FROM:<Smith@bar.com>", "RCPT TO:<Jones@foo.com>", "RCPT TO:<Green@foo.com>",
                "RCPT TO:<Brown@foo.com>", "DATA", "Blah blah blah...", "....etc. etc. etc.", ".", "QUIT",
            ])
        let codes = recording.steps.compactMap { step -> Int? in
            if case .reply(let reply, _) = step { return reply.code }
            return nil
        }
        #expect(codes == [220, 250, 250, 250, 550, 250, 354, 250, 221])
    }

    @Test func secretsAreRedactedUnlessAskedNotTo() {
        let entry = TranscriptEntry(
            time: Self.start, content: .client(shown: "AUTH PLAIN <redacted>", wire: "AUTH PLAIN AHVzZXIAcGFzcw=="))
        var redacting = TranscriptFormatter()
        #expect(
            redacting.header(connection: RecordedConnection(server: "s"), time: Self.start).contains("secrets redacted")
        )
        #expect(redacting.format(entry) == "C: AUTH PLAIN <redacted>\n")
        var clear = TranscriptFormatter(redactsSecrets: false)
        #expect(
            clear.header(connection: RecordedConnection(server: "s"), time: Self.start).contains("SECRETS NOT REDACTED")
        )
        #expect(clear.format(entry) == "C: AUTH PLAIN AHVzZXIAcGFzcw==\n")
    }

    @Test func appendedSessionsAreReadAsSeparateSessions() throws {
        let text = """
            *  ehlo 0.1.0 transcript of mx.test:25, started 2026-11-18T11:06:40.000Z, secrets redacted
            S: 220 mx.test
            C: QUIT
            S: 221 bye
            *  ehlo 0.1.0 transcript of mx2.test:2525, started 2026-11-19T11:06:40.000Z, secrets redacted
            S: 220 mx2.test
            """
        let recording = try TranscriptReader.read(text)
        #expect(recording.server == "mx.test:25")
        #expect(recording.steps.count == 5)
        #expect(recording.steps[3] == .newSession(RecordedConnection(server: "mx2.test:2525"), sourceLine: 5))
    }

    /// A JSON Lines file edited by hand: a key of another type than the writer's reads as absent
    /// (the header's `tls` is no TLS, its `sni` no name), a blank line (JSON's whitespace, RFC 8259
    /// §2) is skipped, and a line that is no object, or an event without its line or lines, is
    /// an error that names the line.
    @Test func handEditedJSONLinesReadKeyByKey() throws {
        let header = #"{"server":"mx.test:25","sni":["mx"],"tls":5,"type":"header","unknown":{"a":[1]}}"#
        let recording = try TranscriptReader.read(
            [
                header, #"{"lines":["220 mx.test"],"type":"reply"}"#, " \t ",
                #"{"line":"QUIT","time":7,"type":"client"}"#, #"{"lines":["221 bye"],"type":"reply"}"#,
            ].joined(separator: "\n"))
        #expect(recording.connection == RecordedConnection(server: "mx.test:25"))
        #expect(recording.clientLineCount == 1)
        #expect(recording.steps.count == 3)

        #expect(throws: TranscriptReader.ReadError(line: 2, reason: "not a JSON object")) {
            try TranscriptReader.read(header + "\n[\"C: QUIT\"]\n")
        }
        #expect(throws: TranscriptReader.ReadError(line: 2, reason: "a client event without \"line\"")) {
            try TranscriptReader.read(header + "\n" + #"{"line":["QUIT"],"type":"client"}"#)
        }
        #expect(throws: TranscriptReader.ReadError(line: 2, reason: "a reply without \"lines\"")) {
            try TranscriptReader.read(header + "\n" + #"{"lines":["221 bye",5],"type":"reply"}"#)
        }
    }

    /// Found by FuzzTranscript (Fuzz/corpus/FuzzTranscript/finding-proxy-without-version.txt): a
    /// header whose PROXY field has no version crashed the reader.
    @Test func headerWithAProxyFieldButNoVersionReadsAsNoProxy() throws {
        let recording = try TranscriptReader.read(
            "*  ehlo 1 transcript of a:25, PROXY , started x\nC: EHLO x\n")
        #expect(recording.connection == RecordedConnection(server: "a:25"))
        #expect(recording.clientLineCount == 1)
    }

    /// Found by FuzzTranscript (Fuzz/corpus/FuzzTranscript/finding-crlf-*): a transcript with CRLF
    /// line ends (saved on Windows, or by an editor that writes them) read as one line, as Swift
    /// takes CR LF as one Character that is not "\n": nothing to replay, or "not a JSON object".
    @Test(arguments: ["appendix-d.txt", "appendix-d-relative.txt", "appendix-d.jsonl"])
    func crlfLineEndsReadAsLF(name: String) throws {
        let text = try String(contentsOf: Self.golden(name), encoding: .utf8)
        let withCRLF = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(withCRLF != text)
        let recording = try TranscriptReader.read(text)
        #expect(recording.clientLineCount == 10)
        #expect(try TranscriptReader.read(withCRLF).steps == recording.steps)
        #expect(try TranscriptReader.read(withCRLF).connection == recording.connection)
    }

    /// The header says how each connection was made, so replay can make it the same way.
    @Test(arguments: [TranscriptFormatter.Format.text, .jsonl])
    func headersRecordTLSSNIAndProtocolForEachConnection(format: TranscriptFormatter.Format) throws {
        var formatter = TranscriptFormatter(format: format)
        let first = RecordedConnection(server: "mx.test:465", isImplicitTLS: true, serverName: "mail.test")
        let second = RecordedConnection(server: "/run/lmtp", sessionProtocol: .lmtp, proxy: .v1)
        let claimed = try #require(ProxyHeader.Endpoint(parsing: "[2001:db8::7]:4242"))
        let third = RecordedConnection(server: "[::1]:2525", proxy: .v2, proxyClient: claimed)
        var text = formatter.header(connection: RecordedConnection(server: nil), time: Self.start)
        text += formatter.header(connection: first, time: Self.start + 1, isFirst: false)
        text += formatter.format(TranscriptEntry(time: Self.start + 2, content: .client(shown: "QUIT", wire: "QUIT")))
        text += formatter.header(connection: second, time: Self.start + 3, isFirst: false)
        text += formatter.header(connection: third, time: Self.start + 4, isFirst: false)
        if format == .text {
            #expect(text.contains("transcript of no server yet, started"))
            #expect(text.contains("transcript of mx.test:465, implicit TLS, SNI mail.test, started"))
            #expect(text.contains("transcript of /run/lmtp, LMTP, PROXY v1, started"))
            #expect(text.contains("transcript of [::1]:2525, PROXY v2 from [2001:db8::7]:4242, started"))
        }
        let recording = try TranscriptReader.read(text)
        #expect(recording.connection == first)
        #expect(recording.steps.suffix(2) == [.newSession(second, sourceLine: 4), .newSession(third, sourceLine: 5)])
    }

    /// Found by FuzzTranscript (Fuzz/corpus/FuzzTranscript/finding-combining-mark-after-prefix):
    /// a client line whose text starts with a combining mark (a message line in Hebrew, an
    /// accent typed first) has the space of `C: ` and the mark as one Character; the line was
    /// not read as the client's, and replay lost it.
    @Test(arguments: [TranscriptFormatter.Format.text, .jsonl], ["\u{05A4}o", "\u{0301}", "\u{0301}\\x00"])
    func aClientLineStartingWithACombiningMarkReadsBack(format: TranscriptFormatter.Format, text: String) throws {
        var formatter = TranscriptFormatter(format: format)
        var transcript = formatter.header(connection: RecordedConnection(server: "foo.com:25"), time: Self.start)
        for (offset, line) in ["DATA", text].enumerated() {
            transcript += formatter.format(
                TranscriptEntry(time: Self.start + Double(offset), content: .client(shown: line, wire: line)))
        }
        let recording = try TranscriptReader.read(transcript)
        #expect(recording.steps.count == 2)
        guard case .client(let bytes, _, _) = recording.steps.last else {
            Issue.record("the line was not read as the client's: \(recording.steps)")
            return
        }
        #expect(bytes == VisibleText.unescape(text))
        let lastLine = Substring(transcript.split(separator: "\n").last!)
        var reader = TranscriptReader.LineByLine()
        _ = try reader.steps(in: Substring(transcript.split(separator: "\n")[0]), number: 1)
        if format == .text, !text.contains("\\") {
            #expect(reader.plainClientText(lastLine).map(String.init) == text)
        }
    }

    @Test func redactedLinesAreRecognisedWhenRead() throws {
        let recording = try TranscriptReader.read(
            "C: AUTH PLAIN <redacted>\nS: 334 \nC: <redacted>\nC: NOOP <redacted>\n")
        let flags = recording.steps.compactMap { step -> Bool? in
            if case .client(_, let isRedacted, _) = step { return isRedacted }
            return nil
        }
        #expect(flags == [true, true, false])
    }

    /// The writer appends " <redacted>" after the mechanism, whatever it is; read as Characters, a
    /// mechanism ending in a prepended mark (U+0600, which joins the space after it into its
    /// grapheme) hid the suffix, and the redacted line read back as one to send.
    @Test func aRedactedLineReadsBackAsRedactedWhateverItsMechanismEndsIn() throws {
        let line = "AUTH PLAIN\u{600} AHVzZXIAcGFzcw=="
        let shown = VisibleText.escape(Redactor.redact(command: line))
        #expect(shown.utf8.elementsEqual("AUTH PLAIN\u{600} <redacted>".utf8))
        let recording = try TranscriptReader.read("C: \(shown)\n")
        guard case .client(_, let isRedacted, _)? = recording.steps.first else {
            Issue.record("no client line read")
            return
        }
        #expect(isRedacted)
    }

    @Test func unescapeReversesEscapeForEveryByte() {
        let all = (0...255).map(UInt8.init) + Array("Grüße \\x41 \\\\".utf8)
        #expect(VisibleText.unescape(VisibleText.escape(all)) == all)
    }

    @Test func rfc3339HasMillisecondsInUTC() {
        #expect(RFC3339.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(Self.start + 0.123) == "2026-11-18T11:06:40.123Z")
        #expect(RFC3339.format(Self.start + 0.010) == "2026-11-18T11:06:40.010Z")
        #expect(
            RFC3339.parse("2026-11-18T11:06:40.123Z").map { ($0 * 1000).rounded() }
                == ((Self.start + 0.123) * 1000).rounded())
    }

    @Test(arguments: TranscriptFormatter.Format.allCases, TranscriptFormatter.Timestamps.allCases)
    func messageLinesAreRecordedAsEachLineWouldBe(
        format: TranscriptFormatter.Format, timestamps: TranscriptFormatter.Timestamps
    ) {
        let lines = ["Subject: block", "", "..stuffed", "8-bit é and \\0 escaped", "last"]
        var each = TranscriptFormatter(format: format, timestamps: timestamps)
        var together = each
        _ = each.format(TranscriptEntry(time: Self.start, content: .client(shown: "DATA", wire: "DATA")))
        _ = together.format(TranscriptEntry(time: Self.start, content: .client(shown: "DATA", wire: "DATA")))
        let time = Self.start + 1.5
        let expected = lines.map { each.format(TranscriptEntry(time: time, content: .client(shown: $0, wire: $0))) }
        #expect(together.messageLines(lines, time: time) == expected.joined())
        #expect(together.messageLines([], time: time) == "")
    }
}
