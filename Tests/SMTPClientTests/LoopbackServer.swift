import Foundation
import NIOCore
import NIOPosix

/// A tiny SMTP-ish server on loopback TCP or a UNIX-domain socket: greets, records every read
/// as it arrived, and answers each complete line with the next of `answers` (else `250 ok`).
final class LoopbackServer: @unchecked Sendable {
    let channel: Channel
    private let log: ReadLog

    /// What the server read, one element per read from the socket.
    var reads: [String] { log.reads }
    /// Every octet the server read, in order (binary data survives here, not in `reads`).
    var octets: [UInt8] { log.octets }
    /// Where each connection came from, as the server's accept saw it.
    var peers: [SocketAddress] { log.peers }

    private init(channel: Channel, log: ReadLog) {
        self.channel = channel
        self.log = log
    }

    /// - Parameter answers: sent in one write, each, in the order lines arrive; a line beyond
    ///   them gets `250 ok`.
    static func start(
        on group: EventLoopGroup, unixSocketPath: String? = nil, host: String = "127.0.0.1",
        greeting: String = "220 loop.test ESMTP\r\n", answers: [String] = []
    ) throws -> LoopbackServer {
        let log = ReadLog()
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(greeting: greeting, answers: answers, log: log))
                }
            }
        let channel =
            try unixSocketPath.map {
                try bootstrap.bind(unixDomainSocketPath: $0, cleanupExistingSocketFile: true).wait()
            }
            ?? bootstrap.bind(host: host, port: 0).wait()
        return LoopbackServer(channel: channel, log: log)
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    func close() {
        try? channel.close().wait()
    }

    /// Waits until the server has read `count` octets in all, or `seconds` passed.
    func waitForReads(octets count: Int, seconds: TimeInterval = 5) {
        let deadline = Date().addingTimeInterval(seconds)
        while reads.joined().utf8.count < count, Date() < deadline {
            usleep(2000)
        }
    }

    final class ReadLog: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        private var storedOctets: [UInt8] = []
        private var storedPeers: [SocketAddress] = []

        var reads: [String] {
            lock.withLock { stored }
        }

        var octets: [UInt8] {
            lock.withLock { storedOctets }
        }

        var peers: [SocketAddress] {
            lock.withLock { storedPeers }
        }

        func append(_ read: ByteBuffer) {
            lock.withLock {
                stored.append(String(buffer: read))
                storedOctets += read.readableBytesView
            }
        }

        func connected(from peer: SocketAddress?) {
            guard let peer else { return }
            lock.withLock { storedPeers.append(peer) }
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let greeting: String
        var answers: [String]
        let log: ReadLog
        var buffer = ""

        init(greeting: String, answers: [String], log: ReadLog) {
            self.greeting = greeting
            self.answers = answers
            self.log = log
        }

        func channelActive(context: ChannelHandlerContext) {
            log.connected(from: context.channel.remoteAddress)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: greeting)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let data = unwrapInboundIn(data)
            log.append(data)
            buffer += String(buffer: data)
            while let end = buffer.range(of: "\r\n") {
                buffer.removeSubrange(..<end.upperBound)
                let answer = answers.isEmpty ? "250 ok\r\n" : answers.removeFirst()
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)), promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
