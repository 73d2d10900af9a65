/// One reply from the server: a three-digit code and one or more lines of text.
///
/// RFC 5321 §4.2: every line of a reply starts with the same code; a hyphen after the code says
/// more lines follow, a space (or nothing) marks the last line. The lines are kept as the bytes
/// that arrived, so that they can be shown escaped and recorded faithfully.
public struct SMTPReply: Hashable, Sendable {
    /// The basic reply code, 200–599 in practice (any three digits are accepted and flagged).
    public var code: Int
    /// Every line as it arrived, without its line ending.
    public var lines: [ReplyLine]
    /// The enhanced status code at the start of the first line's text (RFC 2034 §4), if any.
    public var enhancedCode: EnhancedStatusCode?
    /// Ways in which the reply departs from RFC 5321; shown as warnings, never fatal.
    public var problems: [ReplyProblem]

    public init(code: Int, lines: [ReplyLine], enhancedCode: EnhancedStatusCode? = nil, problems: [ReplyProblem] = []) {
        self.code = code
        self.lines = lines
        self.enhancedCode = enhancedCode
        self.problems = problems
    }

    /// Builds a well-formed reply from text lines, e.g. `SMTPReply(250, "mx.test", "SIZE 1000")`.
    public init(_ code: Int, _ texts: String...) {
        let texts = texts.isEmpty ? [""] : texts
        let lines = texts.enumerated().map { index, text in
            let separator = index == texts.count - 1 ? " " : "-"
            return ReplyLine(bytes: Array("\(code)\(separator)\(text)".utf8))
        }
        self.init(code: code, lines: lines, enhancedCode: EnhancedStatusCode.leading(in: texts[0]))
    }

    public var isMultiline: Bool { lines.count > 1 }
    public var replyClass: ReplyClass { ReplyClass(code: code) }

    /// The text of each line after the code and separator, decoded leniently.
    public var texts: [String] { lines.map(\.text) }
}

/// RFC 5321 §4.2.1: the first digit of a reply code.
public enum ReplyClass: Int, Sendable, CaseIterable {
    case positiveCompletion = 2
    case positiveIntermediate = 3
    case transientNegative = 4
    case permanentNegative = 5
    case unknown = 0

    public init(code: Int) {
        self = ReplyClass(rawValue: code / 100) ?? .unknown
    }

    public var isSuccess: Bool { self == .positiveCompletion || self == .positiveIntermediate }
}

/// One line of a reply, as received.
public struct ReplyLine: Hashable, Sendable {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    /// The three-digit code at the start, if the line has one.
    public var code: Int? {
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        if bytes.count > 3, ![UInt8(ascii: " "), UInt8(ascii: "-")].contains(bytes[3]) { return nil }
        return bytes[0...2].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// True when a hyphen follows the code: more lines of this reply follow.
    public var isContinuation: Bool { bytes.count > 3 && bytes[3] == UInt8(ascii: "-") }

    /// The text after `NNN-` or `NNN `, decoded leniently (invalid UTF-8 becomes U+FFFD).
    public var text: String {
        String(decoding: bytes.count > 4 ? Array(bytes[4...]) : [], as: UTF8.self)
    }

    /// The whole line, safe to print on a terminal.
    public var visible: String { VisibleText.escape(bytes) }
}

/// A way in which a reply line or reply breaks the rules of RFC 5321.
public enum ReplyProblem: Hashable, Sendable, CustomStringConvertible {
    /// §4.5.3.1.5: a reply line, with its CRLF, may be at most 512 octets.
    case lineTooLong(octets: Int)
    /// The line does not start with a three-digit code followed by a space, hyphen or nothing.
    case missingCode
    /// §4.2.1: every line of a multiline reply carries the same code.
    case mixedCodes(first: Int, other: Int)
    /// §2.3.8: lines end with CRLF; this one ended with a bare LF.
    case bareLineFeed
    /// The line was cut at the decoder's hard limit; the rest was dropped.
    case truncated(droppedOctets: Int)
    /// The reply had more lines than the console keeps; the rest were dropped.
    case tooManyLines(dropped: Int)
    /// The connection closed in the middle of a line.
    case noLineEnding
    /// §4.2.1: the connection closed after a `NNN-` line, before the reply's last line (`NNN SP`).
    case unfinishedReply
    /// A code outside 2xx–5xx, which RFC 5321 §4.2 does not define.
    case undefinedClass(Int)

    public var description: String {
        switch self {
        case .lineTooLong(let octets):
            return "reply line is \(octets) octets with its CRLF; RFC 5321 §4.5.3.1.5 allows 512"
        case .missingCode:
            return "line does not start with a three-digit reply code (RFC 5321 §4.2)"
        case .mixedCodes(let first, let other):
            return
                "multiline reply mixes codes \(first) and \(other); every line must repeat the code (RFC 5321 §4.2.1)"
        case .bareLineFeed:
            return "line ended with a bare LF instead of CRLF (RFC 5321 §2.3.8)"
        case .truncated(let dropped):
            return "line too long to keep: \(dropped) octets were dropped"
        case .tooManyLines(let dropped):
            return "reply too long: \(dropped) further lines were dropped"
        case .noLineEnding:
            return "the connection closed before this line's CRLF"
        case .unfinishedReply:
            return
                "the connection closed before the reply's last line (its code and a space, RFC 5321 §4.2.1): the reply is unfinished and answers nothing"
        case .undefinedClass(let code):
            return "reply code \(code) is outside the classes 2xx–5xx that RFC 5321 §4.2.1 defines"
        }
    }
}
