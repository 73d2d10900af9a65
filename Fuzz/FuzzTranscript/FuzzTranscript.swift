import FuzzSupport
import SMTPCore

/// The transcript reader, on arbitrary text and on what the writer wrote.
///
/// Every input is used twice. (1) As a transcript file: reading it, text or JSON Lines, must not
/// crash, and what it reads must be sane (each step from a line of the file; replies with a code
/// and lines). (2) As a script of events, one per line, by its first character: `C` a line the
/// client sent, `S` a server reply line (consecutive ones make a multiline reply), `#`, `*`, `!`
/// an annotation, event or warning, `H` a new connection's header; a recorded transcript is
/// such a script as it is (`S: 250 OK` is a server line). The events are written by
/// `TranscriptFormatter` in a format chosen from the input, read back, and must give the same
/// client lines and replies in the same order: the round trip `ehlo replay` relies on. The
/// client session the events go through, fed commands whatever its input mode (as a recording
/// may hold them), keeps its prediction and queue marks current after every event.
enum TranscriptFuzz {
    static func run(_ data: [UInt8]) {
        readArbitrary(data)
        roundTrip(data)
    }

    static func readArbitrary(_ data: [UInt8]) {
        // Lines end in LF (CRLF too): an LF octet is never inside a UTF-8 sequence.
        let lineCount = data.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        guard let session = try? TranscriptReader.read(String(decoding: data, as: UTF8.self)) else { return }
        for step in session.steps {
            switch step {
            case .client(_, _, let sourceLine), .newSession(_, let sourceLine):
                Fuzz.check((1...lineCount).contains(sourceLine), "step from line \(sourceLine) of \(lineCount)")
            case .reply(let reply, let sourceLine):
                Fuzz.check((1...lineCount).contains(sourceLine), "reply from line \(sourceLine) of \(lineCount)")
                Fuzz.check(!reply.lines.isEmpty && (0...999).contains(reply.code), "reply \(reply.code)")
            }
        }
    }

    /// What the reader must give back, in order.
    enum Expected: Equatable {
        case client([UInt8], isRedacted: Bool)
        case reply(code: Int, lines: [ReplyLine])
        case newSession(RecordedConnection)
    }

    static let servers: [RecordedConnection] = [
        RecordedConnection(server: "127.0.0.1:2525"),
        RecordedConnection(server: "[2001:db8::1]:465", isImplicitTLS: true, serverName: "mx.example.test"),
        RecordedConnection(server: "/tmp/lmtp.sock", sessionProtocol: .lmtp),
        RecordedConnection(server: "mx.example.test:25", proxy: .v2),
    ]

