import NIOCore
import NIOSSL
import SMTPCore

/// Assembles the server's lines into replies and reports them, and the connection's end.
///
/// It decides nothing about the session; the console's `SessionStateMachine` does. Its one piece
/// of protocol knowledge is the STARTTLS rule of RFC 3207 §6: once the server has said 220 to
/// STARTTLS, nothing more may be read in plaintext. Lines that arrive after that 220 (an attacker
/// in the middle can append a forged reply to it) are counted and dropped, never reported.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = SMTPLine

    enum Mode: Equatable {
        case normal
        /// STARTTLS was sent after `repliesBefore` other unanswered commands; its reply decides.
        case awaitingSTARTTLSReply(repliesBefore: Int)
        /// 220 to STARTTLS arrived: everything until the TLS handshake is discarded.
        case holdingForTLS(discardedOctets: Int)
    }

    private var parser = ReplyParser()
    private let report: @Sendable (ConnectionEvent) -> Void
    /// Why the connection ended, when it was not the server's orderly close.
    private(set) var closeError: ConnectionError?
    private var hasReportedClose = false
    private(set) var mode = Mode.normal
    /// Where the wake-up of the reader of the reports is held while a read burst is parsed.
    private let wakeUps: (any WakeUpHolding)?
    private var isHoldingWakeUp = false

    /// - Parameter wakeUps: the inbox behind `report`, if any: the replies of one read (a
    ///   pipelined group's, RFC 2920) then reach the console in one wake-up, not one each.
    init(report: @escaping @Sendable (ConnectionEvent) -> Void, wakeUps: (any WakeUpHolding)? = nil) {
        self.report = report
        self.wakeUps = wakeUps
    }

    private func holdWakeUp() {
        guard let wakeUps, !isHoldingWakeUp else { return }
        isHoldingWakeUp = true
        wakeUps.holdWakeUp()
    }

    private func releaseWakeUp() {
        guard let wakeUps, isHoldingWakeUp else { return }
        isHoldingWakeUp = false
        wakeUps.releaseWakeUp()
    }

    /// Where TLS handlers report: the same place as this handler.
    var reportForTLS: @Sendable (ConnectionEvent) -> Void { report }

    /// - Parameter repliesBefore: replies still owed to commands sent before STARTTLS.
    func expectSTARTTLSReply(repliesBefore: Int = 0) {
        mode = .awaitingSTARTTLSReply(repliesBefore: repliesBefore)
    }

    /// Leaves the hold when TLS starts; returns how many plaintext octets were dropped meanwhile.
    func endHoldForTLS() -> Int {
        defer {
            mode = .normal
            parser = ReplyParser()
        }
        if case .holdingForTLS(let discarded) = mode { return discarded }
        return 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        holdWakeUp()
        let line = unwrapInboundIn(data)
        if case .holdingForTLS(let discarded) = mode {
            let terminator = line.problems.contains(.noLineEnding) ? 0 : (line.problems.contains(.bareLineFeed) ? 1 : 2)
            mode = .holdingForTLS(discardedOctets: discarded + line.bytes.count + terminator)
            return
        }
        switch parser.parse(line: line.bytes, lineProblems: line.problems) {
        case .needMoreLines:
            break
        case .reply(let reply):
            if case .awaitingSTARTTLSReply(let before) = mode {
                if before > 0 {
                    mode = .awaitingSTARTTLSReply(repliesBefore: before - 1)
                } else {
                    mode = reply.code == 220 ? .holdingForTLS(discardedOctets: 0) : .normal
                }
            }
            report(.reply(reply))
        case .malformedLine(let line, let problems):
            report(.malformedLine(line, problems))
        }
    }

    /// The end of a read: what it brought reaches the console now, in one wake-up.
    func channelReadComplete(context: ChannelHandlerContext) {
        releaseWakeUp()
        context.fireChannelReadComplete()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseWakeUp()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        releaseWakeUp()
        // Many servers close TCP after 221 without TLS's close_notify: that is an end, not an error.
        if let error = error as? NIOSSLError, case .uncleanShutdown = error {
            context.close(promise: nil)
            return
        }
        closeError = ConnectionError(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let unfinished = parser.connectionEnded(), !mode.isHoldingForTLS {
            report(.reply(unfinished))
        }
        if !hasReportedClose {
            hasReportedClose = true
            report(.closed(closeError))
        }
        releaseWakeUp()
        context.fireChannelInactive()
    }
}

extension SMTPClientHandler.Mode {
    var isHoldingForTLS: Bool {
        if case .holdingForTLS = self { return true }
        return false
    }
}
