/// What a lesson looks like on the screen and in the docs: the list, its opening, each ✔, hints
/// and the summary. The console prints these lines as they are.
public enum LessonRenderer {
    /// `ehlo --practice --lesson` and `/lesson`: the built-in lessons.
    public static func list(_ lessons: [Lesson] = BuiltInLessons.all) -> [String] {
        var lines = ["Lessons (ehlo --practice --lesson N, or /lesson N in the console; --lesson FILE for your own):"]
        let width = String(lessons.count).count
        for (index, lesson) in lessons.enumerated() {
            let number = String(index + 1)
            lines.append(
                "  " + String(repeating: " ", count: width - number.count) + number + "  " + lesson.title
                    + (lesson.reference.isEmpty ? "" : " (\(lesson.reference))"))
        }
        return lines
    }

    /// The lesson's opening: title, text and goals.
    public static func opening(_ lesson: Lesson, number: Int?) -> [String] {
        var lines = [
            "Lesson\(number.map { " \($0)" } ?? ""): \(lesson.title)"
                + (lesson.reference.isEmpty ? "" : " (\(lesson.reference))")
        ]
        for paragraph in lesson.text {
            lines.append("  " + paragraph)
        }
        lines.append("Goals:")
        for (index, goal) in lesson.goals.enumerated() {
            lines.append("  \(index + 1). \(goal.say)")
        }
        lines.append("/hint gives a hint, /lesson off ends the lesson.")
        return lines
    }

    /// "Lesson 3: Dot-stuffing", or without the number for a teacher's file.
    public static func name(_ lesson: Lesson, number: Int?) -> String {
        "Lesson\(number.map { " \($0)" } ?? ""): \(lesson.title)"
    }

    /// The line shown when a goal is reached.
    public static func reached(_ progress: LessonProgress, goal index: Int) -> String {
        let count = progress.lesson.goals.count
        return "✔ goal \(index + 1) of \(count): \(progress.lesson.goals[index].say)"
    }

    /// `/hint`: the next hint for the goal at hand.
    public static func hint(_ progress: inout LessonProgress) -> [String] {
        guard let next = progress.nextHint() else {
            return ["Every goal is reached: nothing to hint at. /lesson to pick another lesson."]
        }
        let goal = progress.lesson.goals[next.goal]
        let title = "Hint for goal \(next.goal + 1) (\(goal.say))"
        guard let hint = next.hint else { return ["\(title): this goal has no hints."] }
        let more = next.number < next.count ? "" : next.count > 1 ? " (the last one)" : ""
        return ["\(title), \(next.number) of \(next.count)\(more): \(hint)"]
    }

    /// The end of a lesson: what was reached, what was skipped.
    public static func summary(_ progress: LessonProgress, number: Int?) -> [String] {
        let lesson = progress.lesson
        let name = "Lesson\(number.map { " \($0)" } ?? ""): \(lesson.title)"
        let hints = progress.hintsUsed
        let hintText = hints == 0 ? "no hints" : hints == 1 ? "1 hint" : "\(hints) hints"
        if progress.isComplete {
            var lines = ["\(name) — complete: all \(lesson.goals.count) goals reached, \(hintText) used."]
            if let number, let next = BuiltInLessons.lesson(number + 1) {
                lines.append("Next: /lesson \(number + 1), \(next.title).")
            }
            return lines
        }
        var lines = [
            "\(name) — ended: \(progress.reached.count) of \(lesson.goals.count) goals reached, \(hintText) used."
        ]
        for index in lesson.goals.indices where !progress.isReached(index) {
            lines.append("  skipped: goal \(index + 1), \(lesson.goals[index].say)")
        }
        return lines
    }

    // MARK: Docs

    /// The man page's list of lessons and goal kinds (between the GENERATED marks).
    public static func manPage(_ section: String) -> String {
        switch section {
        case "lessons":
            return BuiltInLessons.all.enumerated().map { index, lesson in
                ".It \(index + 1)\n\(ReferenceRenderer.escape(lesson.title))"
                    + (lesson.reference.isEmpty ? "" : " (\(ReferenceRenderer.escape(lesson.reference)))")
            }.joined(separator: "\n")
        case "lesson-kinds":
            return LessonFile.kinds.map { kind in
                ".It Cm \(kind.name)"
                    + (kind.keys.isEmpty ? "" : " Ar " + kind.keys.map { "\($0)=" }.joined(separator: " Ar "))
                    + "\n" + ReferenceRenderer.escape(kind.summary.prefix(1).uppercased() + kind.summary.dropFirst())
                    + "."
            }.joined(separator: "\n")
        default:
            preconditionFailure("no lesson section \(section)")
        }
    }

    /// The README's table of lessons and goal kinds.
    public static func markdown(_ section: String) -> String {
        switch section {
        case "lessons":
            return
                (["| N | Lesson | RFC |", "|---|---|---|"]
                + BuiltInLessons.all.enumerated().map { index, lesson in
                    "| \(index + 1) | \(cell(lesson.title)) | \(cell(lesson.reference)) |"
                }).joined(separator: "\n")
        case "lesson-kinds":
            return
                (["| Kind | Keys | Reached when |", "|---|---|---|"]
                + LessonFile.kinds.map { kind in
                    "| `\(kind.name)` | \(kind.keys.map { "`\($0)`" }.joined(separator: ", ")) | \(cell(kind.summary)) |"
                }).joined(separator: "\n")
        default:
            preconditionFailure("no lesson section \(section)")
        }
    }

    /// Text for a Markdown table cell: a `|` would end the cell.
    private static func cell(_ text: String) -> String {
        text.replacingAll("|", with: "\\|")
    }
}
