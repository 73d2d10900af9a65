/// The meaning of every basic reply code ehlo knows, each with the section that defines it.
///
/// RFC 5321 §4.2.2 lists the codes by class; §4.2.3 by number. RFC 3207 (STARTTLS), RFC 4954
/// (AUTH) and RFC 7504 (521, 556) add their own. A code without a row is explained from its two
/// first digits (§4.2.1) by `ReplyCodeTable.explain(_:)`.
public enum ReplyCodeTable {
    public struct Row: Sendable {
        public let code: Int
        /// Short meaning, in our words.
        public let title: String
        /// What the client should understand and do, for someone who knows SMTP.
        public let meaning: String
        /// One sentence for a beginner: what the reply says happened.
        public let plain: String
        /// One sentence: what to do about it (nil where there is nothing to do).
        public let advice: String?
        public let reference: String
    }

    public static let rows: [Row] = [
        Row(
            code: 211, title: "System status or help reply",
            meaning: "Status information about the server, usually in answer to HELP with no argument.",
            plain: "The server sent status information, usually because you asked HELP.",
            advice: nil,
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 214, title: "Help message",
            meaning: "Human-readable help about the server or a command; only useful to a person.",
            plain: "The server sent help text meant for a person to read.",
            advice: nil,
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 220, title: "Service ready",
            meaning:
                "The server is ready: as a greeting, start with EHLO; after STARTTLS, begin the TLS handshake now.",
            plain: "The server is ready to talk to you.",
            advice:
                "Greet it with EHLO and your domain, e.g. EHLO client.example (after STARTTLS: the TLS handshake starts now).",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 221, title: "Service closing transmission channel",
            meaning: "The server says goodbye and closes the connection, normally in answer to QUIT.",
            plain: "The server says goodbye and closes the connection.",
            advice: nil,
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 235, title: "Authentication succeeded",
            meaning: "The AUTH exchange is complete and the server accepts the credentials.",
            plain: "You are logged in: the server accepted your user name and password.",
            advice: nil,
            reference: "RFC 4954 §6"),
        Row(
            code: 250, title: "Requested mail action okay, completed",
            meaning: "The command was accepted and carried out.",
            plain: "Done: the server accepted the command.",
            advice: nil,
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 251, title: "User not local; will forward",
            meaning: "The recipient is accepted, but the server will relay the message to another host.",
            plain: "The recipient is accepted, but lives on another server; this one will pass the message on.",
            advice: nil,
            reference: "RFC 5321 §4.2.3, §3.4"),
        Row(
            code: 252, title: "Cannot verify the user, but will accept the message",
            meaning: "The server will not confirm whether the mailbox exists, yet it would try to deliver to it.",
            plain: "The server will not say whether this mailbox exists, but it would accept mail for it.",
            advice: nil,
            reference: "RFC 5321 §4.2.3, §3.5.3"),
        Row(
            code: 253, title: "Queue run started for pending messages",
            meaning: "In answer to ETRN: the server has started delivering the messages it held for that domain.",
            plain: "The server has started sending out the mail it held for that domain.",
            advice: nil,
            reference: "RFC 1985 §5"),
        Row(
            code: 334, title: "Authentication challenge",
            meaning: "The server waits for the next step of the SASL exchange: a base64 line, or `*` to cancel.",
            plain: "The server waits for the next step of the login, written in base64.",
            advice: "Type the base64 answer, or * to cancel.",
            reference: "RFC 4954 §4"),
        Row(
            code: 353, title: "PRDR: per-recipient replies follow",
            meaning:
                "After the message of a PRDR transaction: one reply per accepted recipient follows, then one for the message.",
            plain: "The server checked the message and will now answer once for each recipient.",
            advice: nil,
            reference: "draft-hall-prdr-00 §4.5.1"),
        Row(
            code: 354, title: "Start mail input",
            meaning: "Send the message now: header lines, an empty line, the body, then a line holding only a period.",
            plain: "The server is ready for the message itself.",
            advice: "Type the header lines, an empty line, the text, then a line holding only a dot.",
            reference: "RFC 5321 §4.2.3, §4.1.1.4"),
        Row(
            code: 421, title: "Service not available, closing transmission channel",
            meaning:
                "The server is shutting this connection down (overload, idle timeout, policy); it may answer any command this way. Try again later.",
            plain: "The server is closing the connection and will do nothing more now.",
            advice:
                "Connect again later; if it keeps happening, the text says why (overload, too many connections, a block).",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 432, title: "A password transition is needed",
            meaning: "The account needs its password changed or upgraded before this mechanism can be used.",
            plain: "Your account needs a password change before you can log in this way.",
            advice: "Log in once with AUTH PLAIN over TLS, or ask the administrator.",
            reference: "RFC 4954 §6"),
        Row(
            code: 450, title: "Mailbox unavailable (temporary)",
            meaning:
                "The mailbox cannot be used right now (busy, locked, greylisted); the same command may succeed later.",
            plain: "Not now: the mailbox cannot take this at the moment (busy, locked, or greylisted).",
            advice: "Try the same command again in a few minutes.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 451, title: "Local error in processing",
            meaning: "The server hit a temporary problem of its own and aborted the action; retry later.",
            plain: "Not now: the server had a problem of its own and gave up on this request.",
            advice: "Try again later; the fault is on the server's side.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 452, title: "Insufficient system storage",
            meaning:
                "The server is temporarily out of space, or will take no more recipients in this transaction; retry later.",
            plain: "Not now: the server is short of storage, or takes no more recipients in this message.",
            advice: "Try again later, or send the remaining recipients in a second message.",
            reference: "RFC 5321 §4.2.3, §4.5.3.1.10"),
        Row(
            code: 454, title: "TLS or authentication temporarily unavailable",
            meaning: "STARTTLS or AUTH cannot be done right now because of a temporary problem on the server.",
            plain: "Not now: TLS or login cannot be done at the moment because of a problem on the server.",
            advice: "Try again later; go on without it only if that is safe.",
            reference: "RFC 3207 §4, RFC 4954 §6"),
        Row(
            code: 455, title: "Server unable to accommodate parameters",
            meaning: "The server understood the MAIL or RCPT parameters but cannot honour them at present.",
            plain: "Not now: the server understood your MAIL or RCPT parameters but cannot honour them at present.",
            advice: "Try again later, or leave the parameters out.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 458, title: "Unable to queue messages for the node",
            meaning: "In answer to ETRN: the server cannot start a queue run for that domain now.",
            plain: "Not now: the server cannot start delivering the mail it holds for that domain.",
            advice: "Try ETRN again later.",
            reference: "RFC 1985 §5"),
        Row(
            code: 459, title: "Node not allowed",
            meaning: "In answer to ETRN: the server will not run its queue for that domain.",
            plain: "The server will not deliver the mail it holds for that domain on request.",
            advice: "Ask its administrator; ETRN is not allowed for that domain.",
            reference: "RFC 1985 §5"),
        Row(
            code: 500, title: "Syntax error, command unrecognized",
            meaning:
                "The server does not know this command, or the line was too long (also: an AUTH line over the limit).",
            plain: "The server did not understand the line: an unknown command, a typo, or a line too long.",
            advice: "Check the spelling (/help commands lists them) and type it again.",
            reference: "RFC 5321 §4.2.3, RFC 4954 §6"),
        Row(
            code: 501, title: "Syntax error in parameters or arguments",
            meaning:
                "The command is known but its arguments are malformed; also the answer to a cancelled AUTH exchange.",
            plain: "The command is right but what follows it is not: a missing or malformed argument.",
            advice: "Check the syntax with /help VERB, e.g. MAIL FROM:<you@example.test> with the angle brackets.",
            reference: "RFC 5321 §4.2.3, RFC 4954 §4"),
        Row(
            code: 502, title: "Command not implemented",
            meaning: "The server recognises the command but does not offer it.",
            plain: "The server knows this command but does not offer it.",
            advice: "Do without it; /caps shows what the server offers.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 503, title: "Bad sequence of commands",
            meaning: "The command is not allowed at this point of the session; see the legal next steps.",
            plain: "Wrong order: this command is not allowed at this point of the conversation.",
            advice: "Do the step that must come first; /next shows what is allowed now.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 504, title: "Command parameter not implemented",
            meaning: "The command is supported but not with this parameter (or this AUTH mechanism).",
            plain: "The server does not support this option of the command, such as this login method.",
            advice: "Pick an option the server lists (/caps).",
            reference: "RFC 5321 §4.2.3, RFC 4954 §4"),
        Row(
            code: 521, title: "Server does not accept mail",
            meaning: "This host never accepts mail; it greets only to say so.",
            plain: "This server never accepts mail.",
            advice: "Send to the right server for the domain, the one its MX records name.",
            reference: "RFC 7504 §3"),
        Row(
            code: 530, title: "Authentication required, or STARTTLS first",
            meaning:
                "The server refuses this command until the client has authenticated (RFC 4954 §6) or, as RFC 3207 §4 uses it, started TLS; the text says which.",
            plain: "The server wants you to log in, or to switch to TLS, before this command.",
            advice: "Run STARTTLS or AUTH first, as the text says.",
            reference: "RFC 4954 §6, RFC 3207 §4"),
        Row(
            code: 534, title: "Authentication mechanism is too weak",
            meaning: "The server does not allow this SASL mechanism here; use a stronger one.",
            plain: "The server does not allow this login method here: it is too weak.",
            advice: "Use a stronger mechanism, or start TLS first.",
            reference: "RFC 4954 §6"),
        Row(
            code: 535, title: "Authentication credentials invalid",
            meaning: "The user name or password was wrong, or the account may not log in.",
            plain: "Login failed: the user name or the password is wrong.",
            advice: "Check them and try again; some providers want an app password.",
            reference: "RFC 4954 §6"),
        Row(
            code: 538, title: "Encryption required for requested authentication mechanism",
            meaning: "This mechanism is only allowed over TLS; run STARTTLS first.",
            plain: "This login method is only allowed on an encrypted connection.",
            advice: "Run STARTTLS first, then AUTH.",
            reference: "RFC 4954 §6"),
        Row(
            code: 550, title: "Requested action not taken: mailbox unavailable or rejected by policy",
            meaning: "A permanent refusal: no such mailbox, no access, or a policy (relaying, spam) said no.",
            plain: "No, for good: no such mailbox, no permission, or a policy said no.",
            advice: "Read the text and the enhanced code for which; sending the same again will fail again.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 551, title: "User not local",
            meaning: "The server will not deliver to this recipient; the text may name the address to use instead.",
            plain: "No: this recipient does not live here; the text may name where to send instead.",
            advice: "Send to the address the text gives, if it gives one.",
            reference: "RFC 5321 §4.2.3, §3.4"),
        Row(
            code: 552, title: "Exceeded storage allocation",
            meaning: "The message is too big for the mailbox or the server, or (to RCPT) too many recipients.",
            plain: "No: too big for the storage allowed, the mailbox's quota or the server's limit.",
            advice: "Send a smaller message; to RCPT (too many recipients), send the rest in a new message.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 553, title: "Mailbox name not allowed",
            meaning: "The address is syntactically wrong or not acceptable to this server.",
            plain: "No: the server does not accept this mailbox name.",
            advice: "Check the address for typos and characters that are not allowed.",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 554, title: "Transaction failed",
            meaning: "A permanent failure; as a greeting it means this server will not talk to you at all.",
            plain: "No, for good: the transaction failed; as a greeting, the server will not talk to you at all.",
            advice: "Read the text for the reason; a block on your IP address is a common one.",
            reference: "RFC 5321 §4.2.3, §3.1"),
        Row(
            code: 555, title: "MAIL FROM/RCPT TO parameters not recognized or not implemented",
            meaning: "The server does not know an ESMTP parameter given with MAIL or RCPT.",
            plain: "No: the server does not know a parameter you put after the address in MAIL or RCPT.",
            advice: "Leave it out, or use only the extensions EHLO advertised (/caps).",
            reference: "RFC 5321 §4.2.3"),
        Row(
            code: 556, title: "Domain does not accept mail",
            meaning: "The recipient's domain publishes that it receives no mail at all (null MX).",
            plain: "No: the recipient's domain says it receives no mail at all.",
            advice: "Check the domain; mail to it can never be delivered.",
            reference: "RFC 7504 §4"),
    ]

