import DNSResolver
import Foundation
import SMTPClient
import SMTPCore

/// Finding the server from a mail domain (`--mx`, `--mx-all`, `mx:DOMAIN`) and `/dns`.
///
/// The DNS questions block the console's thread (a script's console runs on the network
/// thread: what the server sends meanwhile is read after the answer) for at most the
/// resolver's timeouts (`--timeout`, else the system's, 5 s and 2 attempts by default).
extension Console {
    /// The resolver for `--mx` and `/dns`: `--resolver`, else the system's.
    var resolver: DNSResolver {
        DNSResolver(server: options.resolver, timeoutSeconds: options.timeoutOverride)
    }

    /// Asks one question, which blocks; the output gathered for a pipe is written first.
    private func lookUp(_ name: String, _ type: DNSRecordType) -> DNSResult {
        screen.writeGathered()
        return resolver.query(name, type)
    }

    /// The TLS settings for the current connection: the command line's, with the MX host's name
    /// (the connection went to its address) as the name to check and send in SNI unless `--sni`
    /// gives one, as senders that check an MX's certificate do (MTA-STS, RFC 8461 §4).
    var tlsSettings: TLSSettings {
        var settings = options.tls
        if settings.serverName == nil, let name = mailExchangerName { settings.serverName = name }
        return settings
    }

    /// Looks up the domain's MX records, shows them with their addresses, and connects as an
    /// MTA would (RFC 5321 §5.1): the most preferred host first, each of its addresses in turn.
    /// With `--mx-all` the walk goes on through every host until one greets with 220; a host that
    /// refuses, cannot be reached or greets otherwise is named with why, as an MTA's log does.
    ///
    /// - Returns: whether a session is open.
    func connect(toMailDomain target: MailDomainTarget) async -> Bool {
        let asked = resolver.serverDescription
        var generator = SystemRandomNumberGenerator()
        let (route, notes) = MailRoute.route(
            for: target.domain, mxResult: lookUp(target.domain, .mx), using: &generator)
        for note in notes { emit(.event, note) }
        if let failure = route.failure(domain: target.domain, asked: asked) {
            emit(.warning, failure)
            return false
        }
        let exchangers: [MailExchanger]
        switch route {
        case .exchangers(let hosts): exchangers = hosts
        case .implicit(let host): exchangers = [host]
        case .nullMX, .noSuchDomain, .unknown: exchangers = []
        }
        let resolved = exchangers.map {
            MailRoute.ResolvedExchanger($0, aaaa: lookUp($0.host, .aaaa), a: lookUp($0.host, .a))
        }
        emit(route.lines(domain: target.domain, resolved: resolved, asked: asked))
        guard resolved.contains(where: { !$0.addresses.isEmpty }) else {
            emit(
                .warning,
                "no mail server of \(target.domain) has an address: mail to it fails (RFC 5321 §5.1: \"none of them are usable\")"
            )
            return false
        }
        let hosts = target.triesEveryExchanger ? resolved : Array(resolved.prefix(1))
        // A failed attempt must not end a script that a later one rescues.
        let statusBefore = exitStatus
        var failures = 0
        for host in hosts {
            let label = host.exchanger.isImplicit ? "implicit MX" : "MX \(host.exchanger.preference)"
            if host.addresses.isEmpty {
                emit(.event, "skipping \(host.exchanger.host) (\(label)): \(host.problem ?? "no address")")
            }
            for address in host.addresses {
                let place = "\(host.exchanger.host)[\(address)]:\(target.port)"
                emit(.event, "trying \(place) (\(label))")
                let address = ServerAddress(host: address.description, port: target.port)
                if await connect(to: address, mailExchanger: host.exchanger.host) {
                    if !target.triesEveryExchanger || session.phase == .greeted {
                        exitStatus = statusBefore
                        return true
                    }
                    let reply = session.lastReply.map { "greeted with \($0.code), not 220" } ?? "sent no greeting"
                    emit(.warning, "\(place) \(reply): trying the next, as an MTA would")
                    await leaveRefusingServer()
                }
                failures += 1
                exitStatus = statusBefore
                isFinished = false
            }
        }
        let others = resolved.count - hosts.count
        if !target.triesEveryExchanger, others > 0 {
            emit(
                .warning,
                "\(hosts[0].exchanger.host), the most preferred mail server of \(target.domain), took no connection; --mx-all tries the other \(others) as an MTA would"
            )
        } else {
            emit(
                .warning,
                "no mail server of \(target.domain) took the session (\(failures) address\(failures == 1 ? "" : "es") tried); an MTA would keep the mail and try again later"
            )
        }
        return false
    }

    /// After a greeting other than 220: QUIT if the server waits for it (RFC 5321 §3.1: after 554
    /// it "MUST wait for the client to send a QUIT"), then close.
    private func leaveRefusingServer() async {
        if link.isConnected, session.phase == .refused {
            await sendCommand("QUIT", quiet: true, replyTimeout: min(options.timeoutOverride ?? 5, 5))
            await flushAndWait()
        }
        closeConnection(reason: nil)
    }

    // MARK: /dns

    /// `/dns [ADDRESS]`: the PTR names of the server connected to (or of ADDRESS), and whether
    /// each leads back to it (forward-confirmed reverse DNS).
    func dnsCommand(_ argument: String) async {
        let address: IPAddress
        if !argument.isEmpty {
            guard let given = IPAddress(parsing: argument.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
            else {
                emit(.warning, "usage: /dns [ADDRESS]; '\(VisibleText.escape(argument))' is not an IP address")
                if isScript { fail(.usage) }
                return
            }
            address = given
        } else {
            guard let connection = link.connection else {
                emit(.warning, "not connected: /dns checks the server connected to, or /dns ADDRESS another address")
                return
            }
            if let path = connection.address.socketPath {
                emit(
                    .output,
                    "/dns: \(path) is a UNIX-domain socket: it has no IP address, so reverse DNS does not apply")
                return
            }
            guard let text = connection.remoteIPAddress, let connected = IPAddress(parsing: text) else {
                emit(.warning, "/dns: the server's IP address is not known")
                return
            }
            address = connected
        }
        let check = ReverseDNSCheck(
            address: address, pointerResult: lookUp(address.unmapped.reverseName, .ptr), lookUp: lookUp)
        emit(check.lines(asked: resolver.serverDescription).map { DisplayLine(.output, $0) })
    }
}
