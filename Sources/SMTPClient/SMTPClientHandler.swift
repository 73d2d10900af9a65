import NIOCore
import SMTPCore

/// Assembles the server's lines into replies and reports them, and the connection's end.
///
/// It decides nothing about the session; the console's `SessionStateMachine` does.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = SMTPLine

    private var parser = ReplyParser()
    private let report: @Sendable (ConnectionEvent) -> Void
    private var closeReason: String?
    private var hasReportedClose = false

    init(report: @escaping @Sendable (ConnectionEvent) -> Void) {
        self.report = report
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        switch parser.parse(line: line.bytes, lineProblems: line.problems) {
        case .needMoreLines:
            break
        case .reply(let reply):
            report(.reply(reply))
        case .malformedLine(let line, let problems):
            report(.malformedLine(line, problems))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        closeReason = ConnectionError.describe(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let partial = parser.connectionEnded() {
            var partial = partial
            partial.problems.append(.noLineEnding)
            report(.reply(partial))
        }
        if !hasReportedClose {
            hasReportedClose = true
            report(.closed(reason: closeReason))
        }
        context.fireChannelInactive()
    }
}
