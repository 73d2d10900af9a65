extension HandoutSession {
    /// The sessions of a transcript (one per connection it recorded), annotated as the console
    /// annotated them when they were recorded.
    public static func sessions(from recording: RecordedSession) -> [HandoutSession] {
        var sessions: [HandoutSession] = []
        func finish(_ annotator: SessionAnnotator) {
            var session = annotator.session
            session.isOpen = false
            sessions.append(session)
        }
        func start(_ connection: RecordedConnection) -> SessionAnnotator {
            SessionAnnotator(
                HandoutSession(id: sessions.count + 1, server: connection.server),
                sessionProtocol: connection.sessionProtocol, overTLS: connection.isImplicitTLS)
        }
        var annotator = start(recording.connection)
        for step in recording.steps {
            switch step {
            case .client(let line, _, _):
                annotator.lineSent(line, at: nil)
            case .reply(let reply, _):
                annotator.replyReceived(reply, at: nil)
            case .newSession(let connection, _):
                finish(annotator)
                annotator = start(connection)
            }
        }
        finish(annotator)
        return sessions.filter { !$0.steps.isEmpty }
    }
}
