import FuzzSupport
import SMTPCore
import SMTPServer

/// The practice server's session state machine fed an arbitrary client byte stream.
///
/// The first byte picks the configuration (LMTP, AUTH without TLS, a refused greeting, small
/// limits); the rest is what the client sends. Invariants: every reply is well formed (a code of
/// RFC 5321 §4.2's classes 2 to 5, an enhanced code of the same class or none, no CR, LF or
/// control character in its text, each line within 512 octets with its CRLF, §4.5.3.1.5, and a
/// hyphen after the code on every line but the last, §4.2.1); 221 and 421 close, and nothing is
/// sent after the close or between STARTTLS's 220 and the handshake; a delivered message has
/// recipients and is within SIZE; the same stream delivered whole or cut into pieces gives the
/// same actions (up to STARTTLS, whose pipelined plaintext is discarded); and a command line, in
/// any state that reads commands, is answered at once unless it is BDAT waiting for its octets.
enum ServerSessionFuzz {
    /// A greylist without a clock: the first attempt is refused, every retry passes.
    final class Greylist: GreylistMemory, @unchecked Sendable {
        private var seen = Set<String>()
        func attempt(_ key: String) -> GreylistVerdict {
            seen.insert(key).inserted ? .refused(isFirstAttempt: true, secondsLeft: 0) : .passed
        }
    }

    static func configuration(_ byte: UInt8) -> SessionConfiguration {
        var configuration = SessionConfiguration()
        configuration.isLMTP = byte & 0x01 != 0
        configuration.allowsPlainAuth = byte & 0x02 != 0
        configuration.offersTLS = byte & 0x04 == 0
        configuration.failsGreeting = byte & 0x38 == 0x38
        if byte & 0x08 != 0 { configuration.maximumMessageSize = 64 }
        if byte & 0x10 != 0 {
            configuration.maximumRecipients = 2
            configuration.maximumErrors = 3
        }
        if byte & 0x80 != 0 { configuration.shutdownAfterCommands = 5 }
        configuration.isVerbose = byte & 0x40 != 0
        return configuration
    }

    static func run(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let configuration = configuration(first)
        let stream = Array(data.dropFirst())
        var random = FuzzRandom(seed: data)

        let whole = drive(configuration, [stream[...]], random: &random, interrupt: nil)
        let split = drive(configuration, random.chunks(stream, maximum: 24), random: &random, interrupt: nil)
        let wholeUntilTLS = untilTLS(whole)
        Fuzz.check(wholeUntilTLS == untilTLS(split), "actions depend on how the stream was cut")
        // Timeouts and shutdowns at an arbitrary moment: only the invariants.
        let chunks = random.chunks(stream, maximum: 24)
        _ = drive(configuration, chunks, random: &random, interrupt: random.next(in: 0...chunks.count))

        let probe = stream.prefix { $0 != 0x0A && $0 != 0x0D }
        for setup in [["EHLO client.test"], ["EHLO client.test", "MAIL FROM:<a@b.test>"], ["HELO client.test"], []] {
            probeAnswered(configuration, setup: setup, probe: Array(probe))
        }
    }

    /// The actions up to the first STARTTLS handshake, without the log of what it discarded.
    static func untilTLS(_ actions: [ServerSessionStateMachine.Action]) -> [ServerSessionStateMachine.Action] {
        var kept: [ServerSessionStateMachine.Action] = []
        for action in actions {
            if case .log(.pipelinedPlaintextDiscarded) = action { continue }
            kept.append(action)
            if action == .startTLS { break }
        }
        return kept
    }

    /// Runs a session over the chunks, answering `.deliver` and `.startTLS` as the NIO handler
    /// would; returns every action, checked.
    static func drive(
        _ configuration: SessionConfiguration, _ chunks: [ArraySlice<UInt8>], random: inout FuzzRandom, interrupt: Int?
    ) -> [ServerSessionStateMachine.Action] {
        var session = ServerSessionStateMachine(
            configuration: configuration, clientAddress: .ip("192.0.2.1"), nonce: "n0nce", greylist: Greylist())
        var checker = Checker(configuration: configuration)
        var all: [ServerSessionStateMachine.Action] = []
        func take(_ actions: [ServerSessionStateMachine.Action]) -> [ServerSessionStateMachine.Action] {
            checker.check(actions)
            all += actions
            return actions
        }
        var pending = take(session.connectionAccepted())
        // Whatever is owed: the delivery result, the handshake. Deliveries are numbered, so the
        // replies (`queued as Q1`) do not depend on how the input was cut.
        var deliveries = 0
        func settle(_ actions: [ServerSessionStateMachine.Action]) {
            var actions = actions
            for _ in 0..<1000 {
                if actions.contains(where: { if case .deliver = $0 { return true } else { return false } }) {
                    deliveries += 1
                    checker.deliveryCompleted()
                    let result: DeliveryResult =
                        deliveries % 5 == 0 ? .failed(reason: "disk full") : .stored(id: "Q\(deliveries)")
                    actions = take(session.deliveryCompleted(result))
                } else if actions.contains(where: { if case .pause = $0 { return true } else { return false } }) {
                    actions = take(session.pauseEnded())
                } else if session.isReplyBudgetSpent {
                    actions = take(session.readMore())
                } else if actions.contains(.startTLS), !checker.isClosed {
                    actions = take(session.tlsEstablished())
                    checker.tlsEstablished()
                    Fuzz.check(session.isTLS, "isTLS false after the handshake")
                } else {
                    return
                }
            }
        }
        settle(pending)
        for (index, chunk) in chunks.enumerated() {
            if index == interrupt {
                pending = take(index % 2 == 0 ? session.timedOut() : session.shutdownRequested())
                settle(pending)
            }
            pending = take(session.bytesReceived(chunk))
            settle(pending)
        }
        _ = take(session.connectionClosed())
        Fuzz.check(checker.isClosed || !checker.isDelivering, "the session stops while a delivery is owed")
        return all
    }

