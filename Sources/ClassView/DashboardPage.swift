import SMTPCore
import SMTPServer

/// The class view's page: every session as a sequence diagram (the handout renderer's), newest
/// first, and the messages stored. Its script only listens to `/api/events` and swaps in the
/// sections the server renders, so the page and a printed handout never disagree.
enum DashboardPage {
    /// The most of one message shown on the page; all of it is at `/api/messages/ID/raw`.
    static let messageOctetsShown = 64 * 1024
    /// The newest messages shown on the page; all that are kept are at `/api/messages`.
    static let messagesShown = 50

    static func page(
        sessions: [HandoutSession], students: [ClassRecord.Student], messages: [ClassRecord.StoredMessage],
        scriptNonce: String
    ) -> String {
        var body = "<div class=\"dashboard\">\n<header><h1>ehlo class view</h1>"
        body +=
            "<span class=\"status\" id=\"status\">not live yet: the page updates itself once connected</span></header>\n"
        body += "<p class=\"meta\">Every session with the practice server, as it happens; secrets are redacted. "
        body += "The same data as JSON: <code>/api/sessions</code>, <code>/api/messages</code>, "
        body += "<code>/api/events</code>.</p>\n"
        body += studentsSection(students)
        body += "<h2 id=\"sessions-heading\">Sessions</h2>\n<div id=\"sessions\">\n"
        if sessions.isEmpty { body += noSessions }
        for session in sessions.reversed() { body += sessionSection(session) }
        body += "</div>\n" + messagesSection(messages) + "</div>\n"
        return HandoutRenderer.document(
            title: "ehlo class view", body: body, script: script, scriptNonce: scriptNonce)
    }

    static let noSessions =
        "<p class=\"empty\" id=\"no-sessions\">No session yet. Students connect with "
        + "<code>ehlo HOST:PORT</code> (or swaks, or any mail client) and appear here.</p>\n"

    static func sessionSection(_ session: HandoutSession) -> String {
        HandoutRenderer.sessionSection(session)
    }

    /// Each student (client address) with the lesson goals reached, for the teacher's glance.
    static func studentsSection(_ students: [ClassRecord.Student]) -> String {
        var html = "<section id=\"students\">\n<h2>Lesson goals by student</h2>\n"
        let learning = students.filter { !$0.lessons.isEmpty }
        if learning.isEmpty {
            html +=
                "<p class=\"empty\">No lesson goal reached yet (every built-in lesson is followed: "
                + "<code>ehlo --practice --lesson</code> lists them).</p>\n"
        } else {
            html += "<table><thead><tr><th>Student</th><th>Sessions</th><th>Goals reached</th></tr></thead><tbody>\n"
            for student in learning {
                html +=
                    "<tr class=\"student\" data-student=\"\(HandoutRenderer.escape(student.address))\">"
                    + "<td><code>\(HandoutRenderer.escape(student.address))</code></td>"
                    + "<td>\(earlier(student))\(student.sessions.map { "#\($0)" }.joined(separator: " "))</td>"
                    + "<td>\(HandoutRenderer.lessonGoals(student.lessons))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        return html + "</section>\n"
    }

    /// `12 earlier, ` before the sessions listed, when there were more than are listed.
    static func earlier(_ student: ClassRecord.Student) -> String {
        student.earlierSessions == 0 ? "" : "\(student.earlierSessions) earlier, "
    }

    static func messagesSection(_ messages: [ClassRecord.StoredMessage]) -> String {
        var html = "<section id=\"messages\">\n<h2>Messages stored (\(messages.count))</h2>\n"
        if messages.isEmpty { html += "<p class=\"empty\">No message stored yet.</p>\n" }
        if messages.count > messagesShown {
            html +=
                "<p class=\"meta\">The newest \(messagesShown) are shown; all are at <code>/api/messages</code>.</p>\n"
        }
        for message in messages.suffix(messagesShown).reversed() {
            let recipients = message.recipients.map { "<\($0)>" }.joined(separator: ", ")
            html += "<article class=\"message\" id=\"message-\(HandoutRenderer.escape(message.id))\">"
            html += "<h3>\(HandoutRenderer.escape(message.id)) from session \(message.session): "
            html += HandoutRenderer.escape("<\(message.sender)> to \(recipients), \(message.octets.count) octets")
            html += "</h3>\n<pre class=\"stored\">"
            html += HandoutRenderer.escape(String(decoding: message.octets.prefix(messageOctetsShown), as: UTF8.self))
            if message.octets.count > messageOctetsShown {
                html += "\n… \(message.octets.count - messageOctetsShown) more octets: /api/messages/\(message.id)/raw"
            }
            html += "</pre></article>\n"
        }
        return html + "</section>\n"
    }

    /// Listens to the event stream; for each change, fetches the section the server renders.
    static let script = """
        "use strict";
        const statusLine = document.getElementById("status");
        const sessions = document.getElementById("sessions");
        const inFlight = new Map();
        function place(html, id, container, first) {
          const template = document.createElement("template");
          template.innerHTML = html.trim();
          const node = template.content.firstElementChild;
          if (!node) return;
          const old = document.getElementById(id);
          if (old) old.replaceWith(node);
          else if (first) container.prepend(node);
          else container.append(node);
        }
        function refresh(url, id, container, first) {
          if (inFlight.has(url)) { inFlight.set(url, true); return; }
          inFlight.set(url, false);
          fetch(url).then(r => r.ok ? r.text() : null).then(html => {
            if (html !== null) {
              if (container === sessions) { const none = document.getElementById("no-sessions"); if (none) none.remove(); }
              place(html, id, container, first);
            }
          }).catch(() => {}).finally(() => {
            const again = inFlight.get(url);
            inFlight.delete(url);
            if (again) refresh(url, id, container, first);
          });
        }
        const events = new EventSource("/api/events");
        events.addEventListener("session", e => {
          const id = JSON.parse(e.data).id;
          refresh("/fragment/sessions/" + id, "session-" + id, sessions, true);
          refresh("/fragment/students", "students", document.querySelector(".dashboard"), false);
        });
        events.addEventListener("message", () => {
          refresh("/fragment/messages", "messages", document.querySelector(".dashboard"), false);
        });
        events.addEventListener("resync", () => location.reload());
        events.onopen = () => { statusLine.textContent = "live"; document.body.dataset.live = "yes"; };
        events.onerror = () => { statusLine.textContent = "connection to ehlo serve lost; retrying"; };
        """
}