    static func roundTrip(_ data: [UInt8]) {
        var random = FuzzRandom(seed: data)
        var formatter = TranscriptFormatter(
            format: random.next() % 2 == 0 ? .text : .jsonl,
            timestamps: TranscriptFormatter.Timestamps.allCases[random.next(in: 0...2)],
            includesAnnotations: random.next() % 4 != 0, redactsSecrets: random.next() % 4 != 0)
        var clock = 1_795_000_000.0 + Double(random.next(in: 0...1_000_000)) / 1000
        func tick() -> Double {
            clock += Double(random.next(in: 0...20_000)) / 1000
            return clock
        }
        var output = formatter.header(connection: servers[0], time: clock)
        var expected: [Expected] = []
        var session = SessionStateMachine()
        session.connectionOpened(at: clock)
        var parser = ReplyParser()

        for raw in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard let kind = raw.first else { continue }
            var rest = Array(raw.dropFirst())
            if rest.starts(with: Array(": ".utf8)) { rest.removeFirst(2) }
            if rest.last == 0x0D { rest.removeLast() }
            let text = String(decoding: rest, as: UTF8.self)
            switch kind {
            case UInt8(ascii: "C"):
                let shown = VisibleText.escape(Redactor.redact(command: text))
                let wire = VisibleText.escape(text)
                _ = session.commandSent(SMTPCommand(line: text), at: clock)
                Fuzz.check(session.keptViewsAreCurrent, "the session's kept views differ from its queue's")
                output += formatter.format(TranscriptEntry(time: tick(), content: .client(shown: shown, wire: wire)))
                let recorded = formatter.redactsSecrets ? shown : wire
                expected.append(.client(VisibleText.unescape(recorded), isRedacted: recorded != wire))
            case UInt8(ascii: "S"):
                guard case .reply(let reply) = parser.parse(line: rest) else { continue }
                let outcome = session.replyReceived(reply)
                Fuzz.check(session.keptViewsAreCurrent, "the session's kept views differ from its queue's")
                let lines = ReplyAnnotator.lines(for: outcome, level: .full, latency: 0.010)
                output += formatter.format(
                    TranscriptEntry(
                        time: tick(), content: .reply(SMTPSessionReply(outcome: outcome, lines: lines, latency: 0.010)))
                )
                expected.append(.reply(code: reply.code, lines: reply.lines))
            case UInt8(ascii: "#"), UInt8(ascii: "*"), UInt8(ascii: "!"):
                let kinds: [UInt8: DisplayLine.Kind] = [0x23: .annotation, 0x2A: .event, 0x21: .warning]
                // The console's own lines; what they quote from the server is escaped.
                let line = DisplayLine(kinds[kind]!, VisibleText.escape(rest))
                guard !line.plain.hasPrefix("*  ehlo ") else { continue }
                output += formatter.format(TranscriptEntry(time: tick(), content: .line(line)))
            case UInt8(ascii: "H"):
                let connection = servers[Int(rest.first ?? 0) % servers.count]
                output += formatter.header(connection: connection, time: tick(), isFirst: false)
                expected.append(.newSession(connection))
                session.connectionOpened(at: clock)
                parser = ReplyParser()
            default:
                continue
            }
        }

        let read: RecordedSession
        do {
            read = try TranscriptReader.read(output)
        } catch {
            Fuzz.check(false, "a transcript the writer wrote does not read back: \(error)")
            return
        }
        Fuzz.check(read.connection == servers[0], "the first header reads back as \(read.connection)")
        // The same transcript with CRLF line ends (saved on Windows) reads the same; what the
        // writer wrote has no CR of its own (escaped as `\r`). Checked for one input in four,
        // chosen from its hash, as it is another read of the whole transcript.
        if random.next() % 4 == 0 {
            let crlf = try? TranscriptReader.read(String(decoding: crlfLines(output), as: UTF8.self))
            Fuzz.check(
                crlf?.steps == read.steps && crlf?.connection == read.connection,
                "the transcript with CRLF line ends reads back otherwise")
        }
        let got: [Expected] = read.steps.map { step in
            switch step {
            case .client(let line, let isRedacted, _): return .client(line, isRedacted: isRedacted)
            case .reply(let reply, _): return .reply(code: reply.code, lines: reply.lines)
            case .newSession(let connection, _): return .newSession(connection)
            }
        }
        Fuzz.check(got.count == expected.count, "\(expected.count) events written, \(got.count) read back")
        for (index, (written, readBack)) in zip(expected, got).enumerated() {
            if case .client(let bytes, let wasRedacted) = written,
                case .client(let readBytes, let isRedacted) = readBack
            {
                Fuzz.check(bytes == readBytes, "client line \(index) reads back as other bytes")
                // A line typed as `<redacted>` cannot be told from a redacted one; anything redacted must be.
                Fuzz.check(!wasRedacted || isRedacted, "a redacted client line \(index) reads back as sendable")
            } else {
                Fuzz.check(written == readBack, "event \(index) reads back as \(readBack), written \(written)")
            }
        }
    }
}

extension TranscriptFuzz {
    /// The text with each LF made CR LF.
    static func crlfLines(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        for byte in text.utf8 {
            if byte == 0x0A { bytes.append(0x0D) }
            bytes.append(byte)
        }
        return bytes
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    TranscriptFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if EHLO_FUZZING
    @_cdecl("FuzzTranscript_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        Fuzz.runLibFuzzer(argc, argv, fuzzTestOneInput)
    }
#else
    @main struct FuzzTranscriptMain {
        static func main() {
            Fuzz.replay("FuzzTranscript", arguments: Array(CommandLine.arguments.dropFirst()), TranscriptFuzz.run)
        }
    }
#endif
