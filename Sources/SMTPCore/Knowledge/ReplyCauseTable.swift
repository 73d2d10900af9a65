/// Common real-world causes of a refused or deferred reply, recognised from its text and codes.
///
/// The reply code says how bad it is and the enhanced code which subject it is about; the words a
/// real server puts after them often say more: "Greylisted", "blocked using zen.spamhaus.org",
/// "Relay access denied". Each row names one such cause, the words (or enhanced codes) that
/// give it away, and what a beginner should make of it. `Tests/SMTPCoreTests/ReplyCauseTests`
/// holds the texts real servers send (Postfix, Exim, postgrey, Microsoft 365, Gmail), each with
/// where it was found.
public enum ReplyCauseTable {
    public enum Cause: String, Hashable, Sendable, CaseIterable {
        case greylisting
        case blockList
        case relayDenied
        case senderAuthentication
        case rateLimit
        case unknownUser
        case reverseDNS
    }

    public struct Row: Sendable {
        public let cause: Cause
        /// How the cause is called on screen, e.g. "greylisting".
        public let name: String
        /// Lower-case words of which any one in the reply text gives the cause away.
        public let words: [String]
        /// Enhanced codes (subject, detail) that mean this cause whatever the text says.
        public let enhancedCodes: [(subject: Int, detail: Int)]
        /// The reply classes the cause is recognised in (greylisting is only ever temporary).
        public let classes: Set<ReplyClass>
        /// One sentence for a beginner: what is going on.
        public let plain: String
        /// One sentence: what to do about it.
        public let advice: String
        public let reference: String

        /// `"greylist", "graylist"…; X.7.28`: what gives the cause away, for `/help causes` and the man page.
        public var recognisedBy: String {
            words.map { "\"\($0)\"" }.joined(separator: ", ")
                + (enhancedCodes.isEmpty
                    ? ""
                    : "; enhanced codes " + enhancedCodes.map { "X.\($0.subject).\($0.detail)" }.joined(separator: ", "))
        }
    }

    private static let refusals: Set<ReplyClass> = [.transientNegative, .permanentNegative]

    public static let rows: [Row] = [
        Row(
            cause: .greylisting, name: "greylisting",
            words: ["greylist", "graylist", "grey-list", "gray-list", "grey list", "gray list"],
            enhancedCodes: [], classes: [.transientNegative],
            plain: "The server turns away the first attempt from a sender it has not seen before, "
                + "because spam robots rarely try again.",
            advice: "Wait a few minutes and send the same again; a real mail server retries by itself.",
            reference: "RFC 6647 §2"),
        Row(
            cause: .blockList, name: "block list (DNSBL)",
            words: [
                "blocked using", "spamhaus", "barracuda", "spamcop", "sorbs", "uceprotect", "dnsbl", "blacklist",
                "blocklist", "block list", "banned sending ip", "(s3150)", "(s3140)",
            ],
            enhancedCodes: [], classes: refusals,
            plain: "The sending IP address is listed as a source of spam on a block list the server checks, "
                + "so it refuses the mail whatever it says.",
            advice: "Look the IP up on the list's website, fix why it was listed (an infected machine, an open "
                + "relay, a shared address), then ask for removal; sending again unchanged will fail.",
            reference: "RFC 5782 §2"),
        Row(
            cause: .relayDenied, name: "relaying denied",
            words: [
                "relay access denied", "relaying denied", "relay denied", "relay not permitted", "unable to relay",
                "relaying not allowed", "relay not allowed", "not permitted to relay", "we do not relay",
                "relaying disallowed",
            ],
            enhancedCodes: [], classes: refusals,
            plain: "This server takes mail only for its own domains, or from users who have logged in; "
                + "passing mail on to another domain (relaying) is refused.",
            advice: "Log in first (AUTH) on your provider's submission server, or send to the recipient "
                + "domain's own mail server (its MX).",
            reference: "RFC 5321 §3.6, §7.1"),
        Row(
            cause: .senderAuthentication, name: "sender authentication (SPF, DKIM, DMARC)",
            words: ["spf", "dkim", "dmarc", "sender is unauthenticated", "mail is unauthenticated"],
            enhancedCodes: [(7, 20), (7, 21), (7, 22), (7, 23), (7, 24), (7, 26)], classes: refusals,
            plain: "The receiver could not confirm that the sending server may send for the sender's domain: "
                + "the domain's SPF record, DKIM signature or DMARC policy says no.",
            advice: "Fix the sender domain's DNS: list the sending server in its SPF record, sign with DKIM, "
                + "and align both with the From: domain as DMARC wants.",
            reference: "RFC 7208 (SPF), RFC 6376 (DKIM), RFC 7489 (DMARC)"),
        Row(
            cause: .rateLimit, name: "rate limiting",
            words: [
                "rate limit", "rate-limit", "ratelimit", "rate limited", "unusual rate", "at a rate", "too quickly",
                "too many connections", "too many messages", "too many concurrent", "throttl", "slow down",
            ],
            enhancedCodes: [(7, 28)], classes: refusals,
            plain: "The server takes only so many connections or messages per minute from one sender, "
                + "and this one went over.",
            advice: "Slow down and try again later; a mail server backs off and retries by itself (and bulk "
                + "senders should warm up new addresses slowly).",
            reference: "RFC 5321 §4.5.4.1"),
        Row(
            cause: .unknownUser, name: "unknown user",
            words: [
                "user unknown", "unknown user", "no such user", "no such mailbox", "mailbox unknown",
                "unknown recipient", "recipient not found", "mailbox not found", "does not exist",
                "invalid recipient", "not a valid mailbox",
            ],
            enhancedCodes: [], classes: refusals,
            plain: "There is no mailbox by that name at this server.",
            advice: "Check the spelling of the part before the @; sending again unchanged will not help.",
            reference: "RFC 5321 §4.2.3, RFC 3463 §3.2"),
        Row(
            cause: .reverseDNS, name: "reverse DNS",
            words: ["reverse hostname", "reverse dns", "ptr record", "reverse lookup", "no ptr"],
            enhancedCodes: [(7, 25)], classes: refusals,
            plain: "The connecting IP address has no host name in DNS (no PTR record), or that name does not "
                + "lead back to it, and the server requires both.",
            advice: "Give the sending IP a PTR record whose name resolves back to the same address (/dns shows it).",
            reference: "RFC 1912 §2.1, RFC 7372 §3.3"),
    ]

