import ArgumentParser
import ClassView
import Foundation
import SMTPCore
import SMTPServer

extension GreylistReset: ExpressibleByArgument {}

/// `ehlo serve [options]`: the practice SMTP server.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the practice SMTP server, whose lab mailboxes produce every reply code on purpose.",
        discussion: """
            Listens on 127.0.0.1:2525 unless --listen says otherwise (port 0: any free port), or on \
            the UNIX-domain socket --unix-socket names; the first line printed is `listening on \
            ADDRESS:PORT` (or `listening on unix:PATH`); with STARTTLS a line `STARTTLS \
            certificate: --pin sha256:…` gives its certificate's fingerprint, for `ehlo --pin`, and \
            the next the PEM file to give `ehlo --cafile`; then one line per session event. \
            For a classroom, --listen 0.0.0.0:2525 takes students from the network (a warning says \
            so) and --dashboard 127.0.0.1:8025 serves the class view for the projector. \
            Messages go to --maildir DIR, or to standard output. Ctrl-C or SIGTERM stops it: \
            sessions in progress get 421. --list-lab shows the lab mailboxes and how to reach \
            each reply code of RFC 5321 §4.2.3.
            """
    )

    static let defaultListen = "127.0.0.1:2525"

    @Option(
        help: ArgumentHelp(
            "Address to listen on: ADDR:PORT or [IPv6]:PORT; port 0 picks one (default: \(defaultListen)).",
            valueName: "addr:port"))
    var listen: String?

    @Option(
        help: ArgumentHelp(
            "Listen on this UNIX-domain socket instead, as LMTP servers often do (an old socket there is replaced).",
            valueName: "path"))
    var unixSocket: String?

    @Option(help: ArgumentHelp("The domain whose lab mailboxes the server holds.", valueName: "name"))
    var domain = LabMailboxTable.defaultDomain

    @Option(
        help: ArgumentHelp(
            "Store messages in this Maildir (tmp/ then new/) instead of printing them.", valueName: "dir"))
    var maildir: String?

    @Option(
        name: .customLong("user"),
        help: ArgumentHelp(
            "A user for AUTH, NAME:PASSWORD; repeat for more (default: "
                + "\(LabMailboxTable.demoUser.name):\(LabMailboxTable.demoUser.password)).",
            valueName: "name:password"))
    var users: [String] = []

    @Flag(help: "Offer AUTH before STARTTLS too (passwords in clear text).")
    var allowPlainAuth = false

    @Flag(help: "Speak LMTP (RFC 2033): LHLO, and one reply per recipient after the message.")
    var lmtp = false

    @Flag(help: "Greet with 554 and serve nothing but QUIT (RFC 5321 §3.1).")
    var greetingFail = false

    @Option(
        help: ArgumentHelp("Answer the command after the N-th of each session with 421 and close.", valueName: "n"))
    var shutdownAfter: Int?

    @Option(help: ArgumentHelp("PEM certificate (chain) for STARTTLS, instead of a generated one.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key for --tls-cert.", valueName: "file"))
    var tlsKey: String?

    @Flag(help: "Do not offer STARTTLS.")
    var noTLS = false

    @Option(
        help: ArgumentHelp(
            "Seconds a session may take for its next complete line before it gets 421 (RFC 5321: 300); "
                + "a byte now and then does not restart the clock.",
            valueName: "seconds"))
    var timeout = 300

    @Option(
        help: ArgumentHelp(
            "Sessions at once; more connections get 421 instead of the greeting (0: no limit).", valueName: "n"))
    var maxConnections = ConnectionLimits().maximumConnections

    @Option(
        help: ArgumentHelp(
            "Sessions at once from one client address, enough for a class behind one NAT (0: no limit).",
            valueName: "n"))
    var maxConnectionsPerClient = ConnectionLimits().maximumConnectionsPerClient

    @Option(
        help: ArgumentHelp(
            "Failed AUTH attempts in a session; the last gets 421 and the connection is closed.", valueName: "n"))
    var maxAuthFailures = SessionConfiguration().maximumAuthFailures

    @Option(
        help: ArgumentHelp(
            "Seconds the reply to the first failed AUTH waits; it doubles with each failure, up to 30.",
            valueName: "seconds"))
    var authFailureDelay = Double(SessionConfiguration().authFailureDelay) / 1000

    @Option(help: ArgumentHelp("The largest message accepted, in octets (advertised as SIZE).", valueName: "octets"))
    var maxSize = 10 * 1024 * 1024

    @Option(
        help: ArgumentHelp(
            "Seconds greylist@ refuses a retry after the first attempt (RFC 6647 §2.1).",
            valueName: "seconds"))
    var greylistDelay = 5

    @Option(
        help: ArgumentHelp(
            "When greylisting is forgotten: connection (each connection starts afresh, so a replayed demo "
                + "gets the same codes) or never (as a real MTA: a retry in a new connection passes).",
            valueName: "when"))
    var greylistReset = GreylistReset.connection

    @Option(
        help: ArgumentHelp(
            "Write the STARTTLS certificate (PEM) to this file, for ehlo --cafile (replaced if there).",
            valueName: "file"))
    var exportCert: String?

    @Option(
        help: ArgumentHelp(
            "Serve the class view (a web page and a JSON API of every session and message) on ADDR:PORT.",
            valueName: "addr:port"))
    var dashboard: String?

    @Flag(help: "Let --dashboard listen on an address that is not loopback (the class view shows every session).")
    var dashboardPublic = false

    @Flag(name: [.customShort("v"), .long], help: "Log every command and reply too.")
    var verbose = false

    @Flag(help: "Print the lab mailboxes and how to reach each reply code, then exit.")
    var listLab = false

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
        if maxSize <= 0 { throw ValidationError("--max-size must be positive") }
        if maxConnections < 0 { throw ValidationError("--max-connections must be 0 (no limit) or more") }
        if maxConnectionsPerClient < 0 {
            throw ValidationError("--max-connections-per-client must be 0 (no limit) or more")
        }
        if maxAuthFailures <= 0 { throw ValidationError("--max-auth-failures must be 1 or more") }
        if !(0...30).contains(authFailureDelay) {
            throw ValidationError("--auth-failure-delay must be 0 to 30 seconds")
        }
        if let shutdownAfter, shutdownAfter < 0 { throw ValidationError("--shutdown-after must be 0 or more") }
        if greylistDelay < 0 { throw ValidationError("--greylist-delay must be 0 or more seconds") }
        if exportCert != nil, noTLS { throw ValidationError("--export-cert: there is no certificate with --no-tls") }
        if let dashboard {
            let (host, _) = try Self.parseListen(dashboard, option: "--dashboard")
            if !ClassViewServer.isLoopback(host), !dashboardPublic {
                throw ValidationError(
                    "--dashboard \(dashboard) is not a loopback address: the class view shows every session "
                        + "to whoever reaches it; add --dashboard-public if that is what you want")
            }
        }
        for user in users where !user.contains(":") {
            throw ValidationError("--user \(user): write NAME:PASSWORD")
        }
        if let listen {
            if unixSocket != nil { throw ValidationError("--listen and --unix-socket: give one, not both") }
            _ = try Self.parseListen(listen)
        }
        if let unixSocket {
            if unixSocket.isEmpty { throw ValidationError("--unix-socket needs a path") }
            // sockaddr_un holds 108 octets with the final NUL (unix(7)).
            if unixSocket.utf8.count > 107 {
                throw ValidationError("--unix-socket \(unixSocket): at most 107 octets, the limit of a socket path")
            }
        }
    }

    func run() throws {
        if listLab {
            for line in LabMailboxTable.render(domain: domain) { print(line) }
            return
        }
        let (host, port) = try Self.parseListen(listen ?? Self.defaultListen)
        var configuration = PracticeServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.unixSocketPath = unixSocket
        configuration.session.domain = domain
        configuration.session.maximumMessageSize = maxSize
        if !users.isEmpty {
            configuration.session.users = Dictionary(
                users.map { user in
                    let colon = user.firstIndex(of: ":")!
                    return (String(user[..<colon]), String(user[user.index(after: colon)...]))
                }, uniquingKeysWith: { _, last in last })
        }
        configuration.session.allowsPlainAuth = allowPlainAuth
        configuration.session.isLMTP = lmtp
        configuration.session.failsGreeting = greetingFail
        configuration.session.shutdownAfterCommands = shutdownAfter
        configuration.session.isVerbose = verbose
        configuration.session.greylistDelay = greylistDelay
        configuration.session.greylistReset = greylistReset
        let record = dashboard == nil ? nil : ClassRecord()
        configuration.record = record
        configuration.offersTLS = !noTLS
        configuration.certificateFile = tlsCert
        configuration.keyFile = tlsKey
        configuration.idleTimeout = timeout
        configuration.limits.maximumConnections = maxConnections
        configuration.limits.maximumConnectionsPerClient = maxConnectionsPerClient
        configuration.session.maximumAuthFailures = maxAuthFailures
        configuration.session.authFailureDelay = Int((authFailureDelay * 1000).rounded())
        configuration.destination = maildir.map { .maildir($0) } ?? .standardOutput

        // Block SIGINT and SIGTERM before any thread exists, so that every thread inherits the mask
        // and the signal waits for `sigwait` below: no window in which Ctrl-C kills the server.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let server: RunningPracticeServer
        do {
            server = try PracticeServer.start(configuration)
        } catch {
            let place = unixSocket.map { "unix:\($0)" } ?? listen ?? Self.defaultListen
            FileHandle.standardError.write(Data("ehlo serve: cannot listen on \(place): \(error)\n".utf8))
            throw ExitCode(ExitStatus.connectionFailed.rawValue)
        }
        let log = configuration.log
        log.write("listening on \(server.address)")
        log.write(
            "domain \(domain), \(lmtp ? "LMTP" : "SMTP"), messages to \(maildir ?? "standard output")"
                + (noTLS ? "" : ", STARTTLS with \(tlsCert ?? "a self-signed certificate")")
                + "; ehlo serve --list-lab shows the lab mailboxes")
        var writtenCertificate: String?
        if let fingerprint = server.certificateFingerprint, let pem = server.certificatePEM {
            // For a classroom: students trust exactly this certificate, by --pin or by --cafile.
            let origin =
                tlsCert.map { "the certificate in \($0)" }
                ?? "generated at start for \(server.certificateNames.joined(separator: ", "))"
            log.write("STARTTLS certificate: --pin \(fingerprint) (\(origin))")
            let path = exportCert ?? tlsCert ?? Self.temporaryCertificatePath()
            if path != tlsCert {
                do {
                    try Data(pem.utf8).write(to: URL(fileURLWithPath: path))
                    if exportCert == nil { writtenCertificate = path }
                } catch {
                    FileHandle.standardError.write(
                        Data("ehlo serve: cannot write the certificate to \(path): \(error)\n".utf8))
                    server.stop()
                    throw ExitCode(ExitStatus.transcriptFailed.rawValue)
                }
            }
            log.write("STARTTLS certificate in PEM: \(path) (for ehlo --cafile)")
        }
        log.write(
            "greylist@: a retry passes \(greylistDelay) s after the first attempt; "
                + (greylistReset == .connection
                    ? "forgotten when the connection ends" : "remembered until the server stops"))
        if unixSocket == nil, let host = try? Self.parseListen(listen ?? Self.defaultListen).host,
            !ClassViewServer.isLoopback(host)
        {
            FileHandle.standardError.write(
                Data(
                    ("ehlo serve: warning: \(server.address) is open to the network: anyone who can reach this "
                        + "machine can connect (the lab relays nothing; keep it to the classroom's network)\n").utf8))
        }
        var classView: RunningClassView?
        if let dashboard, let record {
            let (host, port) = try Self.parseListen(dashboard, option: "--dashboard")
            do {
                classView = try ClassViewServer.start(
                    record: record, host: host, port: port, group: server.eventLoopGroup, isPublic: dashboardPublic)
            } catch {
                FileHandle.standardError.write(
                    Data("ehlo serve: cannot serve the class view on \(dashboard): \(error)\n".utf8))
                server.stop()
                throw ExitCode(ExitStatus.connectionFailed.rawValue)
            }
            log.write("class view: \(classView?.url ?? dashboard) (JSON: /api/sessions, /api/messages, /api/events)")
            if !ClassViewServer.isLoopback(host) {
                FileHandle.standardError.write(
                    Data(
                        ("ehlo serve: WARNING: the class view on \(dashboard) shows every session and message "
                            + "to anyone who can reach it (--dashboard-public)\n").utf8))
            }
        }

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        log.write("stopping on \(received == SIGINT ? "SIGINT" : "SIGTERM"): open sessions get 421")
        classView?.close()
        server.stop()
        if let writtenCertificate { try? FileManager.default.removeItem(atPath: writtenCertificate) }
        log.write("stopped")
    }

    /// Where the generated certificate goes without --export-cert: removed when the server stops.
    static func temporaryCertificatePath() -> String {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return "\(directory)/ehlo-serve-\(getpid()).pem"
    }

    /// `ADDR:PORT` or `[IPv6]:PORT`, port 0 allowed (a free port).
    static func parseListen(_ text: String, option: String = "--listen") throws -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ValidationError("\(option) \(text): write [IPv6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ValidationError("\(option) \(text): write ADDR:PORT, e.g. 127.0.0.1:2525")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("\(option) \(text): the port must be 0 to 65535")
        }
        return (String(host), port)
    }
}

/// `ehlo --practice`: the same server in-process, quiet, on a free loopback port.
enum PracticeMode {
    /// - Parameter lmtp: the server speaks LMTP (`ehlo --practice --lmtp`).
    static func start(lmtp: Bool) throws -> RunningPracticeServer {
        var configuration = PracticeServerConfiguration()
        configuration.session.isLMTP = lmtp
        configuration.port = 0
        // Kept for the console's /mailbox; a classroom's worth, the oldest dropped first.
        configuration.destination = .memory(keeping: 200)
        configuration.log = .silent
        configuration.threads = 1
        return try PracticeServer.start(configuration)
    }
}
