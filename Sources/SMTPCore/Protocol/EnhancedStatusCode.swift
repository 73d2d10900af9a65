/// An enhanced mail system status code, `class.subject.detail`.
///
/// RFC 3463 §2: the class is 2 (success), 4 (persistent transient failure) or 5 (permanent
/// failure); subject and detail are numbers of one to three digits. RFC 2034 §4 puts the code at
/// the start of the text of every line of a reply, followed by a space.
public struct EnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    public let statusClass: Int
    public let subject: Int
    public let detail: Int

    public init(statusClass: Int, subject: Int, detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// Parses exactly `c.s.d` (no surrounding text), e.g. `5.1.1`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts[0].count == 1, let statusClass = Int(parts[0]), [2, 4, 5].contains(statusClass),
            (1...3).contains(parts[1].count), parts[1].allSatisfy(\.isASCIIDigit), let subject = Int(parts[1]),
            (1...3).contains(parts[2].count), parts[2].allSatisfy(\.isASCIIDigit), let detail = Int(parts[2])
        else { return nil }
        self.init(statusClass: statusClass, subject: subject, detail: detail)
    }

    /// The code at the start of a reply line's text, if there is one (RFC 2034 §4).
    public static func leading(in text: some StringProtocol) -> EnhancedStatusCode? {
        let token = text.prefix { $0 != " " && $0 != "\t" }
        return EnhancedStatusCode(token)
    }

    public var description: String { "\(statusClass).\(subject).\(detail)" }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
