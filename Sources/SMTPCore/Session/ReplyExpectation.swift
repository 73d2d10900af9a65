/// What `/expect` checks: one or more codes, each exact (`250`), a class (`2xx`), a category
/// (`25x`) or an enhanced code (`5.1.1`), separated by `,` or `|`.
public struct ReplyExpectation: Hashable, Sendable, CustomStringConvertible {
    public enum Pattern: Hashable, Sendable {
        case basic(String)
        case enhanced(EnhancedStatusCode)
    }

    public let patterns: [Pattern]

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let text: String
        public var description: String {
            "'\(text)' is not a code to expect: use 250, 2xx, 25x or 5.1.1 (several with ,)"
        }
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == "|" || $0 == " " })
        var patterns: [Pattern] = []
        for part in parts {
            if let enhanced = EnhancedStatusCode(part) {
                patterns.append(.enhanced(enhanced))
                continue
            }
            let lower = part.lowercased()
            guard lower.count == 3, lower.first.map({ ("1"..."5").contains($0) }) == true,
                lower.allSatisfy({ $0.isASCIIDigit || $0 == "x" })
            else { throw ParseError(text: text) }
            // x may only stand for trailing digits: 2xx, 25x — not 2x5.
            if let firstX = lower.firstIndex(of: "x"), lower[firstX...].contains(where: \.isASCIIDigit) {
                throw ParseError(text: text)
            }
            patterns.append(.basic(lower))
        }
        guard !patterns.isEmpty else { throw ParseError(text: text) }
        self.patterns = patterns
    }

    public func matches(_ reply: SMTPReply) -> Bool {
        patterns.contains { pattern in
            switch pattern {
            case .basic(let digits):
                let code = String(reply.code)
                return zip(digits, code).allSatisfy { $0 == "x" || $0 == $1 } && code.count == 3
            case .enhanced(let enhanced):
                return reply.enhancedCode == enhanced
            }
        }
    }

    public var description: String {
        patterns.map { pattern in
            switch pattern {
            case .basic(let digits): return digits
            case .enhanced(let code): return code.description
            }
        }.joined(separator: " or ")
    }
}
