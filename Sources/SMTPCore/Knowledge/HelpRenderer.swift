/// The text of `/help`, rendered from the tables (and, from the same rows, the man page's tables).
public enum HelpRenderer {
    public static func render(topic: String?) -> [String]? {
        guard let topic = topic?.trimmingSpaces, !topic.isEmpty else { return overview }
        switch topic.lowercased() {
        case "commands", "smtp": return commands
        case "console", "/": return console
        case "codes": return codes
        case "enhanced": return enhanced
        case "causes": return causes
        case "extensions", "caps": return extensions
        case "keys": return keys
        case "script", "exit": return script
        case "pipelining", "pipe": return pipelining
        case "lab": return LabMailboxTable.render()
        default: break
        }
        if topic.hasPrefix("/"), let row = ConsoleCommandTable.row(String(topic.dropFirst())) {
            return [row.usage, "  " + row.summary]
        }
        if let verb = SMTPVerb(rawValue: topic.uppercased()) {
            return command(CommandTable.spec(verb))
        }
        if let lines = try? Explainer.explain(topic) {
            return lines
        }
        return nil
    }

    public static var overview: [String] {
        [
            "Type SMTP commands as you would send them; each is sent with CRLF and every reply is explained.",
            "Lines starting with / are console commands (// sends a line that starts with /).",
            "After DATA is answered with 354, lines are the message; a line holding only . ends it.",
            "",
            "Help topics: /help " + ConsoleCommandTable.topics.joined(separator: " | "),
            "             /help VERB (e.g. /help rcpt), /help /COMMAND, /help CODE (e.g. /help 550)",
            "",
        ] + console
    }

    public static var commands: [String] {
        let width = CommandTable.commands.map(\.syntax.count).max() ?? 0
        return ["SMTP commands (Tab completes them; /help VERB for details):"]
            + CommandTable.commands.map { spec in
                "  " + spec.syntax.padded(to: width + 2) + spec.summary
                    + " (\(spec.reference))"
            }
    }

    /// `/commands`: every console command and every SMTP command, one short line each.
    public static var commandList: [String] {
        // Wide enough for most names; a longer one is followed by its summary after two spaces.
        let width = 22
        return ["Console commands (they start with /; /help /COMMAND for one):"]
            + ConsoleCommandTable.rows.map { "  " + $0.usage.padded(to: width + 2) + firstSentence($0.summary) }
            + ["SMTP commands (sent to the server as typed; /help VERB for one):"]
            + CommandTable.commands.map { "  " + $0.syntax.padded(to: width + 2) + $0.summary }
    }

    private static func firstSentence(_ text: String) -> String {
        guard let end = text.firstRange(of: ". ") else { return text }
        return String(text[..<end.lowerBound]) + "."
    }

    public static var console: [String] {
        let width = ConsoleCommandTable.rows.map(\.usage.count).max() ?? 0
        return ["Console commands:"]
            + ConsoleCommandTable.rows.map { "  " + $0.usage.padded(to: width + 2) + $0.summary }
    }

    public static func command(_ spec: CommandSpec) -> [String] {
        var lines = [spec.syntax, "  \(spec.summary) (\(spec.reference))"]
        if let keyword = spec.requiredExtension {
            lines.append("  needs the \(keyword) extension in the EHLO reply")
        }
        let phases = SessionPhase.allCases.filter { spec.legalIn.contains($0) }.map(\.title)
        lines.append("  in sequence: \(spec.sequenceRule)")
        lines.append("  legal: \(phases.joined(separator: "; "))")
        if spec.protocols == [.lmtp] { lines.append("  LMTP only (RFC 2033); an SMTP session opens with EHLO") }
        if spec.protocols == [.smtp] { lines.append("  SMTP only: an LMTP session opens with LHLO (RFC 2033 §4.1)") }
        lines.append(
            spec.pipelining == .anywhere
                ? "  pipelining: may stand anywhere in a group (RFC 2920 §3.1)"
                : "  pipelining: ends its group; wait for its reply before sending more (RFC 2920 §3.1)")
        func describe(_ codes: [Int], _ label: String) {
            guard !codes.isEmpty else { return }
            lines.append("  \(label):")
            for code in codes {
                lines.append("    \(code) \(spec.exchange.meaning(of: code))")
            }
        }
        describe(spec.exchange.successCodes, "success (RFC 5321 §4.3.2)")
        describe(spec.exchange.intermediateCodes, "intermediate")
        describe(spec.exchange.failureCodes, "failure")
        if spec.verb == .data {
            lines.append("  then, after the final dot:")
            for code in CommandTable.endOfData.allCodes {
                lines.append("    \(code) \(CommandTable.endOfData.meaning(of: code))")
            }
        }
        lines.append("  reply timeout: \(spec.exchange.timeout / 60) min (RFC 5321 §4.5.3.2)")
        return lines
    }

