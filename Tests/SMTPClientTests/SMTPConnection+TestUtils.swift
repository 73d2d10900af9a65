@testable import SMTPClient

extension SMTPConnection {
    /// The reply handler's STARTTLS mode, read on the event loop.
    func clientHandlerMode() throws -> SMTPClientHandler.Mode {
        try channel.eventLoop.submit { [channel] in
            try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self).mode
        }.wait()
    }
}
