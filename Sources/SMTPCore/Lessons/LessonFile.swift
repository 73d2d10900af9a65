/// Reads a lesson file: fields in `Name: value` lines, as in a mail header (RFC 5322 §2.2).
///
/// ```
/// # A comment. Blank lines are ignored.
/// Title: Dot-stuffing
/// Reference: RFC 5321 §4.5.2
/// Text: A line of the message that starts with a period gets one more on the wire,
///   so that the lone period that ends the message cannot occur inside it.
/// Text: A second paragraph.
///
/// Goal: dot
/// Say: Send a message line that starts with a dot
/// Check: dot-line
/// Hint: After DATA and its 354, type .hello
/// ```
///
/// A line that starts with a space or tab continues the field above it (folding, as in mail).
/// Field names are case-insensitive. `Title`, `Reference` and `Text` (repeatable, one paragraph
/// each) describe the lesson; each `Goal: ID` starts a goal, followed by its `Say`, `Check`,
/// `Hint` (repeatable) and `Requires: ID`. `Check` is a kind and its parameters,
/// `KIND key=value …`; a value with spaces is written in double quotes. `LessonFile.kinds` lists
/// the kinds and their keys; the man page's "Lesson files" (under LESSONS) describes them.
public enum LessonFile {
    /// A goal kind and the keys its `Check:` line takes.
    public struct Kind: Sendable {
        public let name: String
        public let keys: [String]
        public let summary: String
    }

    public static let kinds: [Kind] = [
        Kind(
            name: "reply", keys: ["code", "enhanced", "text", "after", "argument", "before", "tls"],
            summary:
                "a reply whose code matches code (450, 45x, 4xx), optionally with an enhanced code starting with enhanced (4.7) and text in it, to a command matching after (a verb, greeting, end-of-data or auth-response), argument, before and tls"
        ),
        Kind(
            name: "command", keys: ["verb", "argument", "before", "tls"],
            summary:
                "a command with this verb goes out, its argument containing argument, while before (a verb) has had no positive reply in its scope, over TLS or not (tls=yes|no)"
        ),
        Kind(
            name: "dot-line", keys: [],
            summary: "a message line that starts with a period, sent stuffed as .. (RFC 5321 §4.5.2)"),
        Kind(name: "tls", keys: ["via"], summary: "a TLS session, via=starttls|implicit|any (RFC 3207, RFC 8314)"),
        Kind(
            name: "auth", keys: ["mechanism", "typed"],
            summary: "a 235 to AUTH with this mechanism; typed=yes: typed by hand, not by /auth (RFC 4954)"),
        Kind(
            name: "pipelined", keys: ["verbs"],
            summary:
                "these verbs (default MAIL,RCPT,DATA) in order, each sent before the earlier replies came, all answered positively (RFC 2920)"
        ),
        Kind(
            name: "bdat-last", keys: ["chunks"],
            summary: "a message ended by BDAT … LAST and accepted, in at least chunks chunks (RFC 3030)"),
        Kind(
            name: "message", keys: ["recipients", "via"],
            summary:
                "a message accepted for at least recipients recipients, via=data|bdat|any (RFC 5321 §3.3)"),
    ]

    /// What is wrong with a lesson file, and on which line (1-based).
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let message: String

