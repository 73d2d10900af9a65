/// The practice server's lab: mailboxes at its domain whose addresses make replies happen on purpose.
///
/// `ehlo serve` answers RCPT, VRFY, EXPN and the end of data from these rows; `ehlo serve --list-lab`
/// and the console's help render them. Every reply code of RFC 5321 §4.2.3 can be produced on
/// purpose; `codeRoutes` says how, one row per code. Local parts match case-insensitively here
/// (RFC 5321 §2.4 lets the receiving host decide; a classroom is better served by forgiving
/// typing). Any local part without a row gets the `unknown` row's answer.
public enum LabMailboxTable {
    /// What a lab mailbox does with the mail sent to it.
    public enum Behaviour: Hashable, Sendable {
        /// An ordinary mailbox: 250 at RCPT, and the message is stored.
        case accept
        /// 250 at RCPT; after the final dot, a message larger than `octets` gets 552 5.2.2.
        case quota(octets: Int)
        /// 250 at RCPT; after the final dot every message gets 554 5.7.1 (content refused).
        case rejectAfterData
        /// Refused at RCPT with this reply every time.
        case refuse(code: Int, enhancedCode: EnhancedStatusCode, text: String)
        /// 450 4.7.1 the first time a client, sender and recipient come, and again on a retry before the
        /// server's greylist delay is over; 250 on a retry after it.
        case greylist
        /// 251 2.1.5: accepted, and (in a real server) forwarded to `address`.
        case forward(to: String)
        /// 551 5.1.0: this user is not here; the reply names `address` (RFC 5321 §3.4). Not X.1.6,
        /// whose title says "No forwarding address" (RFC 3463 §3.2): the reply gives one.
        case moved(to: String)
        /// A mailing list: EXPN lists the members (250), VRFY answers 252, RCPT is accepted.
        case list(members: [String])
    }

    public struct Row: Sendable {
        public let localPart: String
        public let behaviour: Behaviour
        /// A person's name, used in VRFY and EXPN replies (RFC 5321 §3.5.1 `Full Name <mailbox>`).
        public let fullName: String
        /// What a student sees, in one line.
        public let summary: String
        public let reference: String
    }

    /// How to make one reply code of RFC 5321 §4.2.3 happen. `DOMAIN` stands for the server's domain.
    public struct CodeRoute: Sendable {
        public let code: Int
        public let how: String
    }

    /// The domain the practice server serves unless `--domain` says otherwise.
    public static let defaultDomain = "practice.test"
    /// The user `ehlo serve` accepts for AUTH when no `--user` is given.
    public static let demoUser = (name: "student", password: "practice")

    private static func code(_ statusClass: Int, _ subject: Int, _ detail: Int) -> EnhancedStatusCode {
        EnhancedStatusCode(statusClass: statusClass, subject: subject, detail: detail)
    }

    /// The enhanced code of a `moved` mailbox's 551 (see `Behaviour.moved`).
    public static let movedCode = code(5, 1, 0)

