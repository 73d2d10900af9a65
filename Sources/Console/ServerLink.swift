import Foundation
import LineEditor
import SMTPClient
import SMTPCore

/// The console's connection to a server: opening it, writing to it, closing it, and the events
/// the network thread posts for the main thread. It knows nothing of the session; the console's
/// `SessionStateMachine` does.
///
/// Events are tagged with the connection they came from, so that a late event of a connection
/// already closed (or replaced by `/connect`) is never taken for one of the current connection.
final class ServerLink {
    struct TaggedEvent: Sendable {
        let connectionID: Int
        let event: ConnectionEvent
    }

    private let connector = SMTPConnector()
    let inbox: EventInbox<TaggedEvent>
    private(set) var connection: SMTPConnection?
    /// The server connected to last; kept after the connection ends, for `/state` and the prompt.
    private(set) var server: ServerAddress?
    private var connectionID = 0
    /// Runs before every call that may block the main thread (connecting, a write the server
    /// must take, a wait for events): the console writes the output it gathered for a pipe.
    var beforeBlocking: () -> Void = {}

    init(inbox: EventInbox<TaggedEvent> = EventInbox()) {
        self.inbox = inbox
    }

    var isConnected: Bool { connection != nil }

    /// Opens a connection to `address`; blocks until it is open or has failed.
    func connect(
        to address: ServerAddress, timeoutSeconds: Int, implicitTLS: TLSSettings?,
        settings: ConnectionSettings = ConnectionSettings()
    ) throws -> SMTPConnection {
        close()
        connectionID += 1
        let id = connectionID
        let inbox = self.inbox
        beforeBlocking()
        let opened = try connector.connect(
            to: address, timeoutSeconds: timeoutSeconds, implicitTLS: implicitTLS, settings: settings, wakeUps: inbox
        ) { event in
            inbox.post(TaggedEvent(connectionID: id, event: event))
        }
        connection = opened
        server = address
        return opened
    }

    /// Closes the connection from our side; its later events are ignored.
    func close() {
        guard let connection else { return }
        connection.close()
        self.connection = nil
        connectionID += 1
    }

    /// The server closed the connection (its `.closed` event was taken).
    func connectionEnded() {
        connection = nil
        connectionID += 1
    }

    /// Writes `bytes` in one write; at most `timeout` seconds may pass before they are taken
    /// (RFC 5321 §4.5.3.2.5: a data block may take 3 minutes).
    func write(_ bytes: [UInt8], timeout: Int) throws {
        guard let connection else { throw ConnectionError(.closed, "the connection is closed") }
        beforeBlocking()
        try connection.send(raw: bytes, timeout: .seconds(Int64(timeout)))
    }

    /// Writes a block of message data without waiting for it, unless the connection holds enough
    /// unsent data already (see `SMTPConnection.stream(raw:timeout:)`); end with `write`.
    /// The gathered output is written only if it does wait: a command whose reply is awaited
    /// next is shown with that reply's wait, in one write.
    func stream(_ bytes: [UInt8], timeout: Int) throws {
        guard let connection else { throw ConnectionError(.closed, "the connection is closed") }
        try connection.stream(raw: bytes, timeout: .seconds(Int64(timeout)), beforeWaiting: beforeBlocking)
    }

    /// Waits at most `milliseconds` for an event to arrive; Ctrl-C interrupts.
    func waitForEvents(milliseconds: Int32) -> Terminal.WaitResult {
        beforeBlocking()
        return Terminal.wait(forReadable: inbox.fileDescriptor, milliseconds: milliseconds)
    }

    /// The events of the current connection that arrived since the last call, oldest first.
    /// Returns nil when nothing at all arrived (not even a stale event).
    func takeEvents() -> [ConnectionEvent]? {
        let events = inbox.takeAll()
        guard !events.isEmpty else { return nil }
        return events.filter { $0.connectionID == connectionID }.map(\.event)
    }

    func shutdown() {
        close()
        connector.shutdown()
    }
}
