/// Offline explanations for `ehlo explain` and `/explain`: a basic code, an enhanced code, or a
/// whole reply line.
public enum Explainer {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notACode(String)

        public var description: String {
            switch self {
            case .notACode(let text):
                return
                    "'\(VisibleText.escape(text))' is not a reply code (e.g. 550), an enhanced code (e.g. 5.1.1) or a reply line (e.g. \"550 5.1.1 No such user\")"
            }
        }
    }

    /// - Parameter level: `full` shows everything the rows hold; `beginner` the plain words, what to
    ///   do and the recognised cause; `brief` (and `off`, which asks for no more than that) the
    ///   titles alone.
    public static func explain(_ input: String, level: ExplainLevel = .full) throws(Failure) -> [String] {
        let text = input.trimmingSpaces
        if let enhanced = EnhancedStatusCode(text) {
            return explainEnhanced(enhanced, level: level)
        }
        if text.count == 3, let code = Int(text), (100...999).contains(code) {
            return explainCode(code, level: level)
        }
        let line = ReplyLine(text)
        if let code = line.code {
            var lines = [VisibleText.escape(text)] + explainCode(code, level: level).map { "  " + $0 }
            let enhanced = EnhancedStatusCode.leading(in: line.text)
            let reply = SMTPReply(code: code, lines: [line], enhancedCode: enhanced)
            if let enhanced {
                lines += explainEnhanced(enhanced, level: level).map { "  " + $0 }
                if let warning = SessionStateMachine.enhancedCodeWarnings(reply).first {
                    lines.append("  ! " + warning)
                }
            }
            lines += ReplyCauseTable.recognise(reply).map {
                "  " + ReplyAnnotator.causeLine($0, level: level == .off ? .brief : level)
            }
            return lines
        }
        throw .notACode(input)
    }

    public static func explainCode(_ code: Int, level: ExplainLevel = .full) -> [String] {
        var lines: [String]
        switch level {
        case .brief, .off:
            return [ReplyAnnotator.codeLine(code)]
        case .beginner:
            lines = [ReplyAnnotator.plainCodeLine(code)]
            lines.append("  class \(code / 100)xx: \(ReplyCodeTable.classMeaning(ReplyClass(code: code)))")
        case .full:
            lines = [ReplyAnnotator.codeLine(code)]
            if let row = ReplyCodeTable.row(code) {
                lines.append("  " + row.meaning)
                lines.append("  in plain words: " + row.plain + (row.advice.map { " " + $0 } ?? ""))
            }
            lines.append("  class \(code / 100)xx: \(ReplyCodeTable.classMeaning(ReplyClass(code: code)))")
            lines.append(
                "  category x\((code / 10) % 10)x: \(ReplyCodeTable.category(ofSecondDigit: (code / 10) % 10)) (RFC 5321 §4.2.1)"
            )
        }
        var contexts: [String] = []
        let exchanges: [(String, ExchangeSpec)] =
            [("greeting", CommandTable.greeting)] + CommandTable.commands.map { ($0.verb.rawValue, $0.exchange) }
            + [("end of data", CommandTable.endOfData)]
        for (name, exchange) in exchanges where exchange.allCodes.contains(code) {
            contexts.append("  after \(name): \(exchange.meaning(of: code))")
        }
        if !contexts.isEmpty {
            lines.append("  as an answer (RFC 5321 §4.3.2):")
            lines += contexts.map { "  " + $0 }
        }
        if let general = ExchangeSpec.anyCommand[code] {
            lines.append("  to \(contexts.isEmpty ? "any" : "any other") command: \(general)")
        }
        return lines
    }

    public static func explainEnhanced(_ code: EnhancedStatusCode, level: ExplainLevel = .full) -> [String] {
        switch level {
        case .beginner: return [ReplyAnnotator.plainEnhancedLine(code)]
        case .brief, .off: return [ReplyAnnotator.enhancedLine(code)]
        case .full: break
        }
        var lines = [ReplyAnnotator.enhancedLine(code)]
        if let row = EnhancedStatusTable.row(for: code) {
            lines.append("  " + row.plainWords(statusClass: code.statusClass))
            if code.statusClass == 2, row.success != nil, !row.classes.isDisjoint(with: [4, 5]) {
                lines.append("  (with class 4 or 5: \(row.title), RFC 3463's title)")
            }
            if !row.classes.contains(code.statusClass) {
                lines.append(
                    "  ! the registry uses this code with class \(row.classes.sorted().map(String.init).joined(separator: " or ")), not \(code.statusClass)"
                )
            }
        }
        if let classRow = EnhancedStatusTable.classRow(code.statusClass) {
            lines.append("  class \(code.statusClass): \(classRow.title) (\(classRow.reference))")
        }
        if let subject = EnhancedStatusTable.subjectRow(code.subject) {
            lines.append("  subject \(code.subject): \(subject.title) (\(subject.reference))")
        }
        return lines
    }
}

extension StringProtocol {
    /// The text without the spaces and tabs around it (the blanks RFC 5234's WSP names).
    ///
    /// Found on the octets: SP and HTAB are one octet each and never part of another scalar's
    /// encoding, so the cut falls between characters; walking `Character`s from both ends and
    /// building the string again took most of the time a long 334 challenge was interpreted in.
    public var trimmingSpaces: String {
        let octets = utf8
        let isBlank = { (octet: UInt8) in octet == 0x20 || octet == 0x09 }
        guard var index = octets.firstIndex(where: { !isBlank($0) }) else { return "" }
        let start = index
        var end = index
        while index != octets.endIndex {
            if !isBlank(octets[index]) { end = octets.index(after: index) }
            octets.formIndex(after: &index)
        }
        return String(decoding: octets[start..<end], as: UTF8.self)
    }
}
