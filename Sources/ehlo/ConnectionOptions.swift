import ArgumentParser
import Console
import SMTPClient
import SMTPCore

extension ProxyHeader.Version: ExpressibleByArgument {}

/// How the connection is opened and what it speaks: `-4`, `-6`, `--source`, `--proxy`,
/// `--proxy-from`, `--lmtp`. The command line and `/connect` both read them.
struct ConnectionOptions: ParsableArguments {
    @Flag(name: .customShort("4"), help: "Resolve HOST and connect over IPv4 only.")
    var ipv4 = false

    @Flag(name: .customShort("6"), help: "Resolve HOST and connect over IPv6 only.")
    var ipv6 = false

    @Option(
        help: ArgumentHelp(
            "Bind the connection's local end to ADDR, an address of this machine (IPv4 or IPv6, which then decides the family).",
            valueName: "addr"))
    var source: String?

    @Option(
        help: ArgumentHelp(
            "Send a HAProxy PROXY protocol header first, v1 (text) or v2 (binary), naming the connection's own two ends (UNKNOWN or LOCAL over a UNIX socket).",
            valueName: "version"))
    var proxy: ProxyHeader.Version?

    @Option(
        help: ArgumentHelp(
            "With --proxy: the client the header names instead of the connection's source, as ADDR:PORT or [IPv6]:PORT.",
            valueName: "addr:port"))
    var proxyFrom: String?

    @Flag(
        help:
            "Speak LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the message; the port defaults to 24."
    )
    var lmtp = false

    @Flag(name: .customLong("no-lmtp"), help: "Speak SMTP, though the profile says lmtp = true.")
    var noLMTP = false

    func validate() throws {
        if ipv4, ipv6 { throw ValidationError("-4 and -6 exclude each other") }
        if lmtp, noLMTP { throw ValidationError("--lmtp and --no-lmtp exclude each other") }
        if let source = try sourceAddress, ipv4 || ipv6, ConnectionSettings.AddressFamily(of: source) != family {
            throw ValidationError(
                "--source \(source) is an IPv\(source.isIPv4 ? 4 : 6) address, but \(ipv4 ? "-4" : "-6") was given")
        }
        if proxyFrom != nil, proxy == nil {
            throw ValidationError("--proxy-from names the client in a PROXY header: give --proxy v1 or --proxy v2 too")
        }
        _ = try proxyClient
    }

    private var family: ConnectionSettings.AddressFamily {
        ipv4 ? .ipv4 : (ipv6 ? .ipv6 : .any)
    }

    /// `--source`, read as an address (`::1` and `[::1]` alike).
    private var sourceAddress: IPAddress? {
        get throws {
            guard let source else { return nil }
            let bare = source.hasPrefix("[") && source.hasSuffix("]") ? String(source.dropFirst().dropLast()) : source
            guard let address = IPAddress(parsing: bare) else {
                throw ValidationError(
                    "--source takes an IP address of this machine, such as 127.0.0.2 or ::1; '\(source)' is none")
            }
            return address
        }
    }

    /// `--proxy-from ADDR:PORT`.
    private var proxyClient: ProxyHeader.Endpoint? {
        get throws {
            guard let proxyFrom else { return nil }
            let usage = "--proxy-from takes ADDR:PORT, such as 192.0.2.7:4242 or [2001:db8::7]:4242"
            guard let parsed = try? ServerAddress(parsing: proxyFrom, defaultPort: 0),
                case .tcp(let host, let port) = parsed.endpoint,
                port != 0
            else {
                throw ValidationError("\(usage); '\(proxyFrom)' has no port")
            }
            guard let address = IPAddress(parsing: host) else {
                throw ValidationError("\(usage); '\(host)' is not an IP address")
            }
            return ProxyHeader.Endpoint(address: address, port: port)
        }
    }

    /// The port when HOST gives none: 24 for LMTP, 465 for `--tls`, else 25.
    func defaultPort(security: SecurityOptions) -> Int {
        lmtp && !security.tls ? SessionProtocol.lmtp.defaultPort : security.defaultPort
    }

    /// Sets what connecting to `server` takes: its address (the port from `--tls` and `--lmtp`
    /// when it gives none), the protocol, TLS and AUTH (`security`), family, local address and
    /// PROXY header.
    func apply(server: String?, security: SecurityOptions, to options: inout ConsoleOptions) throws {
        let defaultPort = defaultPort(security: security)
        options.server = try server.map { try ServerAddress.parseArgument($0, defaultPort: defaultPort) }
        if let socket = options.server?.socketPath {
            if family != .any || self.source != nil {
                throw ValidationError("\(socket) is a UNIX socket: -4, -6 and --source are for TCP")
            }
            if proxyFrom != nil {
                throw ValidationError(
                    "\(socket) is a UNIX socket: a PROXY header over it names no TCP addresses (--proxy alone sends UNKNOWN or LOCAL)"
                )
            }
        }
        options.sessionProtocol = lmtp ? .lmtp : .smtp
        try security.apply(to: &options)
        options.connection = ConnectionSettings(
            family: family, sourceAddress: try sourceAddress, proxy: proxy, proxyClient: try proxyClient)
    }
}

/// `/connect HOST[:PORT] [options]` in the console, read by the same parser as the command
/// line: its TLS, AUTH and connection options, for that connection only.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "/connect",
        abstract: "Connect to a server (closing the current connection), as `ehlo OPTIONS HOST` would.",
        discussion: """
            The options given replace the command line's TLS, AUTH and connection options for this \
            connection only (--starttls and --user then take their steps after the greeting); with \
            none, the command line's settings apply. /connect alone opens the last connection \
            again, the same way.
            """
    )

    @Argument(
        help: ArgumentHelp(
            "The server: a name, an IPv4 address or [IPv6] (:PORT defaults to 25, 465 with --tls, 24 with --lmtp), a UNIX socket's path, or @NAME[:PORT], a profile of the config file; default: the last one.",
            valueName: "host[:port]|socket|@profile"))
    var server: String?

    @OptionGroup(title: "Connection")
    var connection: ConnectionOptions

    @OptionGroup(title: "TLS and authentication")
    var security: SecurityOptions

    func validate() throws {
        // A profile may name the user (ConsoleOptions.applying(_:) checks that it does).
        if security.auth != nil, security.user == nil, !(server.map(ProfileReference.isReference) ?? false) {
            throw ValidationError("--auth needs --user NAME")
        }
    }

    /// The parser the console calls for `/connect`'s words.
    static let parser: ConnectArguments.Parser = { words, commandLine in
        do {
            let command = try parse(words)
            var options = commandLine
            let profile = try command.server.flatMap(ProfileReference.parseArgument)
            try command.connection.apply(
                server: profile == nil ? command.server : nil, security: command.security, to: &options)
            // The options given here, not the command line's, yield a profile's values to them.
            options.commandLineSettings = ProfileSettings(
                explicitIn: command.security, command.connection, heloName: commandLine.commandLineSettings.heloName)
            options.startProfile = profile
            return .connect(options)
        } catch {
            if exitCode(for: error) == .success { return .help(fullMessage(for: error)) }
            return .invalid("/connect: \(message(for: error)); /connect --help lists the options")
        }
    }
}
