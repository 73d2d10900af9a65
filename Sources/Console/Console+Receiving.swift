import Foundation
import LineEditor
import SMTPClient
import SMTPCore

/// Waiting for the server, and showing what it sent.
extension Console {
    /// Waits until every written exchange has its replies, the connection ends, a reply times out
    /// (RFC 5321 §4.5.3.2) or the user presses Ctrl-C. Returns false if it did not get them.
    @discardableResult
    func waitForReplies(timeout: Int? = nil) async -> Bool {
        while let head = session.pending.first, head.sentAt != nil, head.octetsToSend == 0, link.isConnected {
            let seconds = timeout ?? options.timeoutOverride ?? head.source.exchange?.timeout ?? 300
            // The head changes with each reply it takes (LMTP and PRDR take several) and when it is done.
            let answered = { self.session.pending.first != head }
            switch await takeEvents(
                until: answered, seconds: Double(seconds), waitingFor: "the reply to \(head.source.name)")
            {
            case .done, .disconnected:
                continue
            case .timedOut:
                timedOut(waitingFor: head.source, seconds: seconds)
                return false
            case .interrupted:
                emit(.event, "stopped waiting for the reply to \(head.source.name); it will be shown when it arrives")
                return false
            }
        }
        return link.isConnected
    }

    enum WaitOutcome { case done, disconnected, timedOut, interrupted }

    /// Takes and shows events until `isDone()` holds, the connection is gone, `seconds` pass or
    /// the user presses Ctrl-C. The one place the console waits on the network.
    ///
    /// - Parameter what: what is awaited; at a terminal, a silence of more than a second shows
    ///   `waiting 3 s for the reply to AUTH…` until it ends (a slow DNSBL check, tarpitting,
    ///   Dovecot's auth penalty are everyday causes).
    func takeEvents(until isDone: () -> Bool, seconds: Double, waitingFor what: String? = nil) async -> WaitOutcome {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        let showsProgress = what != nil && input.isInteractive && Terminal.stdoutIsTerminal
        defer { if showsProgress { screen.clearProgress() } }
        while true {
            if isDone() { return .done }
            if !link.isConnected { return .disconnected }
            if takeEvents() { continue }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return .timedOut }
            let waited = -start.timeIntervalSinceNow
            if showsProgress, let what, waited >= 1 {
                screen.showProgress("waiting \(Int(waited)) s for \(what)…")
            }
            // With a progress line, wake each second to update it.
            let slice = showsProgress ? min(remaining, 1 - waited.truncatingRemainder(dividingBy: 1)) : remaining
            let milliseconds = Int32(min(max(slice, 0.001) * 1000, Double(Int32.max)))
            if input.isInteractive {
                // The console's own thread: blocking it is what lets Ctrl-C end the wait.
                if link.waitForEvents(milliseconds: milliseconds) == .interrupted { return .interrupted }
            } else {
                // A loop that is shutting down would end every further wait at once, and its
                // connection can never say it closed: the console closes it.
                if await link.awaitEvents(milliseconds: milliseconds) == .loopShutDown {
                    closeConnection(reason: "the network thread has stopped")
                    return .disconnected
                }
            }
        }
    }

    private func timedOut(waitingFor source: ReplySource, seconds: Int) {
        let what =
            source == .greeting ? "no greeting from \(link.server?.host ?? "the server")" : "no reply to \(source.name)"
        emit(
            .event,
            "timeout: \(what) after \(seconds) s (RFC 5321 §4.5.3.2); closing the connection, /connect to start again")
        closeConnection(reason: nil)
        fail(source == .greeting ? .connectionFailed : .sessionFailed)
    }

    /// Takes and shows every waiting event. Returns true if there were any.
    @discardableResult
    func takeEvents() -> Bool {
        guard let events = link.takeEvents() else { return false }
        for event in events {
            process(event)
        }
        return true
    }

    private func process(_ event: ConnectionEvent) {
        switch event {
        case .reply(let reply):
            let outcome = session.replyReceived(reply)
            show(outcome)
            lessonObserved(.replyReceived(outcome.reply, answering: outcome.answered))
            runAfterReply(outcome.actions)
        case .plaintextDiscarded(let octets):
            emit(
                .warning,
                "\(octets) octets arrived in plaintext after the 220 to STARTTLS and were discarded, unread: a man in the middle may be injecting commands or replies (RFC 3207 §6, CVE-2011-0411)"
            )
        case .tlsEstablished(let report):
            tlsEstablished(report)
        case .proxyHeaderSent(let header):
            emit(.event, header.summary)
        case .tlsFailed(let error):
            tlsFailed(
                error.description, certificateProblems: error.certificateProblems,
                certificateChain: error.certificateChain)
        case .malformedLine(let line, let problems):
            emit(.server, line.visible)
            for problem in problems { emit(.warning, problem.description) }
        case .closed(let error):
            connectionEnded(reason: error?.description)
        }
    }

    /// Shows a reply with its annotations, and records it.
    private func show(_ outcome: SessionStateMachine.ReplyOutcome) {
        let latency = outcome.sentAt.map { Date().timeIntervalSince1970 - $0 }
        var lines = ReplyAnnotator.lines(for: outcome, level: options.explain, latency: isTimingShown ? latency : nil)
        if input.isInteractive, outcome.isPipelined, outcome.recipient.map({ $0.position == 1 }) ?? true,
            case .command(let command) = outcome.answered
        {
            // The replies of a group come together: each under its command, as in a lock-step trace.
            lines.insert(DisplayLine(.client, VisibleText.escape(Redactor.redact(command: command.line))), at: 0)
        }
        show(lines)
        if screen.transcript != nil {
            let recorded = ReplyAnnotator.lines(for: outcome, level: .full)
            screen.record(.reply(SMTPSessionReply(outcome: outcome, lines: recorded, latency: latency)))
        }
        if outcome.answered == .greeting {
            practiceDomain = LabMailboxTable.practiceDomain(greeting: outcome.reply)
        }
        if isSavingReplies, outcome.stillAwaited.isEmpty {
            savedScript.replyCompleted(outcome.reply, answering: outcome.answered)
        }
        observed?.append(outcome)
    }

    private func connectionEnded(reason: String?) {
        let expected = session.phase == .closed
        if session.inputMode == .tlsHandshake, tls.outcome == nil {
            // Closed after the 220 to STARTTLS, before or during the handshake: a TLS failure.
            tls.outcome = .failure(TLSFailure(reason: "closed"))
            emit(.warning, "TLS failed: the server closed the connection instead of completing the TLS handshake")
            fail(.tlsFailed)
        }
        let unanswered = session.connectionClosed()
        link.connectionEnded()
        outgoing = OutgoingLines()
        isPipeGroupOpen = false
        if let reason {
            emit(.event, "connection lost: \(reason)")
        } else {
            emit(.event, expected ? "connection closed" : "connection closed by the server")
        }
        lessonObserved(.connectionClosed)
        if !expected, !unanswered.isEmpty {
            let names = unanswered.map(\.name).joined(separator: ", ")
            var warning = "no reply came to \(names): the connection ended first"
            if session.sessionProtocol == .lmtp, unanswered.contains(.endOfData) {
                warning += "; RFC 2033 §5: the recipients without a reply count as temporary failures"
            }
            emit(.warning, warning)
        }
        if !expected { fail(.sessionFailed) }
    }
}
