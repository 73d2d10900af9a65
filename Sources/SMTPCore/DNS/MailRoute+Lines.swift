/// What `ehlo --mx` shows of a route: the hosts with their addresses, or why there is none.
extension MailRoute {
    /// An exchanger with the addresses its A and AAAA questions gave, in the order to try.
    public struct ResolvedExchanger: Hashable, Sendable {
        public let exchanger: MailExchanger
        public let addresses: [IPAddress]
        /// Why it has no address, when it has none.
        public let problem: String?
        /// The host is an alias: "the domain name ... in the MX must not be an alias" (RFC 2181 §10.3).
        public let canonicalName: String?

        public init(_ exchanger: MailExchanger, aaaa: DNSResult, a: DNSResult) {
            self.exchanger = exchanger
            let answers = [aaaa, a].compactMap { try? $0.get() }
            addresses = MailExchanger.connectionOrder(answers.flatMap(\.addresses))
            canonicalName = answers.flatMap(\.aliases).last?.canonical
            if addresses.isEmpty {
                let problems = [aaaa.problem(for: .aaaa), a.problem(for: .a)].compactMap { $0 }
                problem =
                    problems == ["no AAAA record", "no A record"]
                    ? "no A or AAAA record" : Array(Set(problems)).sorted().joined(separator: "; ")
            } else {
                problem = nil
            }
        }
    }

    /// The event lines that list the hosts, and warnings about them (none for a route without
    /// hosts: `failure` says why).
    ///
    /// - Parameter asked: the DNS server asked ("127.0.0.1:53", "the system's resolver").
    public func lines(domain: String, resolved: [ResolvedExchanger], asked: String) -> [DisplayLine] {
        var lines: [DisplayLine]
        switch self {
        case .exchangers(let hosts) where !hosts.isEmpty:
            lines = [
                DisplayLine(
                    .event,
                    "MX records of \(domain) (asked \(asked)): \(hosts.count) host\(hosts.count == 1 ? "" : "s"), the most preferred first (RFC 5321 §5.1)"
                )
            ]
        case .implicit:
            lines = [
                DisplayLine(
                    .event,
                    "\(domain) has no MX record (asked \(asked)): the domain itself is its mail server, the implicit MX with preference 0 (RFC 5321 §5.1)"
                )
            ]
        case .exchangers, .nullMX, .noSuchDomain, .unknown:
            return []
        }
        for host in resolved {
            let label = "  MX \(host.exchanger.preference) \(host.exchanger.host)"
            if let problem = host.problem {
                lines.append(DisplayLine(.event, "\(label): no address (\(problem))"))
            } else {
                lines.append(
                    DisplayLine(.event, "\(label): \(host.addresses.map(\.description).joined(separator: ", "))"))
            }
            if let canonical = host.canonicalName, !host.exchanger.isImplicit {
                lines.append(
                    DisplayLine(
                        .warning,
                        "\(host.exchanger.host) is an alias (CNAME) of \(canonical); an MX must name the host itself (RFC 2181 §10.3)"
                    ))
            }
        }
        return lines
    }

    /// Why nothing can be connected to, as a warning; nil when the route has hosts.
    public func failure(domain: String, asked: String) -> String? {
        switch self {
        case .exchangers(let hosts):
            return hosts.isEmpty
                ? "\(domain) has MX records, but none names a host: mail to it fails (RFC 5321 §5.1)" : nil
        case .implicit:
            return nil
        case .nullMX:
            return
                "\(domain) publishes a null MX (0 .): it accepts no mail (RFC 7505 §3), so there is nothing to connect to"
        case .noSuchDomain:
            return
                "\(domain) does not exist (NXDOMAIN from \(asked)): mail to it fails at once, it is not retried (RFC 5321 §5.1)"
        case .unknown(let reason):
            return
                "no MX answer for \(domain) from \(asked): \(reason); an MTA would keep the mail and try again later (RFC 5321 §5.1)"
        }
    }
}
