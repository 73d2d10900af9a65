extension HandoutRenderer {
    /// The same handout in Markdown: a numbered list of steps, wire lines in code blocks, what
    /// each reply means under it, and the lab table. Text from the wire stays inside code blocks;
    /// notes are escaped so that no Markdown renderer takes them for HTML or emphasis.
    public static func markdown(title: String, subtitle: String? = nil, sessions: [HandoutSession]) -> String {
        var text = "# \(markdownEscape(title))\n\n"
        if let subtitle { text += markdownEscape(subtitle) + "\n\n" }
        if sessions.isEmpty { text += "No session in this transcript.\n" }
        for session in sessions {
            text += "## Session \(session.id)"
            if let client = session.client { text += " from \(markdownEscape(client))" }
            if let server = session.server { text += " to \(markdownEscape(server))" }
            text += "\n\n"
            for lesson in session.lessons {
                text +=
                    "Lesson \(lesson.number), \(markdownEscape(lesson.title)): \(lesson.reachedCount) of "
                    + "\(lesson.goals.count) goals\n\n"
                for goal in lesson.goals { text += "- [\(goal.isReached ? "x" : " ")] \(markdownEscape(goal.say))\n" }
                text += "\n"
            }
            for step in session.steps {
                switch step.lane {
                case .event:
                    text += "*\(markdownEscape(step.lines.joined(separator: " ")))*\n\n"
                case .client, .server:
                    let prefix = step.lane == .client ? "C: " : "S: "
                    text +=
                        "```text\n"
                        + step.lines.map { prefix + $0.replacing("```", with: "`\\`\\`") }
                        .joined(separator: "\n") + "\n```\n\n"
                    for note in step.notes {
                        text += "- " + (note.kind == .warning ? "**!** " : "") + markdownEscape(note.text) + "\n"
                    }
                    if !step.notes.isEmpty { text += "\n" }
                }
            }
        }
        if let domain = sessions.lazy.compactMap(\.practiceDomain).first {
            text += "## The lab mailboxes at @\(markdownEscape(domain))\n\n| Address | What it does |\n|---|---|\n"
            for row in LabMailboxTable.rows {
                text += "| `\(row.localPart)@\(domain)` | \(markdownEscape("\(row.summary) (\(row.reference))")) |\n"
            }
            text += "\n| Code | Meaning | How |\n|---|---|---|\n"
            for route in LabMailboxTable.codeRoutes {
                text +=
                    "| \(route.code) | \(markdownEscape(ReplyCodeTable.title(route.code))) | "
                    + markdownEscape(route.how.replacing("DOMAIN", with: domain)) + " |\n"
            }
        }
        return text
    }

    /// Markdown's punctuation backslash-escaped (CommonMark §2.4), `<` and `&` as entities.
    static func markdownEscape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case "&": result += "&amp;"
            case "\\", "`", "*", "_", "[", "]", "|", "#", ">": result += "\\\(character)"
            default: result.append(character)
            }
        }
        return result
    }
}
