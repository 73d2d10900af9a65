// Tab completion's latency, in process: the time from the line before the cursor to the
// candidates, as the console computes them on each Tab (a `CompletionContext` built from the
// session, then `Completer.complete`), after a long EHLO reply and with 10,000 lines of history
// behind it, 10,000 of whose addresses completion offers.
//
//     swift run -c release completion-bench [--history 10000] [--rounds 200]
//
// Prints one row per case: the median, the 99th percentile and the slowest, in milliseconds,
// then the slowest case's median (on a shared machine the single slowest run says more about the
// scheduler than about ehlo). `make bench` runs it; nothing asserts on the times.

import Foundation
import SMTPCore

var historySize = 10_000
var rounds = 200
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--history": historySize = arguments.next().flatMap(Int.init) ?? historySize
    case "--rounds": rounds = arguments.next().flatMap(Int.init) ?? rounds
    default:
        FileHandle.standardError.write(Data("usage: completion-bench [--history N] [--rounds N]\n".utf8))
        exit(64)
    }
}

/// The server's reply, through the same parser the connection uses.
func reply(_ lines: [String]) -> SMTPReply {
    var parser = ReplyParser()
    for line in lines {
        if case .reply(let reply) = parser.parse(line: Array(line.utf8)) { return reply }
    }
    preconditionFailure("not a whole reply: \(lines)")
}

/// A long EHLO reply: every extension ehlo knows a parameter of, many AUTH mechanisms, and
/// vendor lines besides, as a large provider sends them.
let capabilities =
    [
        "mx.example.test Hello client.test [192.0.2.1]", "SIZE 157286400", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES",
        "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8", "DELIVERBY 3600", "MT-PRIORITY MIXER",
        "REQUIRETLS", "LIMITS RCPTMAX=1000 MAILMAX=50", "PRDR", "FUTURERELEASE 604800 2026-12-31T00:00:00Z",
        "AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER GSSAPI NTLM",
        "AUTH=PLAIN LOGIN", "VRFY", "ETRN", "HELP", "XCLIENT NAME ADDR PROTO HELO", "XFORWARD NAME ADDR PROTO HELO",
    ] + (1...40).map { "X-VENDOR-EXTENSION-\($0) some parameters here" }
let ehloLines = capabilities.enumerated().map { index, text in
    "250\(index == capabilities.count - 1 ? " " : "-")\(text)"
}

var session = SessionStateMachine()
session.connectionOpened(at: 0)
_ = session.replyReceived(reply(["220 mx.example.test ESMTP"]))
_ = session.commandSent(SMTPCommand(line: "EHLO client.test"), at: 0, isPipelined: false, bodyFollowsInInput: false)
_ = session.replyReceived(reply(ehloLines))

// The console keeps the addresses of MAIL, RCPT, VRFY and EXPN, most recent first, one per
// distinct address: 10,000 history lines of a load test or a long day's debugging.
var addresses: [String] = []
for index in 0..<historySize {
    let address = index % 2 == 0 ? "sender\(index)@client\(index % 97).example.test" : "rcpt\(index)@example.org"
    addresses.removeAll { $0 == address }
    addresses.insert(address, at: 0)
}
let profiles = (1...50).map { "profile\($0)" }

let cases: [(name: String, line: String)] = [
    ("verb at an empty line", ""),
    ("verb, one letter", "M"),
    ("MAIL FROM:< (addresses)", "MAIL FROM:<"),
    ("RCPT TO:<r (addresses)", "RCPT TO:<rcpt9"),
    ("VRFY s (addresses)", "VRFY sender1"),
    ("MAIL parameters", "MAIL FROM:<a@client.test> "),
    ("MAIL BODY= value", "MAIL FROM:<a@client.test> BODY="),
    ("AUTH mechanism", "AUTH S"),
    ("/connect @profile", "/connect @"),
    ("/ command", "/"),
]

func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

print(
    "Tab completion after a \(capabilities.count)-line EHLO reply, \(historySize) history lines (\(addresses.count) addresses), \(rounds) rounds"
)
print("case                          median ms   p99 ms    max ms  candidates")
let clock = ContinuousClock()
var slowestMedian = 0.0
var slowestP99 = 0.0
for (name, line) in cases {
    var times: [Double] = []
    var candidates = 0
    for _ in 0..<rounds {
        let start = clock.now
        // What the console does on each Tab (Console.complete).
        let context = CompletionContext(
            session: session, addresses: addresses, heloName: "client.test", profileNames: profiles)
        let completion = Completer.complete(line, context: context)
        times.append(milliseconds(clock.now - start))
        candidates = completion.candidates.count
    }
    times.sort()
    let median = times[times.count / 2]
    let p99 = times[min(times.count - 1, Int(Double(times.count) * 0.99))]
    slowestMedian = max(slowestMedian, median)
    slowestP99 = max(slowestP99, p99)
    print(
        name.padding(toLength: 28, withPad: " ", startingAt: 0)
            + String(format: "  %9.3f %8.3f %9.3f  %10d", median, p99, times.last!, candidates))
}
print(String(format: "slowest case: median %.3f ms, p99 %.3f ms", slowestMedian, slowestP99))
