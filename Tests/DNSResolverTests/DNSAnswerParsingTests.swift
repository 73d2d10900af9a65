import DNSResolver
import SMTPCore
import Testing

/// Reading a response with libresolv's parser (ns_initparse, ns_parserr, dn_expand).
@Suite struct DNSAnswerParsingTests {
    typealias M = DNSMessageBuilder

    @Test func mxRecordsWithCompressedNames() throws {
        // mx1.<pointer to example.test> and a plain name: dn_expand follows the pointer.
        let bytes = M.response(
            question: "example.test", type: 15,
            answers: [
                .mx(10, [3] + Array("mx1".utf8) + M.pointer()),
                .mx(20, M.name("backup.example.net")),
            ])
        let answer = try DNSAnswer(message: bytes)
        #expect(answer.responseCode == .noError)
        #expect(!answer.isTruncated)
        #expect(answer.records.map(\.name) == ["example.test", "example.test"])
        #expect(answer.records.first?.ttl == 300)
        #expect(answer.mailExchangers.map(\.preference) == [10, 20])
        #expect(answer.mailExchangers.map(\.exchange) == ["mx1.example.test", "backup.example.net"])
    }

    /// RFC 7505 §3: the null MX's exchange is the root, a single zero octet.
    @Test func theRootExchangeOfANullMXIsEmpty() throws {
        let answer = try DNSAnswer(message: M.response(question: "nomail.test", type: 15, answers: [.mx(0, [0])]))
        #expect(answer.records == [DNSRecord(name: "nomail.test", ttl: 300, data: .mx(preference: 0, exchange: ""))])
    }

    @Test func addressRecords() throws {
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        let answer = try DNSAnswer(
            message: M.response(question: "mx.test", type: 1, answers: [.a([127, 0, 0, 2]), .aaaa(v6)]))
        #expect(answer.addresses == [IPAddress(parsing: "127.0.0.2"), IPAddress(parsing: "2001:db8::1")])
    }

    @Test func pointerAndAliasRecords() throws {
        let answer = try DNSAnswer(
            message: M.response(
                question: "2.0.0.127.in-addr.arpa", type: 12,
                answers: [
                    .cname(M.name("2.0/25.0.0.127.in-addr.arpa")),
                    .ptr(M.name("mx1.example.test")),
                ]))
        // RFC 2317's classless delegation: the PTR name is an alias into the delegated zone.
        #expect(answer.aliases.map(\.canonical) == ["2.0/25.0.0.127.in-addr.arpa"])
        #expect(answer.pointerNames == ["mx1.example.test"])
    }

    @Test(arguments: [(3, DNSResponseCode.nameError), (2, .serverFailure), (5, .refused), (9, .other(9))])
    func theResponseCodeIsRead(rcode: Int, code: DNSResponseCode) throws {
        let answer = try DNSAnswer(message: M.response(rcode: rcode, question: "nowhere.test", type: 15))
        #expect(answer.responseCode == code)
        #expect(answer.records.isEmpty)
    }

    @Test func theTruncationBitIsRead() throws {
        #expect(try DNSAnswer(message: M.response(truncated: true, question: "big.test", type: 15)).isTruncated)
    }

    @Test func aTypeEhloDoesNotReadIsKeptByNumber() throws {
        let answer = try DNSAnswer(
            message: M.response(
                question: "x.test", type: 16, answers: [M.Answer(type: 16, data: [2] + Array("hi".utf8))]))
        #expect(answer.records.first?.data == .other(type: 16))
    }

    @Test(arguments: [
        ("shorter than a header", Array(M.response(question: "x.test", type: 1).prefix(7))),
        (
            "an answer cut short",
            Array(M.response(question: "x.test", type: 1, answers: [.a([1, 2, 3, 4])]).dropLast(2))
        ),
        ("an A record of 3 octets", M.response(question: "x.test", type: 1, answers: [.a([1, 2, 3])])),
        (
            "an MX exchange that points past the end",
            M.response(question: "x.test", type: 15, answers: [.mx(1, M.pointer(400))])
        ),
        (
            "a name that points at itself",
            M.response(question: "x.test", type: 12, answers: [.ptr(M.pointer(12 + 8 + 4 + 12))])
        ),
    ])
    func aMalformedMessageIsRefused(what: String, bytes: [UInt8]) {
        #expect(throws: DNSQueryFailure.self, "\(what)") { try DNSAnswer(message: bytes) }
    }
}