    /// The commands that end a pipelined group, from the table's rows: `DATA, EHLO, …, BDAT LAST`.
    public static var groupEndingCommands: String {
        (CommandTable.commands.filter { $0.pipelining == .endsGroup }.map(\.verb.rawValue) + ["BDAT LAST"])
            .joined(separator: ", ")
    }

    /// Where each command may stand in a pipelined group, from the table's rows (RFC 2920 §3.1).
    public static var pipelining: [String] {
        let anywhere = CommandTable.commands.filter { $0.pipelining == .anywhere }.map(\.verb.rawValue)
        let last = CommandTable.commands.filter { $0.pipelining == .endsGroup }.map(\.verb.rawValue)
        return [
            "Pipelining (RFC 2920): several commands in one write, their replies read in order after it.",
            "/pipe holds the commands typed next; /go or an empty line sends them (scripts: --pipeline).",
            "  anywhere in a group: " + anywhere.joined(separator: " ") + " (BDAT without LAST)",
            "  last in a group:     " + last.joined(separator: " ") + " (and BDAT LAST, RFC 4468 §3.2)",
            "  AUTH PLAIN with an initial response may be followed by more (RFC 4954 §4).",
            "The final . of a message may open the next group. The server should advertise PIPELINING.",
        ]
    }

    public static var codes: [String] {
        ["Reply codes (/explain CODE for one in depth):"]
            + ReplyCodeTable.rows.map { "  \($0.code) \($0.title) (\($0.reference))" }
    }

    public static var enhanced: [String] {
        var lines = ["Enhanced status codes class.subject.detail (RFC 3463; /explain 5.1.1 for one):"]
        lines += EnhancedStatusTable.classRows.map { "  class \($0.statusClass): \($0.title)" }
        lines += EnhancedStatusTable.subjectRows.map { "  subject \($0.subject): \($0.title)" }
        return lines
    }

    /// `/help causes`: the real-world causes a reply's text can give away (`ReplyCauseTable`).
    public static var causes: [String] {
        ["Causes ehlo names on a cause: line, from the reply's text (or enhanced code):"]
            + ReplyCauseTable.rows.flatMap { row in
                [
                    "  \(row.name) (\(row.reference)): \(row.plain) \(row.advice)",
                    "    recognised by: " + row.recognisedBy,
                ]
            }
    }

    public static var extensions: [String] {
        ["ESMTP extensions ehlo explains (/caps shows what the server advertised):"]
            + ExtensionTable.rows.map { "  \($0.keyword.padded(to: 20))\($0.title): \($0.allows) (\($0.reference))" }
    }

    public static let keyBindings: [(String, String)] = [
        ("Tab", "complete the word: legal commands first, then addresses, parameters, files"),
        ("Up, Down", "walk through history (kept across runs)"),
        ("Ctrl-R", "search history backwards"),
        ("Ctrl-A, Ctrl-E", "start, end of line"),
        ("Ctrl-C", "drop the line being typed (or stop waiting for a reply)"),
        ("Ctrl-D", "on an empty line: QUIT politely and leave"),
        ("~/.editrc", "libedit settings, e.g. `bind -v` for vi keys"),
    ]

    public static var keys: [String] {
        ["Keys (libedit, emacs mode):"]
            + keyBindings.map { "  \($0.0.padded(to: 16))\($0.1)" }
    }

    public static var script: [String] {
        [
            "Script mode (stdin not a terminal, or -x FILE): the same lines a person types, one per line;",
            "# starts a comment, blank lines are skipped (inside DATA they are part of the message).",
            "Each command waits for its reply; /expect CODE stops the script when the last reply differs.",
            "With --pipeline, each run of commands up to one that ends a group (RFC 2920 §3.1) is one write;",
            "/expect then belongs after that command. After a refused DATA, the script's message lines up to",
            "the lone . are skipped, never sent as commands.",
            "Exit status:",
        ] + ExitStatus.allCases.map { "  \(String($0.rawValue).padded(to: 4))\($0.meaning)" }
    }
}

extension String {
    /// The string followed by spaces up to `width` characters (never cut).
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
