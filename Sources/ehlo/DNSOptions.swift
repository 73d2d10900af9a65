import ArgumentParser
import Console
import SMTPCore

/// Finding the server through DNS: `--mx`, `--mx-all`, `mx:DOMAIN` and `--resolver`.
struct DNSOptions: ParsableArguments {
    @Flag(
        help:
            "HOST is a mail domain: look up its MX records, show them with their addresses, and connect to the most preferred one (:PORT is the port on every MX host). Also written mx:DOMAIN."
    )
    var mx = false

    @Flag(
        name: .customLong("mx-all"),
        help:
            "As --mx, but try every MX host and address in order, as an MTA does, until one greets with 220; say why each other failed."
    )
    var mxAll = false

    @Option(
        help: ArgumentHelp(
            "The DNS server for --mx and /dns: ADDR, ADDR:PORT or [IPv6]:PORT (default: the system's, /etc/resolv.conf).",
            valueName: "addr[:port]"))
    var resolver: String?

    func validate() throws {
        if let resolver {
            do {
                _ = try DNSServerAddress(parsing: resolver)
            } catch {
                throw ValidationError("--resolver \(resolver): \(error)")
            }
        }
    }

    /// Whether the server argument names a mail domain rather than a server.
    func namesMailDomain(_ server: String?) -> Bool {
        mx || mxAll || server.flatMap(MailDomainArgument.domain(in:)) != nil
    }

    /// Sets the mail domain (when the server argument is one) and the resolver.
    ///
    /// - Returns: whether `server` was taken as a mail domain.
    func apply(to options: inout ConsoleOptions, server: String?, defaultPort: Int) throws -> Bool {
        options.resolver = try resolver.map { try DNSServerAddress(parsing: $0) }
        guard namesMailDomain(server) else { return false }
        guard let server, !server.isEmpty else {
            throw ValidationError("--mx and --mx-all need a mail DOMAIN[:PORT] in place of HOST")
        }
        let text = MailDomainArgument.domain(in: server) ?? server
        let parsed = try ServerAddress.parseArgument(text, defaultPort: defaultPort)
        guard case .tcp(let domain, let port) = parsed.endpoint, IPAddress(parsing: domain) == nil, !domain.isEmpty
        else {
            throw ValidationError(
                "\(text): --mx needs a mail domain (the part of an address after @), not an address or a socket")
        }
        options.mailDomain = MailDomainTarget(domain: domain, port: port, triesEveryExchanger: mxAll)
        return true
    }
}
