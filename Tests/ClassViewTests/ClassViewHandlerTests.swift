import NIOCore
import NIOEmbedded
import NIOHTTP1
import SMTPCore
import Testing

@testable import ClassView
@testable import SMTPServer

/// The class view's names (the DNS rebinding guard) and its connections: what a request gets
/// with a Host header that is not ours, and what a reader that never reads costs the server.
@Suite struct ClassViewHandlerTests {
    static let hosts = ClassViewHosts(names: ["127.0.0.1"], port: 8025)

    @Test(arguments: [
        ("127.0.0.1:8025", true), ("localhost:8025", true), ("LocalHost.:8025", true), (" 127.0.0.1:8025 ", true),
        // DNS rebinding: the attacker's own name, resolved to 127.0.0.1.
        ("evil.example:8025", false), ("localhost.evil.example:8025", false), ("127.0.0.1.nip.io:8025", false),
        ("127.0.0.1:8026", false), ("127.0.0.1", false), ("localhost:", false), ("localhost:80x", false),
        ("[::1]:8025", false), ("127.0.0.1:8025:1", false), ("", false), (":8025", false),
    ])
    func onlyItsOwnNamesAreAccepted(host: String, isAccepted: Bool) {
        #expect(Self.hosts.accepts(host: host) == isAccepted)
    }

    @Test func aRequestWithoutHostIsAcceptedOnlyFromHTTP10() {
        #expect(!Self.hosts.accepts(host: nil))
        #expect(Self.hosts.accepts(host: nil, isHTTP10: true))
    }

    @Test func anIPv6BindingIsNamedInBracketsAndPort80MayBeLeftOut() {
        let hosts = ClassViewHosts(names: ["::1"], port: 80)
        #expect(hosts.accepts(host: "[::1]"))
        #expect(hosts.accepts(host: "[0:0:0:0:0:0:0:1]:80"))
        #expect(!hosts.accepts(host: "[::2]:80"))
        #expect(!hosts.accepts(host: "::1"))
    }

    /// `--dashboard-public`: the name given and the machine's name; a wildcard bind names no one
    /// by itself, the address a connection came to does.
    @Test func aPublicViewAlsoAnswersToItsGivenNameAndTheAddressReached() throws {
        let local = try SocketAddress(ipAddress: "192.168.1.5", port: 8025)
        let given = ClassViewHosts(
            names: ClassViewServer.names(host: "classroom.lan", local: local, isPublic: true), port: 8025,
            isPublic: true)
        #expect(given.accepts(host: "classroom.lan:8025") && given.accepts(host: "192.168.1.5:8025"))
        #expect(!given.accepts(host: "evil.example:8025"))
        let wildcard = ClassViewHosts(
            names: ClassViewServer.names(host: "0.0.0.0", local: local, isPublic: true), port: 8025, isPublic: true)
        #expect(wildcard.accepts(host: "192.168.1.5:8025"))
        #expect(!wildcard.accepts(host: "0.0.0.0:8025"))
        let loopbackOnly = ClassViewHosts(
            names: ClassViewServer.names(host: "classroom.lan", local: local, isPublic: false), port: 8025)
        #expect(!loopbackOnly.accepts(host: "classroom.lan:8025"))
    }

    // MARK: Connections

    final class Connection {
        let channel: EmbeddedChannel
        let record: ClassRecord

        init(record: ClassRecord = ClassRecord(now: { 1_795_000_000 })) throws {
            self.record = record
            channel = EmbeddedChannel(
                handler: ClassViewHandler(
                    routes: ClassViewRoutes(record: record), hosts: ClassViewHandlerTests.hosts,
                    slowReaderLimit: .seconds(30)))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        }

        func request(_ path: String, host: String? = "127.0.0.1:8025") throws {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            if let host { head.headers.add(name: "Host", value: host) }
            try channel.writeInbound(HTTPServerRequestPart.head(head))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
        }

        /// What was written since the last call: the head, the body's chunks, whether it ended.
        func written() throws -> (head: HTTPResponseHead?, chunks: [Int], body: String, ended: Bool) {
            var result: (head: HTTPResponseHead?, chunks: [Int], body: String, ended: Bool) = (nil, [], "", false)
            while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
                switch part {
                case .head(let head): result.head = head
                case .body(.byteBuffer(let buffer)):
                    result.chunks.append(buffer.readableBytes)
                    result.body += String(buffer: buffer)
                case .body: break
                case .end: result.ended = true
                }
            }
            return result
        }

