import Testing

@testable import SMTPCore

/// What commands typed ahead are judged against: the state after every queued exchange succeeds
/// (RFC 2920 §3.1 lets a client send MAIL, RCPT and the rest before their replies). The session
/// keeps that prediction from one line and one reply to the next; these check that what it keeps
/// is always what the queue predicts afresh, and that a reply the prediction did not assume
/// changes it.
@Suite struct SessionPredictionTests {
    /// A refused MAIL in a pipelined group: the RCPTs and DATA behind it no longer predict a
    /// transaction (Postfix's "503 5.5.1 Error: need MAIL command" follows for each of them).
    @Test func aRefusedMailInAGroupUndoesTheTransactionItPredicted() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING", "ENHANCEDSTATUSCODES"])
        session.send("MAIL FROM:<alice@client.test>", pipelined: true)
        session.send("RCPT TO:<bob@mx.test>", pipelined: true)
        #expect(session.predictedPhase == .recipientsGiven)
        session.exchangesWritten(at: 1)
        _ = session.replyReceived(SMTPReply(550, "5.7.1 <alice@client.test>: Sender address rejected: Access denied"))
        #expect(session.predictedPhase == .helloed)
        #expect(
            !session.warnings(for: SMTPCommand(line: "DATA")).isEmpty,
            "DATA with no transaction predicted is out of sequence")
        _ = session.replyReceived(SMTPReply(503, "5.5.1 Error: need MAIL command"))
        #expect(session.predictedPhase == .helloed)
    }

    /// The same group answered as predicted: the prediction stands after every reply.
    @Test func aGroupAnsweredAsPredictedKeepsItsPrediction() {
        var session = SessionStateMachine.helloed(capabilities: ["PIPELINING"])
        session.send("MAIL FROM:<alice@client.test>", pipelined: true)
        session.send("RCPT TO:<bob@mx.test>", pipelined: true)
        session.send("DATA", pipelined: true)
        session.exchangesWritten(at: 1)
        #expect(session.predictedPhase == .data)
        _ = session.replyReceived(SMTPReply(250, "2.1.0 Ok"))
        #expect(session.predictedPhase == .data)
        _ = session.replyReceived(SMTPReply(250, "2.1.5 Ok"))
        #expect(session.predictedPhase == .data)
        _ = session.replyReceived(SMTPReply(354, "End data with <CR><LF>.<CR><LF>"))
        #expect(session.phase == .data && session.inputMode == .message)
    }

    /// Random sessions, SMTP and LMTP, pipelined and not: after every event the prediction the
    /// session holds is the fold of its queue from its confirmed state, and where it says the
    /// input-deciding exchange and the open chunk are is where a scan of the queue finds them.
    @Test(arguments: 0..<40) func thePredictionKeptIsTheOneComputedAfresh(seed: UInt64) {
        var random = SplitMix(seed: seed)
        let isLMTP = seed % 3 == 0
        var session = SessionStateMachine.helloed(
            capabilities: ["PIPELINING", "CHUNKING", "PRDR", "AUTH PLAIN", "STARTTLS", "SIZE 1000"],
            sessionProtocol: isLMTP ? .lmtp : .smtp)
        let commands = [
            "MAIL FROM:<a@client.test>", "MAIL FROM:<a@client.test> PRDR", "RCPT TO:<b@mx.test>",
            "RCPT TO:<c@mx.test>", "DATA", "BDAT 4", "BDAT 3 LAST", "BDAT 0 LAST", "RSET", "NOOP", "VRFY b",
            "EHLO client.test", "LHLO client.test", "HELO client.test", "AUTH PLAIN", "STARTTLS", "QUIT", "XYZZY",
        ]
        let codes = [250, 250, 250, 251, 354, 353, 334, 235, 220, 221, 421, 450, 451, 452, 500, 501, 503, 530, 550, 554]
        for step in 0..<120 {
            let isQueueFull = session.pending.count > 12
            switch session.inputMode {
            case .message:
                if random.next(below: 3) == 0 {
                    _ = session.endOfDataSent(at: Double(step), isPipelined: random.next(below: 2) == 0)
                } else {
                    session.messageLineSent()
                }
            case .chunk(let remaining, _):
                if random.next(below: 6) == 0 {
                    // A client that goes on with commands in the middle of a chunk, as a server sees one.
                    session.send(commands[random.next(below: commands.count)], pipelined: true)
                } else {
                    _ = session.chunkOctetsSent(min(remaining, 1 + random.next(below: 4)))
                }
            case .challengeAnswer:
                _ = session.authResponseSent(at: Double(step))
            case .skipping:
                _ = session.lineSkipped(random.next(below: 4) == 0 ? "." : "text")
            case .tlsHandshake:
                session.tlsEstablished()
            case .offline:
                session.connectionOpened(at: Double(step))
            case .commands, .awaitingReply:
                // In .awaitingReply too: a server sees the client write what it likes.
                if !isQueueFull, random.next(below: 3) != 0 {
                    let line = commands[random.next(below: commands.count)]
                    session.send(line, pipelined: random.next(below: 2) == 0, script: random.next(below: 2) == 0)
                } else if !session.pending.isEmpty {
                    session.exchangesWritten(at: Double(step))
                    let code = codes[random.next(below: codes.count)]
                    _ = session.replyReceived(SMTPReply(code, "\(code / 100).0.0 text"))
                } else {
                    session.send("NOOP")
                }
            }
            let afresh = session.queue.reduce(session.confirmed) { $0.advanced(by: $1.source, reply: nil) }
            #expect(session.predicted == afresh, "after step \(step) of seed \(seed)")
            #expect(
                session.queueMarks == SessionStateMachine.QueueMarks(scanning: session.queue),
                "after step \(step) of seed \(seed)")
        }
    }
}

/// A small deterministic generator, so that a failing seed fails again.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next(below bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
