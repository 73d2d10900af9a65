@testable import SMTPCore

extension SessionStateMachine {
    /// A session after a successful EHLO (or LHLO) whose reply listed `capabilities`.
    static func helloed(capabilities: [String] = [], sessionProtocol: SessionProtocol = .smtp) -> SessionStateMachine {
        var session = SessionStateMachine(sessionProtocol: sessionProtocol)
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.test ESMTP"))
        let hello = sessionProtocol == .lmtp ? "LHLO client.test" : "EHLO client.test"
        _ = session.send(hello)
        _ = session.replyReceived(SMTPReply(ehloLines: ["mx.test"] + capabilities))
        return session
    }

    /// Sends a command line: in lock-step, written at once; pipelined, held until `exchangesWritten(at:)`.
    @discardableResult
    mutating func send(_ line: String, pipelined: Bool = false, script: Bool = false, tag: Int? = nil) -> [Action] {
        commandSent(
            SMTPCommand(line: line), at: pipelined ? nil : 0, isPipelined: pipelined, bodyFollowsInInput: script,
            tag: tag)
    }

    /// Warnings for a line, then the line sent.
    mutating func warnAndSend(_ line: String, pipelined: Bool = false) -> [String] {
        let warnings = warnings(for: SMTPCommand(line: line))
        send(line, pipelined: pipelined)
        return warnings
    }

    /// MAIL and the RCPTs, each answered 250.
    mutating func openTransaction(sender: String = "a@client.test", recipients: [String], parameters: String = "") {
        send("MAIL FROM:<\(sender)>\(parameters.isEmpty ? "" : " " + parameters)")
        _ = replyReceived(SMTPReply(250, "2.1.0 Ok"))
        for recipient in recipients {
            send("RCPT TO:<\(recipient)>")
            _ = replyReceived(SMTPReply(250, "2.1.5 Ok"))
        }
    }
}

extension SMTPReply {
    /// A multiline EHLO reply: `250-first`, …, `250 last`.
    init(ehloLines lines: [String]) {
        self.init(
            code: 250,
            lines: lines.enumerated().map { index, text in
                ReplyLine("250\(index == lines.count - 1 ? " " : "-")\(text)")
            })
    }
}
