/// One host that takes mail for a domain: an MX record's exchange, or the domain itself.
public struct MailExchanger: Hashable, Sendable {
    /// Lower is tried first (RFC 5321 §5.1).
    public let preference: UInt16
    /// The host name, without the final dot.
    public let host: String
    /// The domain itself, for want of MX records (RFC 5321 §5.1's implicit MX).
    public let isImplicit: Bool

    public init(preference: UInt16, host: String, isImplicit: Bool = false) {
        self.preference = preference
        self.host = host
        self.isImplicit = isImplicit
    }

    /// The order in which to connect to this host's addresses: IPv6 first, then the families
    /// alternating (RFC 8305 §4), each family in the order DNS gave.
    public static func connectionOrder(_ addresses: [IPAddress]) -> [IPAddress] {
        var unique: [IPAddress] = []
        for address in addresses where !unique.contains(address) { unique.append(address) }
        let v6 = unique.filter { !$0.isIPv4 }
        let v4 = unique.filter(\.isIPv4)
        var order: [IPAddress] = []
        for index in 0..<max(v6.count, v4.count) {
            if index < v6.count { order.append(v6[index]) }
            if index < v4.count { order.append(v4[index]) }
        }
        return order
    }
}

/// Where mail for a domain goes, decided from the answer to its MX question (RFC 5321 §5.1,
/// RFC 7505).
///
///     MX answer                          route
///     MX records                         .exchangers: by preference, equal ones shuffled
///     a single "0 ."                     .nullMX: the domain accepts no mail
///     NOERROR, no MX record              .implicit: the domain itself, preference 0
///     NXDOMAIN                           .noSuchDomain: an error, not to be retried
///     SERVFAIL, REFUSED, no response     .unknown: an MTA would queue and retry later
public enum MailRoute: Hashable, Sendable {
    /// The MX hosts in the order to try; empty when every record was unusable ("10 .").
    case exchangers([MailExchanger])
    /// No MX record: "the address is treated as if it was associated with an implicit MX RR,
    /// with a preference of 0, pointing to that host" (RFC 5321 §5.1).
    case implicit(MailExchanger)
    /// RFC 7505 §3: a single MX record with preference 0 and the root as its exchange says the
    /// domain accepts no mail; a sender must not try its A/AAAA addresses instead (§4).
    case nullMX
    /// NXDOMAIN: "If a non-existent domain error is returned, this situation MUST be reported as
    /// an error" (RFC 5321 §5.1).
    case noSuchDomain
    /// No usable answer now: "If a temporary error is returned, the message MUST be queued and
    /// retried later" (RFC 5321 §5.1). `reason` says what happened.
    case unknown(reason: String)

    /// The route for `domain`, and notes on what in the records breaks a rule.
    ///
    /// - Parameter generator: shuffles the hosts of equal preference, as RFC 5321 §5.1 demands
    ///   ("the sender-SMTP MUST randomize them to spread the load"); a seeded one makes the
    ///   order repeatable.
    public static func route(
        for domain: String, mxResult: DNSResult, using generator: inout some RandomNumberGenerator
    ) -> (route: MailRoute, notes: [String]) {
        let answer: DNSAnswer
        switch mxResult {
        case .failure(let failure):
            return (.unknown(reason: failure.description), [])
        case .success(let response):
            answer = response
        }
        var notes = answer.aliases.map {
            "\($0.alias) is an alias (CNAME) of \($0.canonical): its MX records are \($0.canonical)'s (RFC 5321 §5.1)"
        }
        switch answer.responseCode {
        case .noError:
            break
        case .nameError:
            return (.noSuchDomain, notes)
        case .formatError, .serverFailure, .notImplemented, .refused, .other:
            return (.unknown(reason: "\(answer.responseCode): \(answer.responseCode.meaning)"), notes)
        }
        let records = answer.mailExchangers
        if records.isEmpty {
            return (.implicit(MailExchanger(preference: 0, host: domain, isImplicit: true)), notes)
        }
        if records.count == 1, records[0].preference == 0, records[0].exchange.isEmpty {
            return (.nullMX, notes)
        }
        for record in records where record.exchange.isEmpty {
            notes.append(
                record.preference == 0
                    ? "the null MX (0 .) stands beside other MX records, which RFC 7505 §3 forbids; it is skipped"
                    : "MX \(record.preference) . names no host (a null MX has preference 0 and stands alone, RFC 7505 §3); it is skipped"
            )
        }
        // A host listed twice is tried once, at its lowest preference.
        var seen: Set<String> = []
        let usable = records.sorted { $0.preference < $1.preference }
            .filter { !$0.exchange.isEmpty && seen.insert($0.exchange.lowercased()).inserted }
        var ordered: [MailExchanger] = []
        for preference in Set(usable.map(\.preference)).sorted() {
            ordered += usable.filter { $0.preference == preference }
                .map { MailExchanger(preference: preference, host: $0.exchange) }
                .shuffled(using: &generator)
        }
        return (.exchangers(ordered), notes)
    }
}
