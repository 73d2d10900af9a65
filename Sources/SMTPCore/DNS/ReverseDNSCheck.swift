/// Forward-confirmed reverse DNS (FCrDNS) of one address: the names its PTR records give, and
/// for each whether that name's A/AAAA records lead back to the address.
///
///     192.0.2.25 --PTR--> mail.example.test --A/AAAA--> 192.0.2.25   forward-confirmed
///     192.0.2.25 --PTR--> mail.example.test --A/AAAA--> 192.0.2.99   not confirmed
///     192.0.2.25 --PTR--> (none)                                     no name at all
///
/// ### Why does a mail administrator care?
/// A receiving server checks this of the client that connects to it: Postfix's
/// `reject_unknown_client_hostname` refuses a client whose address has no name, or whose name
/// does not lead back to it, and large mailbox providers refuse or mark down such mail. So the
/// check matters for a server that also sends mail from the address connected to, and it
/// shows which name that server is known by.
public struct ReverseDNSCheck: Hashable, Sendable {
    /// One PTR name and what it resolves to.
    public struct Name: Hashable, Sendable {
        public let name: String
        /// Its A and AAAA addresses.
        public let addresses: [IPAddress]
        /// Why it has no address, when it has none ("NXDOMAIN: the name does not exist").
        public let problem: String?
        /// Its addresses include the address checked.
        public let isConfirmed: Bool
    }

    public let address: IPAddress
    /// The name asked for PTR records (`25.2.0.192.in-addr.arpa`).
    public let reverseName: String
    /// Why no PTR name was found; nil when there is one.
    public let pointerProblem: String?
    public let names: [Name]

    /// At least one PTR name leads back to the address.
    public var isConfirmed: Bool { names.contains(where: \.isConfirmed) }

    /// Runs the check.
    ///
    /// - Parameters:
    ///   - pointerResult: the answer to the PTR question for `address.reverseName`.
    ///   - lookUp: asks one question (the shell's resolver; a table in tests).
    public init(address: IPAddress, pointerResult: DNSResult, lookUp: (String, DNSRecordType) -> DNSResult) {
        let address = address.unmapped
        self.address = address
        reverseName = address.reverseName
        let pointerNames: [String]
        if case .success(let answer) = pointerResult, answer.responseCode == .noError {
            pointerNames = answer.pointerNames
        } else {
            pointerNames = []
        }
        pointerProblem = pointerNames.isEmpty ? pointerResult.problem(for: .ptr) ?? "no PTR record" : nil
        names = pointerNames.map { name in
            let results = [lookUp(name, .aaaa), lookUp(name, .a)]
            let addresses = results.flatMap { (try? $0.get())?.addresses ?? [] }.map(\.unmapped)
            let problems = results.enumerated().compactMap { index, result in
                result.problem(for: index == 0 ? .aaaa : .a)
            }
            return Name(
                name: name, addresses: addresses,
                problem: addresses.isEmpty ? Self.joined(problems) : nil,
                isConfirmed: addresses.contains(address))
        }
    }

    /// `no A record` and `no AAAA record` as one phrase; different problems side by side.
    private static func joined(_ problems: [String]) -> String {
        if problems == ["no AAAA record", "no A record"] { return "no A or AAAA record" }
        var unique: [String] = []
        for problem in problems where !unique.contains(problem) { unique.append(problem) }
        return unique.joined(separator: "; ")
    }

    /// What `/dns` shows.
    ///
    /// - Parameter asked: the DNS server asked, for the first line ("127.0.0.1:53", "the system's resolver").
    public func lines(asked: String) -> [String] {
        var lines = ["reverse DNS of \(address) (PTR \(reverseName), asked \(asked)):"]
        if let pointerProblem {
            lines.append("  no name: \(pointerProblem)")
        }
        for name in names {
            if let problem = name.problem {
                lines.append("  \(name.name) resolves to nothing (\(problem)): not forward-confirmed")
            } else {
                let addresses = name.addresses.map(\.description).joined(separator: ", ")
                lines.append(
                    "  \(name.name) resolves to \(addresses): "
                        + (name.isConfirmed
                            ? "forward-confirmed"
                            : "not forward-confirmed (\(address) is not among its addresses)"))
            }
        }
        if let confirmed = names.first(where: \.isConfirmed) {
            lines.append("forward-confirmed reverse DNS: yes, as \(confirmed.name)")
        } else {
            lines.append(
                "forward-confirmed reverse DNS: no. Mail sent from \(address) is refused by servers that check it (Postfix's reject_unknown_client_hostname) or marked down by large mailbox providers"
            )
        }
        return lines
    }
}
