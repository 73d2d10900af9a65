import FuzzSupport
import SMTPCore

/// An arbitrary reply to EHLO through `EHLOCapabilities`, the client session and Tab completion.
///
/// Each input line is one line of a 250 reply (a leading `250-`/`250 ` is taken off, so real
/// servers' replies are seeds as they are). Invariants: the first line names the server and each
/// further non-blank line is one capability, its keyword upper-cased and free of spaces, its
/// parameters the line's other words; lookups are case-insensitive; SIZE and AUTH read what was
/// advertised; writing the capabilities back as a reply and reading it again gives the same
/// value; the session takes the reply as its capabilities; completion offers nothing that is not
/// terminal-safe.
enum EHLOFuzz {
    static func run(_ data: [UInt8]) {
        var texts = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> [UInt8] in
            var line = Array(line)
            if line.last == 0x0D { line.removeLast() }
            if line.count >= 4, line[0...2].allSatisfy({ (0x30...0x39).contains($0) }), [0x20, 0x2D].contains(line[3]) {
                line.removeFirst(4)
            }
            return line
        }
        if texts.count > 1, texts.last?.isEmpty == true { texts.removeLast() }
        let lines = texts.enumerated().map { index, text in
            ReplyLine(bytes: Array((index == texts.count - 1 ? "250 " : "250-").utf8) + text)
        }
        let reply = SMTPReply(code: 250, lines: lines)
        let capabilities = EHLOCapabilities(reply: reply)
        check(capabilities, reply: reply)

        // Written back as a reply and read again.
        let rewritten =
            [capabilities.serverName]
            + capabilities.capabilities.map { ([$0.keyword] + $0.parameters).joined(separator: " ") }
        let again = EHLOCapabilities(
            reply: SMTPReply(
                code: 250,
                lines: rewritten.enumerated().map { index, text in
                    ReplyLine((index == rewritten.count - 1 ? "250 " : "250-") + text)
                }))
        Fuzz.check(again == capabilities, "capabilities do not survive being written back")

        // The session takes the reply as the EHLO's answer.
        var session = awaitingEHLOReply
        let outcome = session.replyReceived(reply)
        Fuzz.check(session.capabilities == capabilities, "the session's capabilities are not the reply's")
        for line in ReplyAnnotator.lines(for: outcome, level: .full) {
            Fuzz.check(Fuzz.isTerminalSafe(line.text), "\(line.kind) line not terminal-safe: \(line.text)")
        }
        let context = CompletionContext(session: session, addresses: ["a@b.test"], heloName: "client.test")
        // Three of the completions, chosen from the input's hash: over the inputs each one meets
        // every reply, at a third of the cost of all nine for each.
        var random = FuzzRandom(seed: data)
        for _ in 0..<3 {
            let text = completions[random.next(in: 0...(completions.count - 1))]
            let completion = Completer.complete(text, context: context)
            for candidate in completion.candidates {
                Fuzz.check(
                    Fuzz.isTerminalSafe(candidate), "completion offers \(Array(candidate.utf8)) after \"\(text)\"")
            }
        }
        for text in session.promptTags + session.nextSteps + [session.phaseDescription] {
            Fuzz.check(Fuzz.isTerminalSafe(text), "session text not terminal-safe: \(text)")
        }
    }

    /// What is typed before Tab: each completes from what the reply advertised (verbs, AUTH
    /// mechanisms, MAIL and RCPT parameters and their values, BDAT's LAST).
    static let completions = [
        "", "AUTH ", "MAIL FROM:<a@b.test> ", "MAIL FROM:<a@b.test> BODY=", "RCPT TO:<c@d.test> ",
        "RCPT TO:<c@d.test> NOTIFY=", "MAIL FROM:<a@b.test> RET=", "BDAT 10 ", "/auth ",
    ]

    /// A session that sent EHLO after the greeting: the same for every input, so it is made once
    /// and copied (it is a value).
    static let awaitingEHLOReply: SessionStateMachine = {
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.example.test ESMTP"))
        _ = session.commandSent(SMTPCommand(line: "EHLO client.test"), at: 0)
        return session
    }()

    static func check(_ capabilities: EHLOCapabilities, reply: SMTPReply) {
        let texts = reply.texts
        // Words are cut at the SP octet, as a server cuts them (RFC 5321 §4.1.1.1).
        let words = { (text: String) in Array(text.utf8).split(separator: 0x20) }
        let firstWord = words(texts[0]).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        Fuzz.check(capabilities.serverName == firstWord, "server name is not the first word of the first line")
        let expected = texts.dropFirst().filter { !words($0).isEmpty }.count
        Fuzz.check(
            capabilities.capabilities.count == expected,
            "\(capabilities.capabilities.count) capabilities from \(expected) lines")
        for capability in capabilities.capabilities {
            Fuzz.check(
                !capability.keyword.isEmpty && !capability.keyword.utf8.contains(0x20), "keyword \(capability.keyword)")
            Fuzz.check(capability.keyword == capability.keyword.uppercased(), "keyword not upper-cased")
            Fuzz.check(
                capability.parameters.allSatisfy { !$0.isEmpty && !$0.utf8.contains(0x20) },
                "a parameter is blank or has a space")
            // RFC 5321 §4.1.1.1: keywords are ALPHA, DIGIT and "-"; Unicode case mapping of
            // anything else need not round-trip (U+0130 lower-cases to two scalars).
            if capability.keyword.utf8.allSatisfy({ $0 < 0x80 }) {
                Fuzz.check(capabilities.has(capability.keyword.lowercased()), "has() is not case-insensitive")
                Fuzz.check(
                    capabilities.parameters(of: capability.keyword.lowercased()) != nil,
                    "parameters(of:) misses \(capability.keyword)")
            }
        }
        if let size = capabilities.maximumMessageSize {
            Fuzz.check(
                // RFC 1870 §4 allows 20 digits; a limit past Int's is Int.max.
                size > 0 && capabilities.parameters(of: "SIZE")?.first.map { Int($0) ?? .max } == size,
                "SIZE \(size) not as advertised")
        }
        Fuzz.check(
            capabilities.authMechanisms == (capabilities.parameters(of: "AUTH") ?? []).map { $0.uppercased() },
            "AUTH mechanisms")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    EHLOFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if EHLO_FUZZING
    @_cdecl("FuzzEHLO_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        Fuzz.runLibFuzzer(argc, argv, fuzzTestOneInput)
    }
#else
    @main struct FuzzEHLOMain {
        static func main() {
            Fuzz.replay("FuzzEHLO", arguments: Array(CommandLine.arguments.dropFirst()), EHLOFuzz.run)
        }
    }
#endif
