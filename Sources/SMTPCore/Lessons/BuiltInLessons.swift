/// The lessons that come with ehlo: the files in the repository's `lessons/` folder, in file
/// name order, numbered from 1.
///
/// ### Why are the files' texts compiled in?
///
/// `make install` copies only the binary and the man page, and a lesson must work from there.
/// `BuiltInLessons+Files.swift` holds each file's text as it is; a test
/// (`GeneratedDocsLessonFilesTests`) fails when it differs from the files and rewrites it with
/// `EHLO_UPDATE_DOCS=1`. The texts go through the same `LessonFile` parser as a teacher's file.
public enum BuiltInLessons {
    public static let all: [Lesson] = files.map { file in
        do {
            return try LessonFile.parse(file.text, file: "lessons/\(file.name)")
        } catch {
            preconditionFailure("a built-in lesson does not parse: \(error)")
        }
    }

    /// Lesson `number`, counted from 1.
    public static func lesson(_ number: Int) -> Lesson? {
        all.indices.contains(number - 1) ? all[number - 1] : nil
    }
}
