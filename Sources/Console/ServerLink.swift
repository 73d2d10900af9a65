import Foundation
import LineEditor
import NIOCore
import SMTPClient
import SMTPCore

/// The console's connection to a server: opening it, writing to it, closing it, and the events
/// the network thread posts for the console. It knows nothing of the session; the console's
/// `SessionStateMachine` does.
///
/// Events are tagged with the connection they came from, so that a late event of a connection
/// already closed (or replaced by `/connect`) is never taken for one of the current connection.
final class ServerLink {
    struct TaggedEvent: Sendable {
        let connectionID: Int
        let event: ConnectionEvent
    }

    let connector = SMTPConnector()
    let inbox: EventInbox<TaggedEvent>
    private(set) var connection: SMTPConnection?
    /// The server connected to last; kept after the connection ends, for `/state` and the prompt.
    private(set) var server: ServerAddress?
    private var connectionID = 0
    /// Runs before every call that may make the console wait (connecting, a write the server
    /// must take, a wait for events): the console writes the output it gathered for a pipe.
    var beforeBlocking: () -> Void = {}

    init(inbox: EventInbox<TaggedEvent> = EventInbox()) {
        self.inbox = inbox
    }

    var isConnected: Bool { connection != nil }

    /// The network thread's event loop, where a script's console runs (`Console.make`).
    var eventLoop: any EventLoop { connector.eventLoop }

    /// Opens a connection to `address`; returns once it is open, or throws.
    func connect(
        to address: ServerAddress, timeoutSeconds: Int, implicitTLS: TLSSettings?,
        settings: ConnectionSettings = ConnectionSettings()
    ) async throws -> SMTPConnection {
        close()
        connectionID += 1
        let id = connectionID
        let inbox = self.inbox
        beforeBlocking()
        let opened = try await connector.connect(
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
    func write(_ bytes: [UInt8], timeout: Int) async throws {
        guard let connection else { throw ConnectionError(.closed, "the connection is closed") }
        beforeBlocking()
        try await connection.send(raw: bytes, timeout: .seconds(Int64(timeout)))
    }

    /// Writes a block of message data without waiting for it, unless the connection holds enough
    /// unsent data already (see `SMTPConnection.stream(raw:timeout:)`); end with `write`.
    /// The gathered output is written only if it does wait: a command whose reply is awaited
    /// next is shown with that reply's wait, in one write.
    func stream(_ bytes: [UInt8], timeout: Int) async throws {
        guard let connection else { throw ConnectionError(.closed, "the connection is closed") }
        try await connection.stream(raw: bytes, timeout: .seconds(Int64(timeout)), beforeWaiting: beforeBlocking)
    }

    /// Waits at most `milliseconds` for an event to arrive, blocking the thread; Ctrl-C
    /// interrupts. For a console on a thread of its own (at a terminal).
    func waitForEvents(milliseconds: Int32) -> Terminal.WaitResult {
        beforeBlocking()
        return Terminal.wait(forReadable: inbox.fileDescriptor, milliseconds: milliseconds)
    }

    /// Waits at most `milliseconds` for an event to arrive, suspended: for a console on the
    /// event loop (a script's), which must not block it.
    func awaitEvents(milliseconds: Int32) async -> AwaitOutcome {
        beforeBlocking()
        return await inbox.awaitEvents(on: eventLoop, milliseconds: Int64(milliseconds))
    }

    /// The events of the current connection that arrived since the last call, oldest first.
    /// Returns nil when nothing at all arrived (not even a stale event).
    func takeEvents() -> [ConnectionEvent]? {
        let events = inbox.takeAll()
        guard !events.isEmpty else { return nil }
        return events.filter { $0.connectionID == connectionID }.map(\.event)
    }
}
