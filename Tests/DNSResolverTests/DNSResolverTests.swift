import DNSResolver
import Foundation
import SMTPCore
import Testing

/// Questions through libresolv to a server on loopback, as `--resolver` sends them: never to the
/// system's name servers.
@Suite(.serialized) struct DNSResolverTests {
    typealias M = DNSMessageBuilder

    private func resolver(_ responder: UDPResponder, ipv6: Bool = false, timeout: Int? = 2) -> DNSResolver {
        DNSResolver(
            server: DNSServerAddress(address: IPAddress(parsing: ipv6 ? "::1" : "127.0.0.1")!, port: responder.port),
            timeoutSeconds: timeout)
    }

    /// A server with mx.test's MX and A records; every other name does not exist.
    private static func zone(_ query: [UInt8]) -> [UInt8]? {
        switch M.question(of: query).map({ "\($0.name) \($0.type)" }) {
        case "mx.test 15": return M.reply(to: query, answers: [.mx(10, [3] + Array("mx1".utf8) + M.pointer())])
        case "mx1.mx.test 1": return M.reply(to: query, answers: [.a([127, 0, 0, 2])])
        case "servfail.test 15": return M.reply(to: query, rcode: 2)
        default: return M.reply(to: query, rcode: 3)
        }
    }

    @Test(arguments: [false, true])
    func asksTheGivenServerOverIPv4AndIPv6(ipv6: Bool) throws {
        let responder = try UDPResponder(ipv6: ipv6, respond: Self.zone)
        defer { responder.stop() }
        let resolver = resolver(responder, ipv6: ipv6)
        let mx = try resolver.query("mx.test", .mx).get()
        #expect(mx.mailExchangers.map(\.exchange) == ["mx1.mx.test"])
        let a = try resolver.query("mx1.mx.test", .a).get()
        #expect(a.addresses == [IPAddress(parsing: "127.0.0.2")])
        #expect(responder.queries.count == 2)
        #expect(resolver.serverDescription == (ipv6 ? "[::1]:\(responder.port)" : "127.0.0.1:\(responder.port)"))
    }

    @Test func nxdomainIsAResponse() throws {
        let responder = try UDPResponder(respond: Self.zone)
        defer { responder.stop() }
        #expect(try resolver(responder).query("nowhere.test", .mx).get().responseCode == .nameError)
    }

    /// res_send would drop a SERVFAIL and report a timeout; ehlo asks for it to be kept.
    @Test func servfailIsAResponseNotASilence() throws {
        let responder = try UDPResponder(respond: Self.zone)
        defer { responder.stop() }
        let started = Date()
        #expect(try resolver(responder).query("servfail.test", .mx).get().responseCode == .serverFailure)
        #expect(Date().timeIntervalSince(started) < 1.5)
        #expect(responder.queries.count == 1)
    }

    @Test func aClosedPortIsSaidAtOnce() throws {
        let port = try closedUDPPort()
        let resolver = DNSResolver(
            server: DNSServerAddress(address: IPAddress(parsing: "127.0.0.1")!, port: port), timeoutSeconds: 5)
        let started = Date()
        let result = resolver.query("mx.test", .mx)
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(failure.kind == .refusedConnection)
        #expect(failure.description.contains("127.0.0.1:\(port)"))
        #expect(Date().timeIntervalSince(started) < 3)
    }

    /// A dead resolver must not hang ehlo: `--timeout 2` bounds the question to 2 seconds in all.
    @Test func aSilentServerTimesOutWithinTheTimeout() throws {
        let responder = try UDPResponder { _ in nil }
        defer { responder.stop() }
        let started = Date()
        let result = resolver(responder, timeout: 2).query("mx.test", .mx)
        let elapsed = Date().timeIntervalSince(started)
        guard case .failure(let failure) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        #expect(failure.kind == .timedOut)
        #expect(failure.description.contains("within 2 s"))
        #expect(elapsed >= 1.5 && elapsed < 4, "waited \(elapsed) s")
        #expect(responder.queries.count == 2, "two attempts of one second each")
    }

    @Test func aNameTooLongForDNSIsABadQuestion() throws {
        let responder = try UDPResponder(respond: Self.zone)
        defer { responder.stop() }
        let name = String(repeating: "a", count: 64) + ".test"
        guard case .failure(let failure) = resolver(responder).query(name, .a) else {
            Issue.record("a 64-octet label was sent")
            return
        }
        #expect(failure.kind == .badQuestion)
        #expect(responder.queries.isEmpty)
    }
}
