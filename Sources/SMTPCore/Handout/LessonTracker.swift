/// Every built-in lesson's progress at once (or the lessons given), fed the same events: the
/// class view follows each session and each student this way, whichever lesson they chose.
public struct LessonTracker: Sendable {
    private var progress: [LessonProgress]

    public init(lessons: [Lesson] = BuiltInLessons.all) {
        progress = lessons.map(LessonProgress.init(lesson:))
    }

    /// Feeds every lesson; true when a goal was reached.
    public mutating func record(_ event: LessonEvent) -> Bool {
        var isChanged = false
        for index in progress.indices where !progress[index].record(event).isEmpty {
            isChanged = true
        }
        return isChanged
    }

    /// The lessons with at least one goal reached, in lesson order, numbered from 1.
    public var statuses: [HandoutSession.LessonStatus] {
        progress.enumerated().compactMap { number, progress in
            guard !progress.reached.isEmpty else { return nil }
            return HandoutSession.LessonStatus(
                number: number + 1, title: progress.lesson.title,
                goals: progress.lesson.goals.enumerated().map { index, goal in
                    .init(id: goal.id, say: goal.say, isReached: progress.isReached(index))
                })
        }
    }
}
