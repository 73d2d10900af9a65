/// The ESMTP service extensions ehlo can explain, and the MAIL/RCPT parameters they bring.
///
/// `/caps`, parameter completion and the "not advertised" warnings all read these rows.
public enum ExtensionTable {
    public struct Row: Sendable {
        public let keyword: String
        public let title: String
        /// What advertising this keyword allows the client to do.
        public let allows: String
        public let reference: String
    }

    /// A `keyword[=value]` parameter of MAIL FROM or RCPT TO, and the extension it needs.
    public struct Parameter: Sendable {
        public let keyword: String
        public let verb: SMTPVerb
        public let extensionKeyword: String
        /// Values offered by completion; empty when the value is free (a number, an id) or absent.
        public let values: [String]
        /// Whether the parameter takes `=value`.
        public let takesValue: Bool
        public let reference: String
    }

    public static let rows: [Row] = [
        Row(
            keyword: "PIPELINING", title: "Command pipelining",
            allows: "send several commands without waiting for each reply", reference: "RFC 2920"),
        Row(
            keyword: "SIZE", title: "Message size declaration",
            allows: "declare SIZE=<octets> on MAIL; the parameter is the server's limit (0: none)",
            reference: "RFC 1870"),
        Row(
            keyword: "8BITMIME", title: "8-bit MIME transport",
            allows: "send bodies with 8-bit octets, declared with BODY=8BITMIME on MAIL", reference: "RFC 6152"),
        Row(
            keyword: "SMTPUTF8", title: "Internationalized email",
            allows: "use UTF-8 addresses and headers, declared with SMTPUTF8 on MAIL", reference: "RFC 6531"),
        Row(
            keyword: "ENHANCEDSTATUSCODES", title: "Enhanced status codes",
            allows: "nothing to do: replies carry class.subject.detail codes", reference: "RFC 2034"),
        Row(
            keyword: "STARTTLS", title: "Upgrade to TLS",
            allows: "switch this connection to TLS with STARTTLS, then EHLO again", reference: "RFC 3207"),
        Row(
            keyword: "AUTH", title: "SMTP authentication",
            allows: "authenticate with one of the listed SASL mechanisms", reference: "RFC 4954"),
        Row(
            keyword: "CHUNKING", title: "Message chunking",
            allows: "send the message with BDAT <size> [LAST] instead of DATA", reference: "RFC 3030"),
        Row(
            keyword: "BINARYMIME", title: "Binary MIME",
            allows: "send binary bodies (BODY=BINARYMIME, with BDAT only)", reference: "RFC 3030"),
        Row(
            keyword: "DSN", title: "Delivery status notifications",
            allows: "ask for delivery reports: RET=, ENVID= on MAIL; NOTIFY=, ORCPT= on RCPT", reference: "RFC 3461"),
        Row(
            keyword: "DELIVERBY", title: "Deliver by",
            allows: "set a delivery deadline with BY= on MAIL", reference: "RFC 2852"),
        Row(
            keyword: "ETRN", title: "Remote queue starting",
            allows: "ask the server to flush its queue for a domain with ETRN", reference: "RFC 1985"),
        Row(
            keyword: "EXPN", title: "Expand mailing list",
            allows: "ask for a list's members with EXPN", reference: "RFC 5321 §4.1.1.7"),
        Row(
            keyword: "VRFY", title: "Verify address",
            allows: "ask whether a mailbox exists with VRFY", reference: "RFC 5321 §4.1.1.6"),
        Row(
            keyword: "HELP", title: "Help",
            allows: "ask for help text with HELP [topic]", reference: "RFC 5321 §4.1.1.8"),
        Row(
            keyword: "MT-PRIORITY", title: "Message transfer priority",
            allows: "set a priority with MT-PRIORITY= on MAIL", reference: "RFC 6710"),
        Row(
            keyword: "FUTURERELEASE", title: "Future message release",
            allows: "hold a message with HOLDFOR= or HOLDUNTIL= on MAIL", reference: "RFC 4865"),
        Row(
            keyword: "REQUIRETLS", title: "Require TLS on every hop",
            allows: "demand TLS for onward delivery with REQUIRETLS on MAIL", reference: "RFC 8689"),
        Row(
            keyword: "PRDR", title: "Per-recipient data responses",
            allows: "ask with PRDR on MAIL for one reply per recipient after the message (353, then each, then the whole)",
            reference: "draft-hall-prdr-00"),
        Row(
            keyword: "LIMITS", title: "Limits",
            allows: "nothing to do: the server states its limits (RCPTMAX, MAILMAX, …)", reference: "RFC 9422"),
        Row(
            keyword: "XCLIENT", title: "Postfix XCLIENT (non-standard)",
            allows: "a trusted client may override the connection's attributes", reference: "Postfix XCLIENT_README"),
        Row(
            keyword: "XFORWARD", title: "Postfix XFORWARD (non-standard)",
            allows: "a trusted client may forward the original client's attributes",
            reference: "Postfix XFORWARD_README"),
    ]

