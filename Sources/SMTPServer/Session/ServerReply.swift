import SMTPCore

/// One reply the practice server sends: a code, an enhanced status code and lines of text.
///
/// RFC 5321 §4.2: every line starts with the code, a hyphen after it on all lines but the last.
/// RFC 2034 §4: with ENHANCEDSTATUSCODES, the enhanced code starts the text of every line, except
/// in the greeting and in the replies to EHLO, HELO and LHLO, and 3xx replies carry none (RFC 3463
/// §2 has no class 3).
public struct ServerReply: Hashable, Sendable, CustomStringConvertible {
    public let code: Int
    public let enhancedCode: EnhancedStatusCode?
    public let texts: [String]

    public init(_ code: Int, _ enhancedCode: EnhancedStatusCode?, _ texts: [String]) {
        precondition(!texts.isEmpty, "a reply has at least one line")
        self.code = code
        self.enhancedCode = enhancedCode
        self.texts = texts
    }

    public init(_ code: Int, _ enhancedCode: EnhancedStatusCode?, _ text: String) {
        self.init(code, enhancedCode, [text])
    }

    /// A reply whose text is the code's own title from `ReplyCodeTable`, with `detail` after it.
    public static func titled(_ code: Int, _ enhancedCode: EnhancedStatusCode?, detail: String? = nil) -> ServerReply {
        let title = ReplyCodeTable.title(code)
        return ServerReply(code, enhancedCode, detail.map { "\(title): \($0)" } ?? title)
    }

    /// The lines as they go on the wire, each without its CRLF.
    public var lines: [String] {
        texts.enumerated().map { index, text in
            let separator = index == texts.count - 1 ? " " : "-"
            let prefix = enhancedCode.map { "\($0) " } ?? ""
            return "\(code)\(separator)\(prefix)\(text)"
        }
    }

    /// The reply as bytes for the wire, CRLF after every line.
    public var wireBytes: [UInt8] {
        var bytes: [UInt8] = []
        for line in lines {
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0D)
            bytes.append(0x0A)
        }
        return bytes
    }

    public var description: String { lines.joined(separator: "\n") }
}

/// Enhanced status codes written the way RFC 3463 writes them, `esc(5, 1, 1)` for 5.1.1.
func esc(_ statusClass: Int, _ subject: Int, _ detail: Int) -> EnhancedStatusCode {
    EnhancedStatusCode(statusClass: statusClass, subject: subject, detail: detail)
}
