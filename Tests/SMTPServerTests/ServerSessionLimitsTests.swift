import Foundation
import SMTPCore
import Testing

@testable import SMTPServer

@Suite("The practice server's protections against hostile clients, as traces")
struct ServerSessionLimitsTests {
    private static let wrong = SASLExchange.base64("\0student\0wrong")

    /// RFC 4954 §4 (535), RFC 5321 §4.2.2 (421): every failure waits longer, the fifth closes.
    @Test func failedAuthWaitsLongerEachTimeThenGets421() {
        var session = ServerSessionStateMachine.test {
            $0.allowsPlainAuth = true
            $0.authFailureDelay = 100
            $0.maximumAuthFailureDelay = 300
        }
        session.open()
        var pauses: [Int] = []
        for _ in 1...4 {
            let actions = session.line("AUTH PLAIN \(Self.wrong)")
            guard let pause = actions.firstIndex(where: { if case .pause = $0 { true } else { false } }),
                case .pause(let milliseconds) = actions[pause]
            else {
                Issue.record("no pause before the 535: \(actions)")
                return
            }
            // The reply comes after the pause, never before it.
            #expect(Array(actions[..<pause]).codes.isEmpty)
            #expect(
                Array(actions[pause...]).replies.map(\.lines) == [
                    ["535 5.7.8 Authentication credentials invalid: the user name or password is wrong"]
                ])
            pauses.append(milliseconds)
            // Nothing is read during the pause, not even a NOOP.
            #expect(session.codes("NOOP").isEmpty)
            #expect(session.pauseEnded().codes == [250])
        }
        #expect(pauses == [100, 200, 300, 300])
        let last = session.line("AUTH PLAIN \(Self.wrong)")
        #expect(last.contains(.pause(milliseconds: 300)))
        #expect(
            last.replies.first?.lines.first?.hasPrefix("421 4.7.0 practice.test Too many authentication failures")
                == true)
        #expect(last.closes)
        #expect(session.codes("NOOP").isEmpty)
    }

    @Test func failedAuthDoesNotCountAsAnError() {
        var session = ServerSessionStateMachine.test {
            $0.allowsPlainAuth = true
            $0.authFailureDelay = 0
            $0.maximumErrors = 3
            $0.maximumAuthFailures = 10
        }
        session.open()
        for _ in 1...5 { #expect(session.codes("AUTH PLAIN \(Self.wrong)") == [535]) }
        #expect(session.codes("AUTH PLAIN \(SASLExchange.base64("\0student\0practice"))") == [235])
    }

    /// RFC 5321 §4.5.3.1.8: 452 after the limit; past Postfix's overshoot, each RCPT is an error.
    @Test func endlessRecipientsGet452ThenCountAsErrorsUntil421() {
        var session = ServerSessionStateMachine.test {
            $0.maximumRecipients = 3
            $0.recipientOvershootLimit = 5
            $0.maximumErrors = 4
        }
        session.open()
        _ = session.line("MAIL FROM:<a@client.test>")
        var codes: [Int] = []
        for _ in 0..<20 { codes += session.codes("RCPT TO:<student@practice.test>") }
        #expect(codes == [250, 250, 250] + Array(repeating: 452, count: 9) + [421])
    }

    @Test func aFullDiskGets452AndTheSessionGoesOn() {
        var session = ServerSessionStateMachine.test()
        session.open()
        _ = session.line("MAIL FROM:<a@client.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.line("DATA")
        #expect(session.line("Subject: x\r\n\r\nbody\r\n.").deliveredMessage != nil)
        let reply = session.deliveryCompleted(.noRoom(reason: "No space left on device")).replies
        #expect(reply.first?.lines.first?.hasPrefix("452 4.3.1 ") == true)
        #expect(session.codes("NOOP") == [250])
    }

    /// Postfix's smtpd_per_record_deadline: only a complete record restarts the clock.
    @Test func onlyCompleteRecordsCount() {
        var session = ServerSessionStateMachine.test()
        session.open()
        let start = session.completedRecords
        for byte in Array("NOOP".utf8) { _ = session.bytesReceived([byte]) }
        #expect(session.completedRecords == start)
        _ = session.bytesReceived(Array("\r\n".utf8))
        #expect(session.completedRecords == start + 1)
        _ = session.line("MAIL FROM:<a@client.test>")
        _ = session.line("RCPT TO:<student@practice.test>")
        _ = session.line("BDAT 10 LAST")
        let beforeChunk = session.completedRecords
        _ = session.bytesReceived(Array("12345".utf8))
        #expect(session.completedRecords == beforeChunk)
        _ = session.bytesReceived(Array("67890".utf8))
        #expect(session.completedRecords == beforeChunk + 1)
    }

    /// RFC 5321 §3.1: over a limit, 421 instead of the greeting; a closed session frees its place.
    @Test func connectionLimitsInAllAndPerClient() {
        var limits = ConnectionLimits()
        limits.maximumConnections = 3
        limits.maximumConnectionsPerClient = 2
        var counts = ConnectionLimits.Counts()
        #expect(counts.admit(client: "192.0.2.1", limits: limits) == nil)
        #expect(counts.admit(client: "192.0.2.1", limits: limits) == nil)
        #expect(counts.admit(client: "192.0.2.1", limits: limits) == .client(address: "192.0.2.1", maximum: 2))
        #expect(counts.admit(client: "192.0.2.2", limits: limits) == nil)
        #expect(counts.admit(client: nil, limits: limits) == .server(maximum: 3))
        counts.release(client: "192.0.2.1")
        #expect(counts.admit(client: "192.0.2.1", limits: limits) == nil)
        #expect(counts.perClient == ["192.0.2.1": 2, "192.0.2.2": 1])
        let refusal = ConnectionLimits.refusal(.client(address: "192.0.2.1", maximum: 2), domain: "practice.test")
        #expect(
            refusal.lines == ["421 4.7.0 practice.test Too many connections from 192.0.2.1 (2 open), try again later"])
        var unlimited = ConnectionLimits()
        unlimited.maximumConnections = 0
        unlimited.maximumConnectionsPerClient = 0
        var many = ConnectionLimits.Counts()
        for _ in 0..<1000 { #expect(many.admit(client: "192.0.2.9", limits: unlimited) == nil) }
    }

    /// maildir(5): what a killed writer left in tmp/ goes; a live writer's file and new/ stay.
    @Test func staleTemporaryFilesAreRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-stale-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let host = "host.test"
        let living = getppid()
        let names = [
            "1700000000.M1P\(Int32.max - 7)Q1.\(host)",  // no such process
            "1700000000.M2P\(getpid())Q2.\(host)",  // this process, which has written nothing yet
            "1700000000.M3P\(living)Q3.\(host)",  // a living writer
            "1700000000.M4P\(Int32.max - 7)Q4.other.host",  // another host's, young
        ]
        for name in names { _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8)) }
        #expect(MessageStore.removeStaleTemporaryFiles(in: folder, hostName: host) == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [names[2], names[3]].sorted())
        let later = Date().addingTimeInterval(37 * 3600)
        #expect(MessageStore.removeStaleTemporaryFiles(in: folder, hostName: host, now: later) == 2)
    }
}