    public static let rows: [Row] = [
        Row(
            localPart: "student", behaviour: .accept, fullName: "Sam Student",
            summary: "an ordinary mailbox: 250 2.1.5 at RCPT, the message is stored", reference: "RFC 5321 §4.2.3"),
        Row(
            localPart: "teacher", behaviour: .accept, fullName: "Terry Teacher",
            summary: "an ordinary mailbox: 250 2.1.5 at RCPT, the message is stored", reference: "RFC 5321 §4.2.3"),
        Row(
            localPart: "postmaster", behaviour: .accept, fullName: "Postmaster",
            summary: "every SMTP server must accept it, even as RCPT TO:<Postmaster> without a domain",
            reference: "RFC 5321 §4.5.1"),
        Row(
            localPart: "class", behaviour: .list(members: ["student", "teacher"]), fullName: "The class",
            summary: "a mailing list: EXPN class gives 250 with its members, VRFY class 252, RCPT 250",
            reference: "RFC 5321 §3.5"),
        Row(
            localPart: "busy",
            // RFC 3463 has no "busy" code: X.2.1 is "Mailbox disabled", so X.2.0 (other mailbox status).
            behaviour: .refuse(code: 450, enhancedCode: code(4, 2, 0), text: "Mailbox busy, try again later"),
            fullName: "Busy Bee", summary: "450 4.2.0 at RCPT: mailbox busy, a temporary failure",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.3"),
        Row(
            localPart: "greylist", behaviour: .greylist, fullName: "Grey Listed",
            summary: "450 4.7.1 the first time per client, sender and recipient, again if retried too soon, then 250 once the greylist delay is over",
            reference: "RFC 5321 §4.5.4.1, RFC 6647"),
        Row(
            localPart: "broken",
            behaviour: .refuse(
                code: 451, enhancedCode: code(4, 3, 0), text: "Local error in processing, try again later"),
            fullName: "Broken Disk", summary: "451 4.3.0 at RCPT: a local error on the server",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.4"),
        Row(
            localPart: "full",
            behaviour: .refuse(code: 452, enhancedCode: code(4, 2, 2), text: "Mailbox full, try again later"),
            fullName: "Full Box", summary: "452 4.2.2 at RCPT: mailbox full, a temporary failure",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.3"),
        Row(
            localPart: "quota", behaviour: .quota(octets: 1024), fullName: "Quota Tight",
            summary: "250 at RCPT; a message over 1024 octets gets 552 5.2.2 after the final dot",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.3"),
        Row(
            localPart: "forward", behaviour: .forward(to: "forward@elsewhere.test"), fullName: "Fran Forward",
            summary: "251 2.1.5 at RCPT: not local, the server will forward it", reference: "RFC 5321 §3.4"),
        Row(
            localPart: "moved", behaviour: .moved(to: "moved@elsewhere.test"), fullName: "Moe Moved",
            summary: "551 5.1.0 at RCPT: not local, the reply names the new address",
            reference: "RFC 5321 §3.4, RFC 3463 §3.2"),
        Row(
            localPart: "unknown",
            behaviour: .refuse(code: 550, enhancedCode: code(5, 1, 1), text: "Mailbox unknown"),
            fullName: "Nobody", summary: "550 5.1.1 at RCPT: no such mailbox (so does any name not listed here)",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.2"),
        Row(
            localPart: "badname",
            // The address is well formed, so not X.1.3 (bad syntax): X.1.0, other address status.
            behaviour: .refuse(code: 553, enhancedCode: code(5, 1, 0), text: "Mailbox name not allowed"),
            fullName: "Bad Name", summary: "553 5.1.0 at RCPT: the mailbox name is not allowed",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.2"),
        Row(
            localPart: "reject", behaviour: .rejectAfterData, fullName: "Reject Content",
            summary: "250 at RCPT, then 554 5.7.1 after the final dot: the content is refused",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.8"),
        Row(
            localPart: "params",
            behaviour: .refuse(
                // X.5.4 would call valid parameters invalid; X.3.3: the system cannot provide them (now).
                code: 455, enhancedCode: code(4, 3, 3), text: "Server unable to accommodate parameters now"),
            fullName: "Param Eter", summary: "455 4.3.3 at RCPT: the server cannot accommodate the parameters now",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.4"),
    ]

    /// The row for a local part, if it has one (case-insensitive).
    public static func row(localPart: String) -> Row? {
        let wanted = localPart.lowercased()
        return rows.first { $0.localPart == wanted }
    }

    /// The row any unlisted local part behaves like.
    public static var unknownRow: Row {
        guard let row = row(localPart: "unknown") else { preconditionFailure("LabMailboxTable has no unknown row") }
        return row
    }

    /// One way to produce each code that RFC 5321 §4.2.3 lists (`ReplyCodeTable.rfc5321Codes`).
    public static let codeRoutes: [CodeRoute] = [
        CodeRoute(code: 211, how: "HELP STATUS"),
        CodeRoute(code: 214, how: "HELP, HELP <verb>, HELP LAB"),
        CodeRoute(code: 220, how: "connect (the greeting); STARTTLS"),
        CodeRoute(code: 221, how: "QUIT"),
        CodeRoute(code: 250, how: "EHLO, MAIL FROM:<you@example.test>, RCPT TO:<student@DOMAIN>, the final dot"),
        CodeRoute(code: 251, how: "RCPT TO:<forward@DOMAIN>; VRFY forward"),
        CodeRoute(code: 252, how: "VRFY class"),
        CodeRoute(code: 354, how: "DATA after an accepted RCPT"),
        CodeRoute(
            code: 421,
            how: "ehlo serve --shutdown-after N (the command after the N-th); stay idle past --timeout; "
                + "Ctrl-C on the server; 20 errors in one session"),
        CodeRoute(code: 450, how: "RCPT TO:<busy@DOMAIN>; RCPT TO:<greylist@DOMAIN> the first time or too soon after"),
        CodeRoute(code: 451, how: "RCPT TO:<broken@DOMAIN>"),
        CodeRoute(code: 452, how: "RCPT TO:<full@DOMAIN>; a 101st RCPT in one transaction"),
        CodeRoute(code: 455, how: "RCPT TO:<params@DOMAIN>"),
        CodeRoute(code: 500, how: "an unknown verb (FOO); a command line over 512 octets; a line ending in a bare LF"),
        CodeRoute(code: 501, how: "MAIL FROM:you@example.test (no angle brackets); EHLO without a domain"),
        CodeRoute(code: 502, how: "TURN or ETRN (known, not implemented)"),
        CodeRoute(code: 503, how: "RCPT before MAIL; DATA before RCPT; MAIL twice"),
        CodeRoute(code: 504, how: "AUTH FOO (an unknown mechanism); HELP FOO (an unknown topic)"),
        CodeRoute(
            code: 550, how: "RCPT TO:<unknown@DOMAIN> or any unlisted name; RCPT TO:<x@other.test> (no relaying)"),
        CodeRoute(code: 551, how: "RCPT TO:<moved@DOMAIN>"),
        CodeRoute(
            code: 552, how: "MAIL FROM:<you@example.test> SIZE=<over the limit>; DATA to quota@DOMAIN over 1024 octets"
        ),
        CodeRoute(code: 553, how: "RCPT TO:<badname@DOMAIN>"),
        CodeRoute(code: 554, how: "DATA to reject@DOMAIN (after the final dot); ehlo serve --greeting-fail"),
        CodeRoute(code: 555, how: "MAIL FROM:<you@example.test> FOO=BAR (an unknown parameter)"),
    ]

    /// The lab as `ehlo serve --list-lab` prints it, for the server at `domain`.
    public static func render(domain: String = defaultDomain) -> [String] {
        let addressWidth = (rows.map { $0.localPart.count }.max() ?? 0) + domain.count + 3
        var lines = ["Lab mailboxes at @\(domain) (any other name: like unknown@):"]
        lines += rows.map { row in
            "  " + "\(row.localPart)@\(domain)".padded(to: addressWidth) + row.summary + " (\(row.reference))"
        }
        lines += [
            "",
            "AUTH user when none is given with --user: \(demoUser.name) / \(demoUser.password) "
                + "(offered after STARTTLS, or always with --allow-plain-auth).",
            "",
            "Every reply code of RFC 5321 §4.2.3, on purpose:",
        ]
        lines += codeRoutes.map { route in
            "  \(route.code) \(ReplyCodeTable.title(route.code))".padded(to: 48)
                + " " + route.how.replacingDomain(with: domain)
        }
        return lines
    }
}

extension String {
    fileprivate func replacingDomain(with domain: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: "DOMAIN") {
            result += rest[..<range.lowerBound] + domain
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