    /// One recognised cause of a reply, with the block list or mechanism named in its text.
    public struct Match: Sendable, Equatable {
        public let cause: Cause
        /// What the text names: "Spamhaus", "DMARC", or nil.
        public let detail: String?

        public var row: Row {
            guard let row = ReplyCauseTable.rows.first(where: { $0.cause == cause }) else {
                preconditionFailure("ReplyCauseTable has no row for \(cause)")
            }
            return row
        }

        /// `greylisting`, `block list (DNSBL): Spamhaus`.
        public var name: String { row.name + (detail.map { ": " + $0 } ?? "") }
    }

    /// Block lists a text may name, with how they are called.
    static let blockListNames: [(word: String, name: String)] = [
        ("spamhaus", "Spamhaus"), ("barracuda", "Barracuda Reputation"), ("spamcop", "SpamCop"),
        ("sorbs", "SORBS"), ("uceprotect", "UCEPROTECT"), ("(s3150)", "Microsoft's own block list"),
        ("(s3140)", "Microsoft's own block list"), ("banned sending ip", "Microsoft's banned sending IPs"),
    ]

    /// The causes `reply` gives away, in table order (usually none, sometimes two).
    public static func recognise(_ reply: SMTPReply) -> [Match] {
        // Most replies are successes, which no row is about: the text is read only for a refusal.
        guard rows.contains(where: { $0.classes.contains(reply.replyClass) }) else { return [] }
        let text = SearchedText(reply.texts.joined(separator: " ").lowercased())
        return rows.compactMap { row in
            guard row.classes.contains(reply.replyClass) else { return nil }
            let byCode =
                reply.enhancedCode.map { code in
                    row.enhancedCodes.contains { $0.subject == code.subject && $0.detail == code.detail }
                } ?? false
            guard byCode || row.words.contains(where: { text.contains(word: $0) }) else { return nil }
            return Match(cause: row.cause, detail: detail(of: row.cause, in: text, code: reply.enhancedCode))
        }
    }

    private static func detail(of cause: Cause, in text: SearchedText, code: EnhancedStatusCode?) -> String? {
        switch cause {
        case .blockList:
            return blockListNames.first { text.contains(word: $0.word) }?.name
        case .senderAuthentication:
            var named = ["spf", "dkim", "dmarc"].filter { text.contains(word: $0) }.map { $0.uppercased() }
            if named.isEmpty, let code, code.subject == 7 {
                switch code.detail {
                case 20, 21, 22: named = ["DKIM"]
                case 23, 24: named = ["SPF"]
                default: break
                }
            }
            return named.isEmpty ? nil : named.joined(separator: ", ")
        case .greylisting, .relayDenied, .rateLimit, .unknownUser, .reverseDNS:
            return nil
        }
    }
}

/// A reply's lower-cased text, searched for the table's words.
private struct SearchedText {
    let text: String
    let octets: [UInt8]

    init(_ text: String) {
        self.text = text
        octets = Array(text.utf8)
    }

    /// Whether `word` occurs here as whole Characters and not at the end of a longer word:
    /// "sorbs" not in "absorbs", while "greylist" is in "greylisted".
    ///
    /// The words are ASCII, and no other lower-case character is canonically equivalent to an
    /// ASCII one, so the word's Characters occur exactly where its octets do with a Character
    /// boundary at both ends (a combining mark after it makes another Character). Searching the
    /// octets, rather than Characters with `firstRange(of:)`, spares building a searcher for each
    /// word: most of the cost of annotating a refusal.
    func contains(word: String) -> Bool {
        guard let first = word.first else { return false }
        let needle = Array(word.utf8)
        guard needle.count <= octets.count else { return false }
        var offset = 0
        while offset + needle.count <= octets.count {
            guard let found = octets[offset...(octets.count - needle.count)].firstIndex(of: needle[0]) else {
                return false
            }
            offset = found + 1
            guard octets[found..<(found + needle.count)].elementsEqual(needle) else { continue }
            let start = text.utf8.index(text.utf8.startIndex, offsetBy: found)
            let end = text.utf8.index(start, offsetBy: needle.count)
            guard let lower = start.samePosition(in: text), end.samePosition(in: text) != nil else { continue }
            let before = lower == text.startIndex ? nil : text[text.index(before: lower)]
            if !first.isLetter || !(before?.isLetter ?? false) { return true }
        }
        return false
    }
}