        func writability(_ isWritable: Bool) {
            channel.isWritable = isWritable
            channel.pipeline.fireChannelWritabilityChanged()
        }

        func advance(_ time: TimeAmount) {
            channel.embeddedEventLoop.advanceTime(by: time)
        }
    }

    @Test func aForeignHostGets421AndNothingOfTheClass() throws {
        let connection = try Connection()
        connection.record.sessionOpened(1, client: "127.0.0.1:5000", server: "127.0.0.1:2525")
        try connection.request("/api/sessions", host: "evil.example:8025")
        let answer = try connection.written()
        #expect(answer.head?.status.code == 421)
        #expect(answer.head?.headers.first(name: "Connection") == "close")
        #expect(answer.body.contains("Host: evil.example:8025") && answer.body.contains("DNS rebinding"))
        #expect(!answer.body.contains("127.0.0.1:5000"))
        #expect(!connection.channel.isActive)
    }

    @Test func anHTTP11RequestWithoutHostIsABadRequest() throws {
        let connection = try Connection()
        try connection.request("/api/sessions", host: nil)
        let answer = try connection.written()
        #expect(answer.head?.status.code == 400)
        #expect(answer.body.contains("needs a Host header"))
        #expect(!connection.channel.isActive)
    }

    @Test func ourOwnHostGetsTheAnswer() throws {
        let connection = try Connection()
        try connection.request("/api/status", host: "localhost:8025")
        let answer = try connection.written()
        #expect(answer.head?.status.code == 200)
        #expect(answer.body.contains("\"sessions\":0") && answer.ended)
        _ = try connection.channel.finish()
    }

    /// A large answer goes out a chunk at a time, only while the reader takes it.
    @Test func aLargeAnswerWaitsForTheReader() throws {
        let record = ClassRecord(now: { 1_795_000_000 })
        let octets = Array(repeating: UInt8(ascii: "m"), count: 300_000)
        record.shelf.add(StoredMessage(id: "Q1.1", sender: "a@b.test", recipients: ["c@d.test"], octets: octets))
        let connection = try Connection(record: record)
        connection.writability(false)
        try connection.request("/api/messages/Q1.1/raw")
        let before = try connection.written()
        #expect(before.head?.status.code == 200)
        #expect(before.chunks.isEmpty && !before.ended)
        connection.writability(true)
        let after = try connection.written()
        #expect(after.chunks.allSatisfy { $0 <= ClassViewHandler.bodyChunkOctets })
        #expect(after.chunks.reduce(0, +) == octets.count && after.ended)
        _ = try connection.channel.finish()
    }

    @Test func aReaderThatTakesNothingIsDisconnected() throws {
        let record = ClassRecord(now: { 1_795_000_000 })
        record.shelf.add(
            StoredMessage(
                id: "Q1.1", sender: "a@b.test", recipients: ["c@d.test"], octets: Array(repeating: 0x6D, count: 200_000)
            ))
        let connection = try Connection(record: record)
        connection.writability(false)
        try connection.request("/api/messages/Q1.1/raw")
        connection.advance(.seconds(29))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(2))
        #expect(!connection.channel.isActive)
    }

    /// Server-sent events to a page that does not read: dropped, not buffered; a `resync` when
    /// it reads again; disconnected when it never does.
    @Test func eventsForASlowReaderAreDroppedThenResyncedOrTheStreamCloses() throws {
        let connection = try Connection()
        try connection.request("/api/events")
        let opened = try connection.written()
        #expect(opened.head?.headers.first(name: "Content-Type") == "text/event-stream; charset=utf-8")
        connection.writability(false)
        for number in 1...1000 { connection.record.sessionOpened(number, client: "127.0.0.1:5000", server: "s") }
        connection.advance(.milliseconds(200))
        #expect(try connection.written().chunks.isEmpty)
        connection.writability(true)
        let resumed = try connection.written()
        #expect(resumed.body == "event: resync\ndata: {}\n\n")
        connection.writability(false)
        connection.record.sessionOpened(1001, client: "127.0.0.1:5000", server: "s")
        connection.advance(.milliseconds(200))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(31))
        #expect(!connection.channel.isActive)
        #expect(connection.record.subscriberCount == 0)
    }
}
