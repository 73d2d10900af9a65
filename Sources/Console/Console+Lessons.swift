import Foundation
import SMTPCore

/// How a run starts with a lesson (`--lesson`).
public enum LessonStart: Sendable {
    /// `--lesson` alone: list the built-in lessons.
    case list
    /// A built-in lesson (numbered from 1) or a teacher's file, already read.
    case lesson(Lesson, number: Int?)

    private static let largestFile = 1 << 20

    public static func lesson(_ loaded: (Lesson, number: Int?)) -> LessonStart {
        .lesson(loaded.0, number: loaded.number)
    }

    /// `N` (a built-in lesson) or the path of a lesson file; the error says what is wrong, with
    /// the file and line for a malformed lesson.
    public static func load(_ argument: String) throws(LessonLoadError) -> (Lesson, number: Int?) {
        if !argument.isEmpty, argument.allSatisfy({ ("0"..."9").contains($0) }) {
            guard let number = Int(argument), let lesson = BuiltInLessons.lesson(number) else {
                throw LessonLoadError(
                    message:
                        "there is no lesson \(argument): the built-in lessons are 1 to \(BuiltInLessons.all.count) (--lesson alone lists them)"
                )
            }
            return (lesson, number)
        }
        let fd = open(argument, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw LessonLoadError(
                message: "cannot read the lesson file \(argument): \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else {
            throw LessonLoadError(message: "cannot read the lesson file \(argument): it is a directory")
        }
        // A lesson is a page or two of text; a bigger file is not one.
        guard status.st_size <= Self.largestFile else {
            throw LessonLoadError(
                message:
                    "cannot read the lesson file \(argument): \(status.st_size) octets is too large for a lesson (at most 1 MiB)"
            )
        }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.largestFile + 1) ?? Data()
        } catch {
            throw LessonLoadError(message: "cannot read the lesson file \(argument): \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LessonLoadError(message: "cannot read the lesson file \(argument): it is not UTF-8 text")
        }
        do {
            return (try LessonFile.parse(text, file: argument), nil)
        } catch {
            throw LessonLoadError(message: error.description)
        }
    }
}

public struct LessonLoadError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// The lesson running in the console, if any: its progress and its number among the built-in ones.
struct ActiveLesson {
    var progress: LessonProgress
    let number: Int?
}

/// Lessons: `/lesson`, `/hint`, and the session's events fed to the lesson's goals.
extension Console {
    func lessonCommand(_ argument: String) {
        switch argument.lowercased() {
        case "":
            output(LessonRenderer.list())
            if let lesson {
                output([
                    "Running: \(LessonRenderer.name(lesson.progress.lesson, number: lesson.number)) (/lesson off ends it)."
                ])
            }
        case "off":
            guard lesson != nil else {
                emit(.warning, "no lesson is running; /lesson lists them")
                return
            }
            endLesson()
        default:
            do {
                let (loaded, number) = try LessonStart.load(argument)
                startLesson(loaded, number: number)
            } catch {
                emit(.warning, error.message)
                fail(.usage)
            }
        }
    }

    func hintCommand() {
        guard lesson != nil else {
            emit(.warning, "no lesson is running: /lesson lists them, /lesson N starts one")
            return
        }
        output(LessonRenderer.hint(&lesson!.progress))
    }

    /// Shows the lesson's opening; its goals count from the next event on. A lesson running
    /// ends first, with its summary.
    func startLesson(_ lesson: Lesson, number: Int?) {
        if self.lesson != nil { endLesson() }
        output(LessonRenderer.opening(lesson, number: number))
        self.lesson = ActiveLesson(progress: LessonProgress(lesson: lesson), number: number)
        if link.isConnected {
            output(["(The goals count from now on, in this connection.)"])
        }
    }

    /// The summary, and no lesson any more.
    func endLesson() {
        guard let lesson else { return }
        output(LessonRenderer.summary(lesson.progress, number: lesson.number))
        self.lesson = nil
    }

    /// Feeds an event of the session to the lesson's goals, and shows a ✔ for each one reached.
    func lessonObserved(_ event: LessonEvent) {
        guard lesson != nil else { return }
        let reached = lesson!.progress.record(event)
        output(reached.map { LessonRenderer.reached(lesson!.progress, goal: $0) })
        if lesson!.progress.isComplete { endLesson() }
    }

    /// The lines of one write went out: their events, in order. A command is pipelined when a
    /// reply to an earlier exchange was still owed (RFC 2920 §3).
    func lessonLinesWritten(_ lines: [OutgoingLines.Line], repliesOwedBefore: Int) {
        guard lesson != nil else { return }
        var owed = repliesOwedBefore
        for line in lines {
            if case .commandSent(let command, _, let isComposed)? = line.lessonEvent {
                lessonObserved(.commandSent(command, isPipelined: owed > 0, isComposed: isComposed))
            } else if let event = line.lessonEvent {
                lessonObserved(event)
            }
            if line.expectsReply { owed += 1 }
        }
    }

    private func output(_ lines: [String]) {
        emit(lines.map { DisplayLine(.output, $0) })
    }
}
