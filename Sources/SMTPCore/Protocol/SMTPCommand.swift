/// A command line as the user typed it, split into verb and argument.
///
/// The console sends what was typed, unchanged; this value only serves to recognise the command,
/// validate it against the session and annotate the reply it gets.
public struct SMTPCommand: Hashable, Sendable {
    /// The verb if it is one the console knows, else nil (it is still sent).
    public let verb: SMTPVerb?
    /// The first word, as typed.
    public let verbText: String
    /// Everything after the first space, as typed.
    public let argument: String
    /// The line exactly as typed (sent with CRLF appended).
    public let line: String
    /// For MAIL and RCPT: the path inside `FROM:<…>` / `TO:<…>`, if written that way.
    public let path: String?
    /// For MAIL and RCPT: the ESMTP parameters after the path (RFC 5321 §4.1.2 `esmtp-param`).
    ///
    /// Both are taken apart once, here: a session judges each queued command again whenever it
    /// predicts where a pipelined group leaves it.
    public let parameters: [ESMTPParameter]

    public init(line: String) {
        self.line = line
        // RFC 5321 wants one SP, but servers commonly split on any blank; so does ehlo, so that
        // a command it recognises (AUTH above all, for redaction) is recognised however typed.
        // The line is cut at the octets, as a server cuts it: a blank followed by a combining
        // mark or a zero-width joiner is one Swift Character, and must still separate words.
        let octets = Array(line.utf8)
        var index = octets.startIndex
        func skip(_ blanks: Bool) {
            while index < octets.endIndex, Self.isBlank(octets[index]) == blanks { index += 1 }
        }
        skip(true)
        let wordStart = index
        skip(false)
        verbText = String(decoding: octets[wordStart..<index], as: UTF8.self)
        skip(true)
        let argument = octets[index...]
        self.argument = String(decoding: argument, as: UTF8.self)
        verb = SMTPVerb(rawValue: verbText.uppercased())
        if let open = argument.firstIndex(of: UInt8(ascii: "<")),
            let close = argument[open...].firstIndex(of: UInt8(ascii: ">"))
        {
            path = String(decoding: argument[(open + 1)..<close], as: UTF8.self)
        } else {
            path = nil
        }
        if let close = argument.firstIndex(of: UInt8(ascii: ">")) {
            parameters = argument[(close + 1)...].split(separator: UInt8(ascii: " ")).map {
                ESMTPParameter(String(decoding: $0, as: UTF8.self))
            }
        } else {
            parameters = []
        }
    }

    private static func isBlank(_ octet: UInt8) -> Bool { octet == UInt8(ascii: " ") || octet == UInt8(ascii: "\t") }

    /// The words of `text` between its SP and TAB octets, at most `maxSplits + 1` of them (the
    /// last keeps the rest of the text, blanks and all, as `split(maxSplits:)` does).
    static func blankSeparatedWords(of text: String, maxSplits: Int = .max) -> [String] {
        Array(text.utf8).split(maxSplits: maxSplits, whereSeparator: isBlank).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// For BDAT: the chunk's size and whether it is the last (RFC 3030 §2: `BDAT <size> [LAST]`);
    /// nil when the argument is not that.
    public var bdatChunk: (size: Int, isLast: Bool)? {
        guard verb == .bdat else { return nil }
        return Self.bdatChunk(argument: argument, maximumDigits: 18)
    }

    /// BDAT's argument, `<size> [LAST]` (RFC 3030 §2), cut into words at its SP and TAB octets as
    /// servers cut it (Postfix splits a command at any blank); nil when it is not that, or when
    /// the size has more than `maximumDigits` digits.
    public static func bdatChunk(argument: String, maximumDigits: Int) -> (size: Int, isLast: Bool)? {
        let words = blankSeparatedWords(of: argument)
        guard (1...2).contains(words.count), words[0].utf8.count <= maximumDigits,
            words[0].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let size = Int(words[0])
        else { return nil }
        if words.count == 2 {
            guard words[1].uppercased() == "LAST" else { return nil }
            return (size, true)
        }
        return (size, false)
    }

    /// For AUTH: the mechanism name.
    public var authMechanism: String? {
        guard verb == .auth else { return nil }
        return Self.blankSeparatedWords(of: argument, maxSplits: 1).first.map { $0.uppercased() }
    }

    /// For AUTH: an initial response follows the mechanism (RFC 4954 §4), `=` for an empty one.
    public var hasAuthInitialResponse: Bool {
        verb == .auth && Self.blankSeparatedWords(of: argument, maxSplits: 1).count > 1
    }
}

/// A `keyword[=value]` parameter of MAIL or RCPT.
public struct ESMTPParameter: Hashable, Sendable {
    public let keyword: String
    public let value: String?

    public init(_ text: String) {
        if let equals = text.firstIndex(of: "=") {
            keyword = text[..<equals].uppercased()
            value = String(text[text.index(after: equals)...])
        } else {
            keyword = text.uppercased()
            value = nil
        }
    }
}

/// The SMTP verbs ehlo knows (RFC 5321 §4.1.1 and the extensions in `ExtensionTable`).
public enum SMTPVerb: String, Hashable, Sendable, CaseIterable {
    case ehlo = "EHLO"
    case helo = "HELO"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case bdat = "BDAT"
    case rset = "RSET"
    case vrfy = "VRFY"
    case expn = "EXPN"
    case help = "HELP"
    case noop = "NOOP"
    case quit = "QUIT"
    case starttls = "STARTTLS"
    case auth = "AUTH"
    case etrn = "ETRN"
    case lhlo = "LHLO"
}