    public static let parameters: [Parameter] = [
        Parameter(
            keyword: "SIZE", verb: .mail, extensionKeyword: "SIZE", values: [], takesValue: true,
            reference: "RFC 1870 §6"),
        Parameter(
            keyword: "BODY", verb: .mail, extensionKeyword: "8BITMIME", values: ["7BIT", "8BITMIME"],
            takesValue: true, reference: "RFC 6152 §2"),
        Parameter(
            keyword: "SMTPUTF8", verb: .mail, extensionKeyword: "SMTPUTF8", values: [], takesValue: false,
            reference: "RFC 6531 §3.4"),
        Parameter(
            keyword: "RET", verb: .mail, extensionKeyword: "DSN", values: ["FULL", "HDRS"], takesValue: true,
            reference: "RFC 3461 §4.3"),
        Parameter(
            keyword: "ENVID", verb: .mail, extensionKeyword: "DSN", values: [], takesValue: true,
            reference: "RFC 3461 §4.4"),
        Parameter(
            keyword: "AUTH", verb: .mail, extensionKeyword: "AUTH", values: ["<>"], takesValue: true,
            reference: "RFC 4954 §5"),
        Parameter(
            keyword: "BY", verb: .mail, extensionKeyword: "DELIVERBY", values: [], takesValue: true,
            reference: "RFC 2852 §4"),
        Parameter(
            keyword: "MT-PRIORITY", verb: .mail, extensionKeyword: "MT-PRIORITY", values: [], takesValue: true,
            reference: "RFC 6710 §3"),
        Parameter(
            keyword: "HOLDFOR", verb: .mail, extensionKeyword: "FUTURERELEASE", values: [], takesValue: true,
            reference: "RFC 4865 §3"),
        Parameter(
            keyword: "HOLDUNTIL", verb: .mail, extensionKeyword: "FUTURERELEASE", values: [], takesValue: true,
            reference: "RFC 4865 §3"),
        Parameter(
            keyword: "REQUIRETLS", verb: .mail, extensionKeyword: "REQUIRETLS", values: [], takesValue: false,
            reference: "RFC 8689 §4"),
        Parameter(
            keyword: "PRDR", verb: .mail, extensionKeyword: "PRDR", values: [], takesValue: false,
            reference: "draft-hall-prdr-00 §3"),
        Parameter(
            keyword: "NOTIFY", verb: .rcpt, extensionKeyword: "DSN",
            values: ["NEVER", "SUCCESS", "FAILURE", "DELAY", "SUCCESS,FAILURE,DELAY"], takesValue: true,
            reference: "RFC 3461 §4.1"),
        Parameter(
            keyword: "ORCPT", verb: .rcpt, extensionKeyword: "DSN", values: ["rfc822;"], takesValue: true,
            reference: "RFC 3461 §4.2"),
    ]

    /// A SASL mechanism as AUTH names it (RFC 4954 §3), with where it is defined.
    public struct SASLMechanism: Sendable {
        public let name: String
        public let summary: String
        public let reference: String
    }

    /// The mechanisms ehlo knows: the console's `/auth` speaks them, completion offers them.
    public static let saslMechanisms: [SASLMechanism] = [
        SASLMechanism(name: "PLAIN", summary: "user and password in one base64 line", reference: "RFC 4616"),
        SASLMechanism(
            name: "LOGIN", summary: "user, then password, each answering a 334", reference: "draft-murchison-sasl-login"
        ),
        SASLMechanism(
            name: "CRAM-MD5", summary: "an HMAC-MD5 of the server's challenge; no password on the wire",
            reference: "RFC 2195"),
        SASLMechanism(name: "XOAUTH2", summary: "an OAuth 2.0 bearer token", reference: "Google and Microsoft XOAUTH2"),
    ]

    public static func row(_ keyword: String) -> Row? {
        rows.first { $0.keyword == keyword.uppercased() }
    }

    public static func parameter(_ keyword: String, of verb: SMTPVerb) -> Parameter? {
        parameters.first { $0.keyword == keyword.uppercased() && $0.verb == verb }
    }

    /// BODY=BINARYMIME belongs to BINARYMIME, not 8BITMIME; every other value to the row's extension.
    public static func extensionNeeded(for parameter: ESMTPParameter, of verb: SMTPVerb) -> String? {
        if parameter.keyword == "BODY", parameter.value?.uppercased() == "BINARYMIME" { return "BINARYMIME" }
        if parameter.keyword == "BODY", parameter.value?.uppercased() == "7BIT" { return nil }
        return self.parameter(parameter.keyword, of: verb)?.extensionKeyword
    }
}