        public var description: String { "\(file):\(line): \(message)" }
    }

    /// Parses a lesson from its text; `file` names it in errors and becomes the lesson's `source`.
    public static func parse(_ text: String, file: String) throws(ParseError) -> Lesson {
        var parser = Parser(file: file)
        for field in try fields(of: text, file: file) {
            try parser.take(field)
        }
        return try parser.finish()
    }

    struct Field {
        let name: String
        var value: String
        let line: Int
    }

    /// The fields of the text, continuation lines folded in.
    static func fields(of text: String, file: String) throws(ParseError) -> [Field] {
        var fields: [Field] = []
        // CRLF is one Character in Swift, so it is a newline here like LF.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            // The text goes to the terminal as it is: no escape sequences or other controls in it.
            if let control = line.unicodeScalars.first(where: {
                $0.properties.generalCategory == .control && $0 != "\t"
            }) {
                throw ParseError(
                    file: file, line: number,
                    message:
                        "a control character (U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4))) has no place in a lesson"
                )
            }
            let trimmed = line.trimmingBlanks
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if line.first == " " || line.first == "\t" {
                guard !fields.isEmpty else {
                    throw ParseError(file: file, line: number, message: "a continuation line with no field above it")
                }
                fields[fields.count - 1].value += " " + trimmed
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw ParseError(
                    file: file, line: number,
                    message:
                        "expected \"Name: value\" (a field such as Title:, Text:, Goal:, Check:), got \"\(trimmed)\"")
            }
            let name = line[..<colon].trimmingBlanks
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0 == "-" }) else {
                throw ParseError(file: file, line: number, message: "\"\(name)\" is not a field name")
            }
            fields.append(
                Field(name: name.lowercased(), value: line[line.index(after: colon)...].trimmingBlanks, line: number))
        }
        return fields
    }

    private struct Parser {
        let file: String
        var title: String?
        var reference: String?
        var text: [String] = []
        var goals: [Goal] = []
        /// The line of each goal's `Goal:` field, and of its `Requires:` if any.
        var goalLines: [Int] = []
        var requiresLines: [Int: Int] = [:]
        /// The goal being read: its fields so far.
        var current: (id: String, line: Int, say: String?, check: GoalCheck?, hints: [String], requires: String?)?

        init(file: String) { self.file = file }

        func error(_ line: Int, _ message: String) -> ParseError {
            ParseError(file: file, line: line, message: message)
        }

        mutating func take(_ field: Field) throws(ParseError) {
            guard !field.value.isEmpty else { throw error(field.line, "\(field.name.titled): has no value") }
            if field.name == "goal" {
                try endGoal()
                let id = field.value
                guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw error(field.line, "a goal's ID is one word (letters, digits, - and _), got \"\(id)\"")
                }
                guard !goals.contains(where: { $0.id == id }) else {
                    throw error(field.line, "a second goal named \(id)")
                }
                current = (id, field.line, nil, nil, [], nil)
                return
            }
            if current != nil {
                switch field.name {
                case "say":
                    guard current?.say == nil else { throw error(field.line, "a second Say: for goal \(current!.id)") }
                    current?.say = field.value
                case "check":
                    guard current?.check == nil else {
                        throw error(field.line, "a second Check: for goal \(current!.id)")
                    }
                    let parsed = try check(field.value, line: field.line)
                    current?.check = parsed
                case "hint":
                    current?.hints.append(field.value)
                case "requires":
                    current?.requires = field.value
                    requiresLines[goals.count] = field.line
                default:
                    throw error(
                        field.line, "a goal takes Say:, Check:, Hint: and Requires:, not \(field.name.titled):")
                }
                return
            }
            switch field.name {
            case "title":
                guard title == nil else { throw error(field.line, "a second Title:") }
                title = field.value
            case "reference":
                reference = field.value
            case "text":
                text.append(field.value)
            case "say", "check", "hint", "requires":
                throw error(field.line, "\(field.name.titled): belongs to a goal; start one with Goal: ID first")
            default:
                throw error(
                    field.line,
                    "unknown field \(field.name.titled): (a lesson has Title:, Reference:, Text: and goals: Goal:, Say:, Check:, Hint:, Requires:)"
                )
            }
        }

        mutating func endGoal() throws(ParseError) {
            guard let goal = current else { return }
            guard let say = goal.say else { throw error(goal.line, "goal \(goal.id) has no Say: (what to do)") }
            guard let check = goal.check else {
                throw error(goal.line, "goal \(goal.id) has no Check: (how it is checked)")
            }
            goals.append(Goal(id: goal.id, say: say, check: check, hints: goal.hints, requires: goal.requires))
            goalLines.append(goal.line)
            current = nil
        }

        mutating func finish() throws(ParseError) -> Lesson {
            try endGoal()
            guard let title else { throw error(1, "the lesson has no Title:") }
            guard !goals.isEmpty else { throw error(1, "the lesson has no goals (Goal: ID, Say:, Check:)") }
            for (index, goal) in goals.enumerated() {
                guard let required = goal.requires else { continue }
                let line = requiresLines[index] ?? goalLines[index]
                guard let target = goals.firstIndex(where: { $0.id == required }) else {
                    throw error(line, "goal \(goal.id) requires \(required), which is not a goal of this lesson")
                }
                guard target != index else { throw error(line, "goal \(goal.id) requires itself") }
            }
            return Lesson(title: title, reference: reference ?? "", text: text, goals: goals, source: file)
        }

        // MARK: Check lines

        func check(_ value: String, line: Int) throws(ParseError) -> GoalCheck {
            let words = try words(of: value, line: line)
            guard let kindName = words.first?.lowercased() else { throw error(line, "Check: has no kind") }
            guard let kind = LessonFile.kinds.first(where: { $0.name == kindName }) else {
                throw error(
                    line,
                    "unknown goal kind \"\(words[0])\"; the kinds are \(LessonFile.kinds.map(\.name).joined(separator: ", "))"
                )
            }
            var parameters: [String: String] = [:]
            for word in words.dropFirst() {
                guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                    throw error(line, "expected key=value after \(kind.name), got \"\(word)\"")
                }
                let key = word[..<equals].lowercased()
                guard kind.keys.contains(key) else {
                    let takes = kind.keys.isEmpty ? "no keys" : "the keys \(kind.keys.joined(separator: ", "))"
                    throw error(line, "\(kind.name) takes \(takes), not \"\(key)\"")
                }
                guard parameters[key] == nil else { throw error(line, "\(key) is given twice") }
                parameters[key] = String(word[word.index(after: equals)...])
            }
            let reader = ParameterReader(parameters: parameters, line: line, file: file)
            switch kind.name {
            case "reply":
                guard let codeText = parameters["code"] else {
                    throw error(line, "reply needs code= (450, 45x or 4xx)")
                }
                guard let code = CodePattern(codeText) else {
                    throw error(line, "code=\(codeText) is not a reply code: three characters, digits or x, 2xx to 5xx")
                }
                if let enhanced = parameters["enhanced"] {
                    let parts = enhanced.split(separator: ".", omittingEmptySubsequences: false)
                    guard (1...3).contains(parts.count),
                        parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) })
                    else {
                        throw error(
                            line, "enhanced=\(enhanced) is not an enhanced status code or its start (4.7, 5.1.1)")
                    }
                }
                return .reply(
                    ReplyMatch(
                        code: code, enhancedPrefix: parameters["enhanced"], text: parameters["text"],
                        answering: try reader.commandMatch(targetKey: "after")))
            case "command":
                guard parameters["verb"] != nil else { throw error(line, "command needs verb=") }
                return .command(try reader.commandMatch(targetKey: "verb"))
            case "dot-line":
                return .dotLine
            case "tls":
                return .tls(via: try reader.choice("via", default: .any))
            case "auth":
                return .auth(
                    mechanism: parameters["mechanism"]?.uppercased(), typedByHand: try reader.flag("typed") ?? false)
            case "pipelined":
                let verbs = try parameters["verbs"].map { text throws(ParseError) in
                    try text.split(separator: ",").map { name throws(ParseError) in try reader.verb(String(name)) }
                }
                return .pipelined(verbs: verbs ?? [.mail, .rcpt, .data])
            case "bdat-last":
                return .bdatLast(minimumChunks: try reader.count("chunks") ?? 1)
            case "message":
                return .message(
                    minimumRecipients: try reader.count("recipients") ?? 1, via: try reader.choice("via", default: .any)
                )
            default:
                preconditionFailure("LessonFile.kinds has \(kind.name) but the parser does not")
            }
        }

        /// Splits on blanks, keeping "quoted values" whole (`text="try again"`).
        func words(of value: String, line: Int) throws(ParseError) -> [String] {
            var words: [String] = []
            var word = ""
            var isQuoted = false
            var hasWord = false
            for character in value {
                if character == "\"" {
                    isQuoted.toggle()
                    hasWord = true
                } else if !isQuoted, character == " " || character == "\t" {
                    if hasWord { words.append(word) }
                    word = ""
                    hasWord = false
                } else {
                    word.append(character)
                    hasWord = true
                }
            }
            if isQuoted { throw error(line, "a double quote is not closed") }
            if hasWord { words.append(word) }
            return words
        }
    }

    private struct ParameterReader {
        let parameters: [String: String]
        let line: Int
        let file: String

        func error(_ message: String) -> ParseError { ParseError(file: file, line: line, message: message) }

        func verb(_ name: String) throws(ParseError) -> SMTPVerb {
            guard let verb = SMTPVerb(rawValue: name.uppercased()) else {
                throw error(
                    "\(name) is not an SMTP verb ehlo knows (\(SMTPVerb.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            return verb
        }

        func flag(_ key: String) throws(ParseError) -> Bool? {
            guard let value = parameters[key] else { return nil }
            switch value.lowercased() {
            case "yes", "true": return true
            case "no", "false": return false
            default: throw error("\(key)=\(value): say yes or no")
            }
        }

        func count(_ key: String) throws(ParseError) -> Int? {
            guard let value = parameters[key] else { return nil }
            guard let number = Int(value), number >= 1 else { throw error("\(key)=\(value): a whole number from 1") }
            return number
        }

        func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) throws(ParseError)
            -> Choice where Choice.RawValue == String
        {
            guard let value = parameters[key] else { return fallback }
            guard let choice = Choice(rawValue: value.lowercased()) else {
                throw error("\(key)=\(value): one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return choice
        }

        func commandMatch(targetKey: String) throws(ParseError) -> CommandMatch {
            var target = CommandMatch.Target.any
            if let name = parameters[targetKey] {
                switch name.lowercased() {
                case "any": target = .any
                case "greeting": target = .greeting
                case "end-of-data": target = .endOfData
                case "auth-response": target = .authResponse
                default: target = .verb(try verb(name))
                }
            }
            return CommandMatch(
                target: target, argument: parameters["argument"], before: try parameters["before"].map(verb),
                overTLS: try flag("tls"))
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingBlanks: String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isBlank).reversed().drop(while: isBlank).reversed())
    }

    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(width - count, 0)) + self
    }

    /// "say" as "Say", for messages that name a field.
    fileprivate var titled: String { prefix(1).uppercased() + dropFirst() }
}
