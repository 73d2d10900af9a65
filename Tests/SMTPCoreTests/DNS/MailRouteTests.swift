import SMTPCore
import Testing

/// Where mail for a domain goes (RFC 5321 §5.1, RFC 7505), decided from its MX answer.
@Suite struct MailRouteTests {
    private func route(_ result: DNSResult, seed: UInt64 = 1) -> (route: MailRoute, notes: [String]) {
        var generator = SeededGenerator(seed: seed)
        return MailRoute.route(for: "example.test", mxResult: result, using: &generator)
    }

    private func hosts(_ route: MailRoute) -> [String] {
        guard case .exchangers(let hosts) = route else { return [] }
        return hosts.map(\.host)
    }

    @Test func lowerPreferenceComesFirst() {
        let answer = DNSAnswer.mx([(30, "c.example.test"), (10, "a.example.test"), (20, "b.example.test")])
        let (route, notes) = route(.success(answer))
        #expect(hosts(route) == ["a.example.test", "b.example.test", "c.example.test"])
        #expect(notes.isEmpty)
        if case .exchangers(let hosts) = route { #expect(hosts.map(\.preference) == [10, 20, 30]) }
    }

    /// "the sender-SMTP MUST randomize them to spread the load across multiple mail exchangers".
    @Test func equalPreferencesAreShuffledWithinTheirRankOnly() {
        let peers = (1...6).map { (UInt16(20), "peer\($0).example.test") }
        let answer = DNSAnswer.mx([(10, "first.example.test")] + peers + [(30, "last.example.test")])
        let orders = Set((1...20).map { hosts(route(.success(answer), seed: $0).route) })
        #expect(orders.count > 1, "one order for every seed: equal preferences are not shuffled")
        for order in orders {
            #expect(order.first == "first.example.test")
            #expect(order.last == "last.example.test")
            #expect(Set(order.dropFirst().dropLast()) == Set(peers.map(\.1)))
        }
    }

    @Test func theSameSeedGivesTheSameOrder() {
        let answer = DNSAnswer.mx((1...5).map { (UInt16(10), "mx\($0).example.test") })
        #expect(hosts(route(.success(answer), seed: 7).route) == hosts(route(.success(answer), seed: 7).route))
    }

    @Test func aHostListedTwiceIsTriedOnceAtItsBestPreference() {
        let answer = DNSAnswer.mx([(20, "MX.example.test"), (10, "mx.example.test"), (30, "other.example.test")])
        #expect(hosts(route(.success(answer)).route) == ["mx.example.test", "other.example.test"])
    }

    /// RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as if it was
    /// associated with an implicit MX RR, with a preference of 0, pointing to that host."
    @Test func noMXRecordMeansTheDomainItselfIsTheImplicitMX() {
        let (route, _) = route(.success(DNSAnswer(responseCode: .noError, records: [])))
        #expect(route == .implicit(MailExchanger(preference: 0, host: "example.test", isImplicit: true)))
        #expect(route.failure(domain: "example.test", asked: "x") == nil)
    }

    /// RFC 7505 §3: a single "0 ." says the domain accepts no mail; no fallback to its address.
    @Test func aNullMXMeansNoMail() throws {
        let (route, notes) = route(.success(.mx([(0, ".")])))
        #expect(route == .nullMX)
        #expect(notes.isEmpty)
        let failure = try #require(route.failure(domain: "example.test", asked: "127.0.0.1:53"))
        #expect(failure.contains("null MX") && failure.contains("accepts no mail") && failure.contains("RFC 7505"))
        #expect(route.lines(domain: "example.test", resolved: [], asked: "x").isEmpty)
    }

    @Test func aNullMXBesideOtherRecordsIsSkippedWithANote() throws {
        let (route, notes) = route(.success(.mx([(0, "."), (10, "mx.example.test")])))
        #expect(hosts(route) == ["mx.example.test"])
        let note = try #require(notes.first)
        #expect(note.contains("RFC 7505 §3"))
    }

    @Test func aRootExchangeWithAPreferenceIsNoNullMXAndNoHost() throws {
        let (route, notes) = route(.success(.mx([(10, ".")])))
        #expect(route == .exchangers([]))
        #expect(notes.count == 1)
        let failure = try #require(route.failure(domain: "example.test", asked: "x"))
        #expect(failure.contains("none names a host"))
    }

    /// "If a non-existent domain error is returned, this situation MUST be reported as an error."
    @Test func nxdomainIsNoSuchDomain() throws {
        let (route, _) = route(.success(DNSAnswer(responseCode: .nameError, records: [])))
        #expect(route == .noSuchDomain)
        let failure = try #require(route.failure(domain: "example.test", asked: "127.0.0.1:5353"))
        #expect(failure.contains("does not exist") && failure.contains("NXDOMAIN from 127.0.0.1:5353"))
    }

    /// "If a temporary error is returned, the message MUST be queued and retried later."
    @Test(arguments: [DNSResponseCode.serverFailure, .refused])
    func aFailingServerLeavesTheRouteUnknown(code: DNSResponseCode) throws {
        let (route, _) = route(.success(DNSAnswer(responseCode: code, records: [])))
        guard case .unknown(let reason) = route else {
            Issue.record("expected an unknown route, got \(route)")
            return
        }
        #expect(reason.hasPrefix("\(code): "))
        #expect(try #require(route.failure(domain: "example.test", asked: "x")).contains("try again later"))
    }

    @Test func noResponseLeavesTheRouteUnknown() {
        let (route, _) = route(.failure(DNSQueryFailure(.timedOut, "no response from 127.0.0.1:53 within 2 s")))
        #expect(route == .unknown(reason: "no response from 127.0.0.1:53 within 2 s"))
    }

    /// RFC 5321 §5.1: "If a CNAME record is found, the resulting name is processed as if it were the initial name."
    @Test func anAliasedDomainIsNoted() throws {
        let answer = DNSAnswer(
            responseCode: .noError,
            records: [
                DNSRecord(name: "example.test", data: .cname("mail.example.net")),
                DNSRecord(name: "mail.example.net", data: .mx(preference: 5, exchange: "mx.example.net")),
            ])
        let (route, notes) = route(.success(answer))
        #expect(hosts(route) == ["mx.example.net"])
        #expect(try #require(notes.first).contains("alias (CNAME) of mail.example.net"))
    }

    /// RFC 8305 §4: IPv6 first, then the families alternate.
    @Test func addressesAlternateFamiliesStartingWithIPv6() throws {
        let given = ["192.0.2.1", "192.0.2.2", "2001:db8::1", "192.0.2.3", "2001:db8::2", "192.0.2.1"]
        let order = MailExchanger.connectionOrder(given.compactMap { IPAddress(parsing: $0) }).map(\.description)
        #expect(order == ["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"])
    }

    @Test func theListShowsEachHostWithItsAddressesOrWhyItHasNone() {
        let route = MailRoute.exchangers([
            MailExchanger(preference: 10, host: "mx1.example.test"),
            MailExchanger(preference: 20, host: "ghost.example.test"),
        ])
        let addresses = DNSAnswer(
            responseCode: .noError,
            records: [DNSRecord(name: "mx1.example.test", data: .address(IPAddress(parsing: "127.0.0.2")!))])
        let resolved = [
            MailRoute.ResolvedExchanger(
                MailExchanger(preference: 10, host: "mx1.example.test"),
                aaaa: .success(DNSAnswer(responseCode: .noError, records: [])), a: .success(addresses)),
            MailRoute.ResolvedExchanger(
                MailExchanger(preference: 20, host: "ghost.example.test"),
                aaaa: .success(DNSAnswer(responseCode: .nameError, records: [])),
                a: .success(DNSAnswer(responseCode: .nameError, records: []))),
        ]
        let lines = route.lines(domain: "example.test", resolved: resolved, asked: "127.0.0.1:5353")
        #expect(lines.map(\.kind) == [.event, .event, .event])
        #expect(lines[0].text.hasPrefix("MX records of example.test (asked 127.0.0.1:5353): 2 hosts"))
        #expect(lines[1].text == "  MX 10 mx1.example.test: 127.0.0.2")
        #expect(lines[2].text == "  MX 20 ghost.example.test: no address (NXDOMAIN: the name does not exist)")
    }

    /// RFC 2181 §10.3: an MX names a host, not an alias.
    @Test func anExchangerThatIsAnAliasIsWarnedAbout() {
        let host = MailExchanger(preference: 10, host: "mail.example.test")
        let answer = DNSAnswer(
            responseCode: .noError,
            records: [
                DNSRecord(name: "mail.example.test", data: .cname("real.example.test")),
                DNSRecord(name: "real.example.test", data: .address(IPAddress(parsing: "192.0.2.7")!)),
            ])
        let resolved = MailRoute.ResolvedExchanger(host, aaaa: .success(.mx([])), a: .success(answer))
        let lines = MailRoute.exchangers([host]).lines(domain: "example.test", resolved: [resolved], asked: "x")
        #expect(lines.last?.kind == .warning)
        #expect(lines.last?.text.contains("RFC 2181 §10.3") == true)
    }
}