    /// Follows the actions and checks each against what came before.
    struct Checker {
        let configuration: SessionConfiguration
        var isClosed = false
        var isAwaitingTLS = false
        var isDelivering = false
        var mustCloseNext = false

        init(configuration: SessionConfiguration) { self.configuration = configuration }

        mutating func tlsEstablished() { isAwaitingTLS = false }
        mutating func deliveryCompleted() { isDelivering = false }

        mutating func check(_ actions: [ServerSessionStateMachine.Action]) {
            for action in actions {
                switch action {
                case .send(let reply):
                    Fuzz.check(!isClosed, "a reply after the close: \(reply)")
                    Fuzz.check(!isAwaitingTLS, "a plaintext reply between STARTTLS's 220 and the handshake: \(reply)")
                    Fuzz.check(!mustCloseNext, "a reply after 221 or 421: \(reply)")
                    checkReply(reply)
                    if reply.code == 221 || reply.code == 421 { mustCloseNext = true }
                case .startTLS:
                    Fuzz.check(!isClosed && !isAwaitingTLS, "STARTTLS twice or after the close")
                    isAwaitingTLS = true
                case .deliver(let message):
                    Fuzz.check(!isClosed && !isDelivering, "a delivery after the close or during another")
                    isDelivering = true
                    Fuzz.check(!message.recipients.isEmpty, "a message with no recipient")
                    Fuzz.check(message.content.count <= configuration.maximumMessageSize, "a message past SIZE")
                case .log, .pause:
                    continue
                case .close:
                    Fuzz.check(!isClosed, "closed twice")
                    isClosed = true
                    mustCloseNext = false
                }
            }
            Fuzz.check(!mustCloseNext, "221 or 421 without closing")
        }

        func checkReply(_ reply: ServerReply) {
            let code = reply.code
            Fuzz.check((200...599).contains(code) && (code / 10) % 10 <= 5, "reply code \(code)")
            if let enhanced = reply.enhancedCode {
                Fuzz.check(
                    enhanced.statusClass == code / 100 && code / 100 != 3, "\(enhanced) on a \(code) (RFC 3463 §2)")
            }
            Fuzz.check(!reply.texts.isEmpty, "a reply without lines")
            // Each line as it goes on the wire, on its octets: building the lines apart from the
            // wire form, a `Character` comparison and an array per line took a fifth of a run.
            let wire = reply.wireBytes
            let codeOctets = String(code).utf8
            var lineCount = 0
            var start = 0
            while let lineFeed = wire[start...].firstIndex(of: 0x0A) {
                Fuzz.check(lineFeed > start && wire[lineFeed - 1] == 0x0D, "a bare LF in \(reply)")
                let line = wire[start..<(lineFeed - 1)]
                Fuzz.check(
                    line.count + 2 <= 512, "a reply line of \(line.count + 2) octets (RFC 5321 §4.5.3.1.5): \(reply)")
                // RFC 5321 §4.2: textstring = 1*(%d09 / %d32-126), so TAB is the one control allowed.
                Fuzz.check(
                    !line.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F },
                    "a control character in reply line \(Array(line))")
                Fuzz.check(line.starts(with: codeOctets), "a line without its code: \(reply)")
                // RFC 5321 §4.2.1: a hyphen after the code on every line but the last, a space on it.
                let isLast = lineFeed == wire.count - 1
                Fuzz.check(
                    line.count > 3 && line[start + 3] == (isLast ? 0x20 : 0x2D),
                    "the wrong separator after the code: \(reply)")
                lineCount += 1
                start = lineFeed + 1
            }
            Fuzz.check(start == wire.count && start > 0, "reply not ending in CRLF: \(reply)")
            Fuzz.check(lineCount == reply.texts.count, "\(reply.texts.count) lines, \(lineCount) on the wire")
        }
    }

    /// One command line, in a state that reads commands, gets a reply at once unless it is a BDAT
    /// whose octets are still to come.
    static func probeAnswered(_ configuration: SessionConfiguration, setup: [String], probe: [UInt8]) {
        var session = ServerSessionStateMachine(
            configuration: configuration, clientAddress: .ip("192.0.2.1"), nonce: "n0nce", greylist: Greylist())
        var closed = session.connectionAccepted().contains(.close)
        for line in setup where !closed {
            let actions = session.bytesReceived(Array((line + "\r\n").utf8))
            closed = actions.contains(.close)
            if !actions.contains(where: { if case .send = $0 { return true } else { return false } }) { return }
        }
        guard !closed else { return }
        let actions = session.bytesReceived(probe + [0x0D, 0x0A])
        let isReplied = actions.contains { if case .send = $0 { return true } else { return false } }
        let verb = String(decoding: probe, as: UTF8.self).drop { $0 == " " }.prefix(4).uppercased()
        Fuzz.check(isReplied || verb == "BDAT", "no reply to \(probe) after \(setup)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ServerSessionFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if EHLO_FUZZING
    @_cdecl("FuzzServerSession_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        Fuzz.runLibFuzzer(argc, argv, fuzzTestOneInput)
    }
#else
    @main struct FuzzServerSessionMain {
        static func main() {
            Fuzz.replay("FuzzServerSession", arguments: Array(CommandLine.arguments.dropFirst()), ServerSessionFuzz.run)
        }
    }
#endif
