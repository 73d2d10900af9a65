/// A reverse-path or forward-path from MAIL FROM or RCPT TO, and the parameters after it.
///
/// RFC 5321 §4.1.2:
///
///     Path       = "<" [ A-d-l ":" ] Mailbox ">"       (the source route A-d-l is ignored, §4.1.1.3)
///     Mailbox    = Local-part "@" ( Domain / address-literal )
///     Local-part = Dot-string / Quoted-string
///
/// RFC 6531 §3.3 lets atoms and domain labels hold UTF-8 when the client declared SMTPUTF8; the
/// parser accepts them and says so in `isInternational`, and the session decides.
struct MailPath: Hashable, Sendable {
    /// The mailbox without angle brackets; empty for the null reverse-path `<>`.
    let address: String
    let localPart: String
    /// The domain or address literal, empty for `<>` and for RCPT TO:<Postmaster>.
    let domain: String
    let parameters: [String]

    var isNull: Bool { address.isEmpty }
    var isInternational: Bool { address.utf8.contains { $0 >= 0x80 } }

    enum ParseError: Error, Hashable {
        /// The `FROM:` / `TO:` keyword or the angle brackets are missing.
        case missingPath
        /// The mailbox inside the brackets is malformed.
        case badMailbox
        /// RFC 5321 §4.5.3.1: local part 64, domain 255, path 256 octets.
        case tooLong
    }

    /// Parses the argument of MAIL (`keyword` "FROM") or RCPT ("TO").
    ///
    /// Spaces after the colon are accepted, as most servers do, though §4.1.1.2 has none.
    static func parse(_ argument: String, keyword: String, allowsNull: Bool) throws(ParseError) -> MailPath {
        let prefix = keyword + ":"
        guard argument.count >= prefix.count, argument.prefix(prefix.count).uppercased() == prefix else {
            throw .missingPath
        }
        let rest = argument.dropFirst(prefix.count).drop { $0 == " " }
        guard rest.first == "<", let close = closingBracket(in: rest) else { throw .missingPath }
        var inside = rest[rest.index(after: rest.startIndex)..<close]
        let parameters = rest[rest.index(after: close)...].split(separator: " ").map(String.init)
        if inside.isEmpty {
            guard allowsNull else { throw .badMailbox }
            return MailPath(address: "", localPart: "", domain: "", parameters: parameters)
        }
        guard inside.utf8.count <= 256 else { throw .tooLong }
        if inside.first == "@" {
            guard let colon = inside.firstIndex(of: ":") else { throw .badMailbox }
            inside = inside[inside.index(after: colon)...]
        }
        if !allowsNull, inside.lowercased() == "postmaster" {
            return MailPath(address: String(inside), localPart: String(inside), domain: "", parameters: parameters)
        }
        guard let at = inside.lastIndex(of: "@") else { throw .badMailbox }
        let localPart = inside[..<at]
        let domain = inside[inside.index(after: at)...]
        guard localPart.utf8.count <= 64, domain.utf8.count <= 255 else { throw .tooLong }
        guard isValidLocalPart(localPart), isValidDomain(domain) else { throw .badMailbox }
        return MailPath(
            address: String(inside), localPart: String(localPart), domain: String(domain), parameters: parameters)
    }

    /// The `>` that closes the path, skipping quoted strings (a quoted local part may hold `>`).
    private static func closingBracket(in text: Substring) -> Substring.Index? {
        var isQuoted = false
        var isEscaped = false
        for index in text.indices.dropFirst() {
            let character = text[index]
            if isEscaped {
                isEscaped = false
            } else if character == "\\" && isQuoted {
                isEscaped = true
            } else if character == "\"" {
                isQuoted.toggle()
            } else if character == ">" && !isQuoted {
                return index
            }
        }
        return nil
    }

    /// RFC 5322 §3.2.3 `atext`, plus any non-ASCII character (RFC 6531 §3.3).
    private static func isAtomCharacter(_ character: Character) -> Bool {
        if !character.isASCII { return true }
        if character.isLetter || character.isNumber { return true }
        return "!#$%&'*+-/=?^_`{|}~".contains(character)
    }

    private static func isValidLocalPart(_ text: Substring) -> Bool {
        guard !text.isEmpty else { return false }
        if text.first == "\"" {
            guard text.count >= 2, text.last == "\"" else { return false }
            return text.dropFirst().dropLast().allSatisfy { $0 != "\r" && $0 != "\n" }
        }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy(isAtomCharacter)
        }
    }

    private static func isValidDomain(_ text: Substring) -> Bool {
        guard !text.isEmpty else { return false }
        if text.first == "[" {
            return text.last == "]" && text.count > 2
                && text.dropFirst().dropLast().allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "[" }
        }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.first != "-" && label.last != "-"
                && label.allSatisfy { !$0.isASCII || $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }
}
