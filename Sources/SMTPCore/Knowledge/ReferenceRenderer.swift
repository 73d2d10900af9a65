/// The reference tables of the man page and the README, rendered from the same rows as `/help`.
///
/// `man/ehlo.1` and `README.md` hold these between `BEGIN GENERATED name` and `END GENERATED`
/// markers; a test fails when they fall out of date (run it with `EHLO_UPDATE_DOCS=1` to rewrite).
public enum ReferenceRenderer {
    public static let sections = [
        "console-commands", "smtp-commands", "reply-codes", "enhanced-codes", "causes", "exit-status", "keys", "lab",
        "profile-keys",
    ]

    /// mdoc source for one section.
    public static func manPage(_ section: String) -> String {
        var lines: [String] = []
        switch section {
        case "console-commands":
            lines.append(".Bl -tag -width Ds")
            for row in ConsoleCommandTable.rows {
                lines.append(".It Ic /\(row.name)" + (row.arguments.isEmpty ? "" : " " + mdocArguments(row.arguments)))
                lines.append(escape(row.summary))
            }
            lines.append(".El")
        case "smtp-commands":
            lines.append(".Bl -tag -width Ds")
            for spec in CommandTable.commands {
                lines.append(".It Li \(quoted(spec.syntax))")
                lines.append(escape(spec.summary))
                lines.append(escape(spec.reference + "."))
                lines.append(escape("Replies: " + codeList(spec.exchange) + "."))
            }
            lines.append(".El")
        case "reply-codes":
            lines = entryList(
                ReplyCodeTable.rows.map { row in
                    ("\(row.code)", ["\(row.title) (\(row.reference))."] + [row.plain, row.advice].compactMap { $0 })
                })
        case "enhanced-codes":
            lines = entryList(
                EnhancedStatusTable.rows.map { row in
                    let classes = row.classes.sorted().map(String.init).joined(separator: ", ")
                    let success = row.success.map { ["As a success (class 2): \($0.title):", $0.plain] } ?? []
                    return (
                        "\(row.subject).\(row.detail)",
                        ["\(row.title) (\(row.reference); class \(classes))."]
                            + [row.plain, row.advice].compactMap { $0 }
                            + success
                    )
                })
        case "causes":
            lines = entryList(
                ReplyCauseTable.rows.map { row in
                    (
                        escape(row.name),
                        ["Recognised by: \(row.recognisedBy) (\(row.reference)).", row.plain, row.advice]
                    )
                })
        case "exit-status":
            lines = tagList(ExitStatus.allCases.map { ("\($0.rawValue)", $0.meaning) })
        case "keys":
            lines = tagList(HelpRenderer.keyBindings.map { (escape($0.0), $0.1) })
        case "lab":
            lines = tagList(
                LabMailboxTable.rows.map { ("Li \($0.localPart)@\(LabMailboxTable.defaultDomain)", $0.summary) },
                compact: false)
        case "profile-keys":
            lines.append(".Bl -tag -width Ds")
            for row in ProfileKeyTable.rows {
                lines.append(".It Cm \(row.key) = Ar \(row.kind.rawValue)")
                // mdoc wants each sentence on a line of its own.
                lines += row.summary.split(separator: ". ").map { escape($0.hasSuffix(".") ? $0 : $0 + ".") }
                let options = row.option.split(separator: ", ").map { option in
                    option.hasPrefix("--")
                        ? "Fl " + String(option.dropFirst()).replacingAll("-", with: "\\-") : "Li \(option)"
                }
                lines += ["On the command line:", "." + options.joined(separator: " , ") + " ."]
            }
            lines.append(".El")
        default:
            preconditionFailure("no reference section \(section)")
        }
        return lines.joined(separator: "\n")
    }

    /// An mdoc tag list whose items hold several lines of text (each escaped, one sentence a line).
    private static func entryList(_ items: [(tag: String, lines: [String])]) -> [String] {
        [".Bl -tag -width Ds"] + items.flatMap { [".It \($0.tag)"] + $0.lines.map(escape) } + [".El"]
    }

    /// An mdoc tag list: each item's tag, then its text as a sentence.
    private static func tagList(_ items: [(tag: String, text: String)], compact: Bool = true) -> [String] {
        [".Bl -tag -width Ds" + (compact ? " -compact" : "")]
            + items.flatMap { item in
                [
                    ".It \(item.tag)",
                    escape(
                        item.text.prefix(1).uppercased() + item.text.dropFirst() + (item.text.hasSuffix(".") ? "" : ".")
                    ),
                ]
            } + [".El"]
    }

    /// Markdown for the README's sections (only those the README shows).
    public static func markdown(_ section: String) -> String {
        var lines: [String] = []
        switch section {
        case "console-commands":
            lines = ["| command | what it does |", "| --- | --- |"]
            lines += ConsoleCommandTable.rows.map { "| `\($0.usage.replacingAll("|", with: "\\|"))` | \($0.summary) |" }
        case "exit-status":
            lines = ["| status | meaning |", "| --- | --- |"]
            lines += ExitStatus.allCases.map { "| \($0.rawValue) | \($0.meaning) |" }
        case "keys":
            lines = ["| key | what it does |", "| --- | --- |"]
            lines += HelpRenderer.keyBindings.map { "| \($0.0) | \($0.1) |" }
        case "profile-keys":
            lines = ["| key | value | what it holds | command line |", "| --- | --- | --- | --- |"]
            lines += ProfileKeyTable.rows.map {
                "| `\($0.key)` | \($0.kind.rawValue) | \($0.summary) | `\($0.option)` |"
            }
        default:
            preconditionFailure("the README has no reference section \(section)")
        }
        return lines.joined(separator: "\n")
    }

    private static func codeList(_ exchange: ExchangeSpec) -> String {
        var parts: [String] = []
        if !exchange.successCodes.isEmpty {
            parts.append("success " + exchange.successCodes.map(String.init).joined(separator: ", "))
        }
        if !exchange.intermediateCodes.isEmpty {
            parts.append("intermediate " + exchange.intermediateCodes.map(String.init).joined(separator: ", "))
        }
        if !exchange.failureCodes.isEmpty {
            parts.append("failure " + exchange.failureCodes.map(String.init).joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    private static func mdocArguments(_ arguments: String) -> String {
        arguments.split(separator: " ").map { word in
            word.hasPrefix("[") && word.hasSuffix("]") ? "Op Ar \(word.dropFirst().dropLast())" : "Ar \(word)"
        }.joined(separator: " ")
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingAll("\\", with: "\\e").replacingAll("\"", with: "\\(dq") + "\""
    }

    /// A text line safe for mdoc: backslashes escaped, no leading dot or quote.
    static func escape(_ text: some StringProtocol) -> String {
        let escaped = String(text).replacingAll("\\", with: "\\e")
        return escaped.hasPrefix(".") || escaped.hasPrefix("'") ? "\\&" + escaped : escaped
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(target) {
                return start..<index(start, offsetBy: target.count)
            }
            start = index(after: start)
        }
        return nil
    }
}
