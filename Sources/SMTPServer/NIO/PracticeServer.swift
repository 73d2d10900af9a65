import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SMTPCore

/// Everything `ehlo serve` (or `ehlo --practice`) decides about a practice server.
public struct PracticeServerConfiguration: Sendable {
    /// The address to listen on; port 0 picks a free port (see `RunningPracticeServer.port`).
    public var host = "127.0.0.1"
    public var port = 2525
    /// Listen on this UNIX-domain socket instead of `host`:`port`, as LMTP servers usually do
    /// (Dovecot's /var/run/dovecot/lmtp). A socket file already there is replaced; any other
    /// file there is an error. The file is removed when the server stops.
    public var unixSocketPath: String?
    public var session = SessionConfiguration()
    public var destination: MessageDestination = .standardOutput
    /// PEM files for STARTTLS; both nil: a self-signed certificate is made at start.
    public var certificateFile: String?
    public var keyFile: String?
    /// Offer STARTTLS at all.
    public var offersTLS = true
    /// Seconds a session may take for its next complete line (a command, a message line, an AUTH
    /// response) or BDAT chunk before it gets 421 (RFC 5321 §4.5.3.2.7: at least 300). A byte
    /// now and then does not restart it (`ServerSessionStateMachine.completedRecords`).
    public var idleTimeout = 300
    /// Sessions at once, in all and from one client address; more are answered with 421.
    public var limits = ConnectionLimits()
    public var log: EventLog = .standardOutput
    public var threads = System.coreCount
    /// Record every session and message for the class view (`ehlo serve --dashboard`).
    public var record: ClassRecord?

    public init() {}
}

/// Starts practice servers.
public enum PracticeServer {
    /// Binds, and serves until `stop()`; the returned server knows the port it got.
    public static func start(_ configuration: PracticeServerConfiguration) throws -> RunningPracticeServer {
        var configuration = configuration
        var tlsContext: NIOSSLContext?
        var certificatePEM: String?
        var fingerprint: CertificateFingerprint?
        var certificateNames: [String] = []
        if configuration.offersTLS {
            let addresses = Self.certificateAddresses(listening: configuration)
            (tlsContext, certificatePEM, fingerprint) = try PracticeCertificate.makeContext(
                domain: configuration.session.domain, addresses: addresses,
                certificateFile: configuration.certificateFile, keyFile: configuration.keyFile)
            if configuration.certificateFile == nil {
                certificateNames = PracticeCertificate.subjectAlternativeNames(
                    domain: configuration.session.domain, addresses: addresses
                ).map(PracticeCertificate.describe)
            }
        }
        configuration.session.offersTLS = tlsContext != nil
        let store = try MessageStore(
            destination: configuration.destination, domain: configuration.session.domain, log: configuration.log,
            shelf: MessageShelf.kept(for: configuration))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let services = SessionServices(
            configuration: configuration.session, tlsContext: tlsContext, store: store, log: configuration.log,
            greylist: Self.greylists(configuration.session), record: configuration.record,
            idleTimeout: .seconds(Int64(configuration.idleTimeout)),
            runBlocking: { eventLoop, body in threadPool.runIfActive(eventLoop: eventLoop, body) })
        let sessions = SessionRegistry()
        let counts = NIOLockedValueBox(ConnectionLimits.Counts())
        let (limits, domain, log) = (configuration.limits, configuration.session.domain, configuration.log)
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                let (peer, clientAddress) = Self.client(of: channel)
                let client: String?
                if case .ip(let address) = clientAddress { client = address } else { client = nil }
                if let exceeded = counts.withLockedValue({ $0.admit(client: client, limits: limits) }) {
                    let reply = ConnectionLimits.refusal(exceeded, domain: domain)
                    log.write("\(peer) refused: \(reply)")
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ConnectionRefusalHandler(reply: reply))
                    }
                }
                channel.closeFuture.whenComplete { _ in counts.withLockedValue { $0.release(client: client) } }
                let number = sessions.add(channel)
                let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 36)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ServerSessionHandler(
                            services: services, sessionNumber: number, peer: peer, clientAddress: clientAddress,
                            nonce: nonce))
                }
            }
        if configuration.unixSocketPath == nil {
            // TCP's options: a UNIX-domain socket refuses TCP_NODELAY, which would close every session.
            bootstrap = bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        let channel: Channel
        do {
            if let path = configuration.unixSocketPath {
                channel = try bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
            } else {
                channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
            }
        } catch {
            try? threadPool.syncShutdownGracefully()
            try? group.syncShutdownGracefully()
            throw error
        }
        return RunningPracticeServer(
            channel: channel, group: group, threadPool: threadPool, sessions: sessions, log: configuration.log,
            domain: configuration.session.domain, certificatePEM: certificatePEM, certificateFingerprint: fingerprint,
            store: store, certificateNames: certificateNames)
    }

    /// The addresses a client may reach the server at, for its generated certificate: the listen
    /// address, or, on 0.0.0.0 or ::, every interface's (a classroom connects to the teacher's LAN
    /// address).
    static func certificateAddresses(listening configuration: PracticeServerConfiguration) -> [IPAddress] {
        guard configuration.unixSocketPath == nil, let listen = IPAddress(host: configuration.host) else { return [] }
        guard listen.octets.allSatisfy({ $0 == 0 }) else { return [listen] }
        let interfaces = (try? System.enumerateDevices()) ?? []
        return interfaces.compactMap { device in
            guard let ip = device.address?.ipAddress, let address = IPAddress(host: ip) else { return nil }
            return listen.isIPv4 && address.isIPv6 ? nil : address
        }
    }

    /// Where each new session gets its greylist: a fresh one per connection, or the server's.
    static func greylists(_ configuration: SessionConfiguration) -> @Sendable () -> any GreylistMemory {
        let delay = configuration.greylistDelay
        switch configuration.greylistReset {
        case .connection:
            return { LockedGreylist(delay: delay) }
        case .never:
            let shared = LockedGreylist(delay: delay)
            return { shared }
        }
    }

    /// `127.0.0.1:2525`, `[::1]:2525` or `unix:/run/ehlo/lmtp`.
    static func describe(_ address: SocketAddress?) -> String {
        if case .unixDomainSocket = address, let path = address?.pathname { return "unix:\(path)" }
        guard let address, let ip = address.ipAddress, let port = address.port else { return "unknown" }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    /// The client of an accepted channel, for the log and for the session.
    ///
    /// A client of a UNIX-domain socket is nearly always unnamed (it did not bind its end), so it
    /// is named by the server's socket, the one place it can be from.
    static func client(of channel: Channel) -> (peer: String, address: ClientAddress) {
        switch channel.remoteAddress {
        case .unixDomainSocket:
            let remote = channel.remoteAddress?.pathname ?? ""
            let path = remote.isEmpty ? channel.localAddress?.pathname ?? "" : remote
            return ("unix:\(path)", .unixSocket(path: path))
        case .v4, .v6, nil:
            return (describe(channel.remoteAddress), .ip(channel.remoteAddress?.ipAddress ?? "unknown"))
        }
    }
}

