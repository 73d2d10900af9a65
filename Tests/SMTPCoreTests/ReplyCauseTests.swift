import Testing

@testable import SMTPCore

/// Real servers' reply texts, and the cause each must be recognised as. Where each text was found
/// is said beside it; addresses and IPs are the ones those pages show (or their placeholders).
@Suite struct ReplyCauseTests {
    struct Fixture: CustomStringConvertible, Sendable {
        let lines: [String]
        let cause: ReplyCauseTable.Cause?
        let detail: String?
        var description: String { lines[0] }

        init(_ lines: [String], _ cause: ReplyCauseTable.Cause?, detail: String? = nil) {
            self.lines = lines
            self.cause = cause
            self.detail = detail
        }

        /// The lines as a reply, as the parser would build it from the wire.
        var reply: SMTPReply {
            var parser = ReplyParser()
            var replies: [SMTPReply] = []
            for line in lines {
                if case .reply(let reply) = parser.parse(line: Array(line.utf8)) { replies.append(reply) }
            }
            return replies[0]
        }
    }

    static let fixtures: [Fixture] = [
        // Postfix + postgrey, from a Postfix mail log quoted in a public log-report script
        // (jpsdomain.org's; "NOQUEUE: reject: RCPT from e3uspmta166.emarsys.net").
        Fixture(
            [
                "450 4.2.0 <karen@jpsdomain.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/jpsdomain.org.html"
            ], .greylisting),
        // ZeroSpam, as smtpfieldmanual.com/code/450 lists it.
        Fixture(
            ["450 4.2.0 <x@example.com>: Recipient address rejected: greylisted for 60 seconds by ZEROSPAM"],
            .greylisting),
        // ehlo's own practice server (greylist@).
        Fixture(["450 4.7.1 <greylist@practice.test>: Greylisted, try again in 5 seconds"], .greylisting),
        // Postfix reject_rbl_client, same log as above.
        Fixture(
            [
                "554 5.7.1 Service unavailable; Client host [195.64.178.81] blocked using zen.spamhaus.org; http://www.spamhaus.org/query/bl?ip=195.64.178.81"
            ], .blockList, detail: "Spamhaus"),
        Fixture(
            [
                "554 5.7.1 Service unavailable; Client host [60.246.151.97] blocked using dul.dnsbl.sorbs.net; Dynamic IP Addresses See: http://www.sorbs.net/lookup.shtml?60.246.151.97"
            ], .blockList, detail: "SORBS"),
        // Exchange Online Protection, from smtpfieldmanual.com/spamfilter/exchangeonline.
        Fixture(
            ["550 5.7.1 Service unavailable, Client host [192.0.2.7] blocked using Spamhaus. (AS16012611)"],
            .blockList, detail: "Spamhaus"),
        Fixture(
            [
                "550 5.7.606 Access denied, banned sending IP [192.0.2.7]. To request removal from this list please visit and follow the directions. (AS16012609)"
            ], .blockList, detail: "Microsoft's banned sending IPs"),
        // Outlook.com, as sevencreative.co.uk quotes a bounce.
        Fixture(
            [
                "550 5.7.1 Unfortunately, messages from [192.0.2.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to [DB3EUR04FT007.eop-eur04.prod.protection.outlook.com]"
            ], .blockList, detail: "Microsoft's own block list"),
        // Barracuda, as MIT CSAIL's TIG wiki (EmailBlockedByBarracuda) quotes a bounce.
        Fixture(
            ["554 Service unavailable; Client host [192.0.2.7] blocked using Barracuda Reputation;"], .blockList,
            detail: "Barracuda Reputation"),
        // Postfix reject_unauth_destination, as asked about on antionline.com.
        Fixture(["554 5.7.1 <bob@example.net>: Recipient address rejected: Relay access denied"], .relayDenied),
        // Postfix defer_unauth_destination, from a newbedev.com answer.
        Fixture(["454 4.7.1 <bob@example.net>: Relay access denied"], .relayDenied),
        // Exim's default ACL, from Exim's test suite (test/stderr/0094).
        Fixture(["550 relay not permitted"], .relayDenied),
        // Gmail, DMARC: as dmarctrust.com quotes it.
        Fixture(
            [
                "550-5.7.26 Unauthenticated email from example.com is not accepted due to",
                "550-5.7.26 domain's DMARC policy. Please visit",
                "550-5.7.26 https://support.google.com/mail/answer/81126#authentication for",
                "550 5.7.26 more information.",
            ], .senderAuthentication, detail: "DMARC"),
        // Gmail, 2024 sender rules: as conetix.com.au quotes it.
        Fixture(
            [
                "550-5.7.26 This mail is unauthenticated, which poses a security risk to the",
                "550-5.7.26 sender and Gmail users, and has been blocked. The sender must",
                "550 5.7.26 authenticate with at least one of SPF or DKIM.",
            ], .senderAuthentication, detail: "SPF, DKIM"),
        // Gmail, the wording the issue quotes; the enhanced code alone names the cause.
        Fixture(
            ["550-5.7.26 This mail has been blocked because the sender is unauthenticated.", "550 5.7.26 gsmtp"],
            .senderAuthentication),
        // Microsoft 365, SPF: as mxio.io quotes it.
        Fixture(
            [
                "550 5.7.23 The message was rejected because of Sender Policy Framework violation -> The sending mail server IP address is not in the sender domain SPF record."
            ], .senderAuthentication, detail: "SPF"),
        // Gmail rate limiting: as the Plesk forum (thread 361840) quotes it.
        Fixture(
            [
                "421-4.7.28 Our system has detected an unusual rate of",
                "421-4.7.28 unsolicited mail originating from your IP address. To protect our",
                "421-4.7.28 users from spam, mail sent from your IP address has been temporarily",
                "421 4.7.28 rate limited.",
            ], .rateLimit),
        // Gmail's 421-4.7.0 form, as a discuss.vultr.com thread ("Gmail is blocking my email") quotes it.
        Fixture(
            [
                "421-4.7.0 [192.0.2.7] Our system has detected that this message is",
                "421-4.7.0 suspicious due to the very low reputation of the sending IP address.",
                "421-4.7.0 To protect our users from spam, mail sent from your IP address has",
                "421 4.7.0 been temporarily rate limited. Please visit for more information.",
            ], .rateLimit),
        // Gmail, the recipient's rate: as the Plesk knowledge base quotes a Postfix log.
        Fixture(
            [
                "450-4.2.1 The user you are trying to contact is receiving mail at a rate that",
                "450-4.2.1 prevents additional messages from being delivered. Please resend your",
                "450-4.2.1 message at a later time. If the user is able to receive mail at that",
                "450 4.2.1 time, your message will be delivered.",
            ], .rateLimit),
        // Postfix anvil, as quoted in a Red Hat tool's comment (smtplib.SMTPConnectError).
        Fixture(["421 4.7.0 smtp.corp.redhat.com Error: too many connections from 10.0.115.152"], .rateLimit),
        // Yahoo, as smtpfieldmanual.com/code/450 lists it.
        Fixture(["450 User is receiving mail too quickly"], .rateLimit),
        // Postfix local_recipient_maps, same log as the first.
        Fixture(
            ["550 5.1.1 <jp-work@jpsdomain.org>: Recipient address rejected: User unknown in local recipient table"],
            .unknownUser),
        // Gmail, as smtpfieldmanual.com/provider/google lists it.
        Fixture(
            [
                "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces."
            ], .unknownUser),
        // ehlo's practice server (unknown@).
        Fixture(["550 5.1.1 <unknown@practice.test>: Mailbox unknown"], .unknownUser),
        // A reverse-DNS check, as Postfix's reject_unknown_reverse_client_hostname words it.
        Fixture(["450 4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.7]"], .reverseDNS),
        // Nothing to recognise: ordinary replies.
        Fixture(["250 2.1.5 Ok"], nil),
        Fixture(["550 5.7.1 Message content rejected"], nil),
        Fixture(["250 2.0.0 Ok: queued as 4816F28A0A0"], nil),
    ]

