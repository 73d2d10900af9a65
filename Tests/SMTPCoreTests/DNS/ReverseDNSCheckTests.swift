import SMTPCore
import Testing

/// Forward-confirmed reverse DNS: address → PTR name → A/AAAA → the address again.
@Suite struct ReverseDNSCheckTests {
    /// A small zone: name and type to answer.
    private let zone: [String: [DNSRecord.Data]] = [
        "mx1.example.test A": [.address(IPAddress(parsing: "127.0.0.2")!)],
        "mx1.example.test AAAA": [.address(IPAddress(parsing: "::1")!)],
        "elsewhere.example.test A": [.address(IPAddress(parsing: "127.0.0.9")!)],
    ]

    private func lookUp(_ name: String, _ type: DNSRecordType) -> DNSResult {
        if name == "gone.example.test" { return .success(DNSAnswer(responseCode: .nameError, records: [])) }
        let data = zone["\(name) \(type)"] ?? []
        return .success(DNSAnswer(responseCode: .noError, records: data.map { DNSRecord(name: name, data: $0) }))
    }

    private func pointers(_ names: [String]) -> DNSResult {
        .success(
            DNSAnswer(responseCode: .noError, records: names.map { DNSRecord(name: "x.in-addr.arpa", data: .ptr($0)) }))
    }

    @Test func aNameThatLeadsBackIsForwardConfirmed() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "127.0.0.2")!, pointerResult: pointers(["mx1.example.test"]), lookUp: lookUp)
        #expect(check.isConfirmed)
        #expect(check.reverseName == "2.0.0.127.in-addr.arpa")
        #expect(check.names.first?.addresses.map(\.description) == ["::1", "127.0.0.2"])
        let lines = check.lines(asked: "127.0.0.1:5353")
        #expect(lines[0] == "reverse DNS of 127.0.0.2 (PTR 2.0.0.127.in-addr.arpa, asked 127.0.0.1:5353):")
        #expect(lines[1] == "  mx1.example.test resolves to ::1, 127.0.0.2: forward-confirmed")
        #expect(lines.last == "forward-confirmed reverse DNS: yes, as mx1.example.test")
    }

    @Test func aNameThatLeadsElsewhereIsNotConfirmed() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "127.0.0.3")!, pointerResult: pointers(["elsewhere.example.test"]),
            lookUp: lookUp)
        #expect(!check.isConfirmed)
        let lines = check.lines(asked: "x")
        #expect(
            lines[1]
                == "  elsewhere.example.test resolves to 127.0.0.9: not forward-confirmed (127.0.0.3 is not among its addresses)"
        )
        #expect(lines.last?.hasPrefix("forward-confirmed reverse DNS: no.") == true)
    }

    @Test func oneConfirmedNameAmongSeveralIsEnough() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "127.0.0.2")!,
            pointerResult: pointers(["elsewhere.example.test", "mx1.example.test"]),
            lookUp: lookUp)
        #expect(check.isConfirmed)
        #expect(check.names.map(\.isConfirmed) == [false, true])
    }

    @Test func aNameThatDoesNotResolveIsNotConfirmed() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "127.0.0.4")!,
            pointerResult: pointers(["gone.example.test", "bare.example.test"]),
            lookUp: lookUp)
        #expect(!check.isConfirmed)
        #expect(check.names.map(\.problem) == ["NXDOMAIN: the name does not exist", "no A or AAAA record"])
        #expect(
            check.lines(asked: "x")[1]
                == "  gone.example.test resolves to nothing (NXDOMAIN: the name does not exist): not forward-confirmed")
    }

    @Test func anAddressWithoutAPTRRecordHasNoName() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "127.0.0.5")!,
            pointerResult: .success(DNSAnswer(responseCode: .nameError, records: [])),
            lookUp: lookUp)
        #expect(!check.isConfirmed)
        #expect(check.names.isEmpty)
        #expect(check.lines(asked: "x")[1] == "  no name: NXDOMAIN: the name does not exist")
    }

    @Test func anIPv4MappedAddressIsCheckedAsIPv4() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "::ffff:127.0.0.2")!, pointerResult: pointers(["mx1.example.test"]),
            lookUp: lookUp)
        #expect(check.address == IPAddress(parsing: "127.0.0.2"))
        #expect(check.isConfirmed)
    }

    @Test func aFailedPTRQuestionSaysWhy() {
        let check = ReverseDNSCheck(
            address: IPAddress(parsing: "127.0.0.2")!,
            pointerResult: .failure(DNSQueryFailure(.timedOut, "no response from 127.0.0.1:53 within 2 s")),
            lookUp: lookUp)
        #expect(check.pointerProblem == "no response from 127.0.0.1:53 within 2 s")
    }
}
