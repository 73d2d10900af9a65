/// Draws sessions as a page: `ehlo render --html` (a standalone handout) and the session view of
/// `ehlo serve --dashboard` use the same functions, so the projector and the printout agree.
///
/// A session is a sequence diagram in two lanes, the client on the left and the server on the
/// right: each command an arrow to the server, each reply an arrow back with what it means
/// underneath, events across. Everything that came from the wire is escaped for HTML here
/// (a server whose greeting holds `<script>` gets it shown, not run), and pages load nothing
/// from elsewhere: the style is inline, for a class network that may be offline.
public enum HandoutRenderer {
    /// Text as HTML text or attribute value.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        // By scalar, not by Character: `"` followed by a combining mark is one Character that is not
        // `"`, and would end an attribute value unescaped.
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A whole page: the sessions, and the lab table when one of them was with the practice server.
    public static func page(title: String, subtitle: String? = nil, sessions: [HandoutSession]) -> String {
        var body = "<header><h1>\(escape(title))</h1>"
        if let subtitle { body += "<p class=\"meta\">\(escape(subtitle))</p>" }
        body += "</header>\n"
        if sessions.isEmpty { body += "<p class=\"empty\">No session in this transcript.</p>\n" }
        for session in sessions { body += sessionSection(session) }
        if let domain = sessions.lazy.compactMap(\.practiceDomain).first { body += labSection(domain: domain) }
        return document(title: title, body: body)
    }

    /// `<!doctype html>` to `</html>`, with the stylesheet and, when given, a script.
    ///
    /// The page's Content-Security-Policy allows its own style and the one script given (by its
    /// nonce), nothing else: no script can run from anything a server or a client wrote, even
    /// if escaping had missed it, and nothing is loaded from elsewhere.
    public static func document(title: String, body: String, script: String? = nil, scriptNonce: String = "")
        -> String
    {
        let scripts = script == nil ? "'none'" : "'nonce-\(scriptNonce)'"
        let policy = "default-src 'none'; style-src 'unsafe-inline'; script-src \(scripts); connect-src 'self'"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(policy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            \(stylesheet)
            </style>
            </head>
            <body>
            \(body)\(script.map { "<script nonce=\"\(scriptNonce)\">\n\($0)\n</script>\n" } ?? "")</body>
            </html>

            """
    }

    /// One session: its heading and its sequence diagram.
    public static func sessionSection(_ session: HandoutSession) -> String {
        var html =
            "<section class=\"session\(session.isOpen ? " open" : "")\" id=\"session-\(session.id)\" data-session=\"\(session.id)\">\n"
        html += "<h2>Session \(session.id)"
        if let client = session.client { html += " from \(escape(client))" }
        if let server = session.server { html += " to \(escape(server))" }
        html += "</h2>\n<p class=\"meta\">"
        var facts: [String] = []
        if let startedAt = session.startedAt, startedAt > 0 { facts.append("started \(RFC3339.format(startedAt))") }
        if let heloName = session.heloName { facts.append("says it is \(heloName)") }
        facts.append(session.isOpen ? "connected" : "closed")
        facts.append("\(session.replyCodes.count) replies")
        html += escape(facts.joined(separator: " · ")) + "</p>\n"
        html += lessonGoals(session.lessons)
        html += diagram(session)
        html += "</section>\n"
        return html
    }

    /// The lesson goals the session reached, lesson by lesson, each goal ticked or not yet.
    public static func lessonGoals(_ lessons: [HandoutSession.LessonStatus]) -> String {
        guard !lessons.isEmpty else { return "" }
        var html = "<div class=\"lessons\">\n"
        for lesson in lessons {
            html +=
                "<div class=\"lesson\" data-lesson=\"\(lesson.number)\"><strong>Lesson \(lesson.number): "
                + "\(escape(lesson.title))</strong> <span class=\"count\">\(lesson.reachedCount) of \(lesson.goals.count) goals</span>"
                + "<ul>"
            for goal in lesson.goals {
                html +=
                    "<li class=\"goal\(goal.isReached ? " met" : "")\" data-goal=\"\(escape(goal.id))\">"
                    + "\(escape(goal.say))</li>"
            }
            html += "</ul></div>\n"
        }
        return html + "</div>\n"
    }

    /// The two lanes and the steps between them.
    public static func diagram(_ session: HandoutSession) -> String {
        var html = "<div class=\"seq\">\n<div class=\"lanes\">"
        html += "<div class=\"lane lane-client\" data-lane=\"client\">Client"
        if let client = session.client { html += "<small>\(escape(client))</small>" }
        html += "</div><div class=\"lane lane-server\" data-lane=\"server\">Server"
        if let server = session.server ?? session.practiceDomain { html += "<small>\(escape(server))</small>" }
        html += "</div></div>\n<ol class=\"steps\">\n"
        for step in session.steps { html += stepItem(step) }
        html += "</ol>\n</div>\n"
        return html
    }

    static func stepItem(_ step: HandoutSession.Step) -> String {
        let wire = step.lines.map(escape).joined(separator: "\n")
        switch step.lane {
        case .event:
            return "<li class=\"step event\" data-lane=\"event\"><span>\(wire)</span></li>\n"
        case .client:
            return "<li class=\"step from-client\" data-lane=\"client\"><div class=\"arrow\"><pre class=\"wire\">"
                + "\(wire)</pre></div>\(notes(step.notes))</li>\n"
        case .server:
            let code = step.code ?? 0
            let answers = step.answers.map { " data-answers=\"\(escape($0))\"" } ?? ""
            return
                "<li class=\"step from-server reply-\(code / 100)xx\" data-lane=\"server\" data-code=\"\(code)\"\(answers)>"
                + "<div class=\"arrow\"><pre class=\"wire\">\(wire)</pre></div>\(notes(step.notes))</li>\n"
        }
    }

    static func notes(_ notes: [DisplayLine]) -> String {
        guard !notes.isEmpty else { return "" }
        let items = notes.map { note in
            "<p class=\"note \(note.kind == .warning ? "warning" : "annotation")\">\(escape(note.text))</p>"
        }
        return "<div class=\"notes\">" + items.joined() + "</div>"
    }

    /// The lab mailboxes of the practice server at `domain`, and how to get every reply code.
    public static func labSection(domain: String) -> String {
        var html = "<section class=\"lab\" id=\"lab\">\n<h2>The lab mailboxes at @\(escape(domain))</h2>\n"
        html += "<table><thead><tr><th>Address</th><th>What it does</th></tr></thead><tbody>\n"
        for row in LabMailboxTable.rows {
            html +=
                "<tr><td><code>\(escape(row.localPart))@\(escape(domain))</code></td>"
                + "<td>\(escape(row.summary)) (\(escape(row.reference)))</td></tr>\n"
        }
        html += "</tbody></table>\n<h3>Every reply code of RFC 5321 §4.2.3, on purpose</h3>\n"
        html += "<table><thead><tr><th>Code</th><th>Meaning</th><th>How</th></tr></thead><tbody>\n"
        for route in LabMailboxTable.codeRoutes {
            html +=
                "<tr><td>\(route.code)</td><td>\(escape(ReplyCodeTable.title(route.code)))</td>"
                + "<td>\(escape(route.how.replacing("DOMAIN", with: domain)))</td></tr>\n"
        }
        html += "</tbody></table>\n</section>\n"
        return html
    }
}