    /// The codes RFC 5321 §4.2.3 lists, in its order (plus 455 and 555 from its text).
    public static let rfc5321Codes = [
        211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455,
        500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555,
    ]

    public static func row(_ code: Int) -> Row? {
        rowsByCode[code]
    }

    /// Asked for every reply shown, recorded or served; the first row of a code, as `rows` lists them.
    private static let rowsByCode = Dictionary(rows.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })

    /// RFC 5321 §4.2.1: the second digit's categories.
    public static func category(ofSecondDigit digit: Int) -> String {
        switch digit {
        case 0: return "syntax"
        case 1: return "information"
        case 2: return "connections"
        case 3: return "unspecified (RFC 4954 uses x3z for authentication, a later convention)"
        case 4: return "unspecified"
        case 5: return "mail system"
        default: return "undefined category"
        }
    }

    /// RFC 5321 §4.2.1: what the first digit says.
    public static func classMeaning(_ replyClass: ReplyClass) -> String {
        switch replyClass {
        case .positiveCompletion: return "positive completion: the action succeeded"
        case .positiveIntermediate: return "positive intermediate: the server waits for more from you"
        case .transientNegative: return "transient negative: not done now, the same request may succeed later"
        case .permanentNegative: return "permanent negative: not done; do not repeat the same request as is"
        case .unknown: return "not a reply class RFC 5321 defines"
        }
    }

    /// A title for any code: the row's, or one built from its digits.
    public static func title(_ code: Int) -> String {
        if let row = row(code) { return row.title }
        return "Unknown code: \(classMeaning(ReplyClass(code: code))), \(category(ofSecondDigit: (code / 10) % 10))"
    }

    public static func reference(_ code: Int) -> String {
        row(code)?.reference ?? "RFC 5321 §4.2.1"
    }
}