    @Test(arguments: fixtures)
    func realReplyTextsNameTheirCause(fixture: Fixture) {
        let matches = ReplyCauseTable.recognise(fixture.reply)
        #expect(matches.map(\.cause) == (fixture.cause.map { [$0] } ?? []))
        if let detail = fixture.detail {
            #expect(matches.first?.detail == detail)
        }
    }

    @Test func greylistingIsOnlyEverTemporary() {
        #expect(ReplyCauseTable.recognise(SMTPReply(550, "5.7.1 greylisted forever")).isEmpty)
        #expect(ReplyCauseTable.recognise(SMTPReply(250, "2.0.0 not greylisted")).isEmpty)
    }

    @Test func wordsInsideLongerWordsDoNotCount() {
        // "sorbs" in "absorbs", "spf" in "huspfoo" are not causes.
        #expect(ReplyCauseTable.recognise(SMTPReply(550, "5.7.1 the server absorbs nothing, huspfoo")).isEmpty)
    }

    /// A word is found as whole Characters: a combining mark on its last letter, or a letter
    /// joined to its first, makes other Characters; a word after a non-letter or at the start
    /// counts, and a word's Kelvin sign (K) reads as the k it is equivalent to.
    @Test func wordsAreMatchedAsWholeCharacters() {
        #expect(ReplyCauseTable.recognise(SMTPReply(554, "5.7.1 listed on sorbs\u{301} today")).isEmpty)
        #expect(ReplyCauseTable.recognise(SMTPReply(554, "5.7.1 listed on e\u{301}sorbs")).isEmpty)
        #expect(ReplyCauseTable.recognise(SMTPReply(554, "5.7.1 listed on \u{301}sorbs")).map(\.cause) == [.blockList])
        #expect(ReplyCauseTable.recognise(SMTPReply(554, "sorbs: listed")).map(\.name) == ["block list (DNSBL): SORBS"])
        #expect(ReplyCauseTable.recognise(SMTPReply(554, "5.7.1 on our BLOC\u{212A}LIST")).map(\.cause) == [.blockList])
        #expect(
            ReplyCauseTable.recognise(SMTPReply(550, "5.7.1 blocked using zen.spamhaus.org")).map(\.name)
                == ["block list (DNSBL): Spamhaus"])
    }

    @Test func theAnnotationNamesTheCause() {
        let reply = Self.fixtures[0].reply
        let line = ReplyAnnotator.causeLine(ReplyCauseTable.recognise(reply)[0], level: .beginner)
        #expect(line.hasPrefix("cause: greylisting (RFC 6647 §2): "))
        #expect(line.contains("Wait a few minutes"))
        let brief = ReplyAnnotator.causeLine(
            ReplyCauseTable.recognise(Self.fixtures[3].reply)[0], level: .brief)
        #expect(brief.hasPrefix("cause: block list (DNSBL): Spamhaus; "))
    }

    @Test func explainNamesTheCauseOfALine() throws {
        let lines = try Explainer.explain("550 5.7.606 Access denied, banned sending IP [192.0.2.7].")
        #expect(lines.contains { $0.contains("cause: block list (DNSBL): Microsoft's banned sending IPs") })
    }
}