/// A practice server that is listening.
public final class RunningPracticeServer: Sendable {
    public let host: String
    public let port: Int
    /// `127.0.0.1:2525`, `[::1]:2525` or `unix:/run/ehlo/lmtp`: what `ehlo serve` prints first.
    public let address: String
    /// The UNIX-domain socket it listens on, if it listens on one (then `host` and `port` mean nothing).
    public let unixSocketPath: String?
    /// The domain it serves (its certificate's name).
    public let domain: String
    /// Its STARTTLS certificate in PEM, if it offers STARTTLS.
    public let certificatePEM: String?
    /// The SHA-256 fingerprint of that certificate, as `ehlo --pin` takes it.
    public let certificateFingerprint: CertificateFingerprint?
    /// The names and addresses a generated certificate is for (empty for --tls-cert's).
    public let certificateNames: [String]
    /// The server's threads, for a class view to share.
    public var eventLoopGroup: EventLoopGroup { group }
    private let channel: Channel
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let sessions: SessionRegistry
    private let log: EventLog
    private let isStopped = NIOLockedValueBox(false)
    private let store: MessageStore

    init(
        channel: Channel, group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool, sessions: SessionRegistry,
        log: EventLog, domain: String, certificatePEM: String?, certificateFingerprint: CertificateFingerprint?,
        store: MessageStore, certificateNames: [String]
    ) {
        self.store = store
        self.certificateNames = certificateNames
        self.domain = domain
        self.certificatePEM = certificatePEM
        self.certificateFingerprint = certificateFingerprint
        self.channel = channel
        self.group = group
        self.threadPool = threadPool
        self.sessions = sessions
        self.log = log
        self.host = channel.localAddress?.ipAddress ?? "127.0.0.1"
        self.port = channel.localAddress?.port ?? 0
        self.address = PracticeServer.describe(channel.localAddress)
        if case .unixDomainSocket = channel.localAddress {
            self.unixSocketPath = channel.localAddress?.pathname
        } else {
            self.unixSocketPath = nil
        }
    }

    /// The messages kept by a `.memory` destination, oldest first, exactly as stored.
    public func storedMessages() -> [StoredMessage] {
        store.storedMessages
    }

    /// Stops listening, sends 421 to every session (after a message being stored), waits for them
    /// to close (at most `gracePeriod`), then stops the threads. Safe to call more than once.
    public func stop(gracePeriod: TimeAmount = .seconds(5)) {
        let wasStopped = isStopped.withLockedValue { stopped -> Bool in
            defer { stopped = true }
            return stopped
        }
        guard !wasStopped else { return }
        try? channel.close().wait()
        // Nobody can connect any more; a socket file left behind would only mislead.
        if let unixSocketPath,
            (try? FileManager.default.attributesOfItem(atPath: unixSocketPath)[.type]) as? FileAttributeType
                == .typeSocket
        {
            try? FileManager.default.removeItem(atPath: unixSocketPath)
        }
        let open = sessions.all
        for session in open {
            session.pipeline.fireUserInboundEventTriggered(PracticeServerShutdownEvent())
        }
        let deadline = NIODeadline.now() + gracePeriod
        for session in open {
            let remaining = deadline - .now()
            let timeout = session.eventLoop.scheduleTask(in: max(remaining, .zero)) { session.close(promise: nil) }
            try? session.closeFuture.wait()
            timeout.cancel()
        }
        try? threadPool.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
    }
}

/// The open sessions, so that stopping can reach each one.
final class SessionRegistry: Sendable {
    private let state = NIOLockedValueBox((count: 0, channels: [ObjectIdentifier: Channel]()))

    /// Records the channel until it closes; returns the session's number.
    func add(_ channel: Channel) -> Int {
        let number = state.withLockedValue { state -> Int in
            state.count += 1
            state.channels[ObjectIdentifier(channel)] = channel
            return state.count
        }
        channel.closeFuture.whenComplete { [state] _ in
            state.withLockedValue { _ = $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return number
    }

    var all: [Channel] {
        state.withLockedValue { Array($0.channels.values) }
    }
}
