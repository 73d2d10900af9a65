import Foundation
import Testing

@testable import SMTPCore

/// The built-in lessons are the files in `lessons/`, compiled in as `BuiltInLessons+Files.swift`
/// (an installed binary has no repository to read); the man page and README list them and the
/// goal kinds. This fails when any of them falls out of date;
/// `EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs` rewrites them.
@Suite struct GeneratedDocsLessonFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let generatedPath = "Sources/SMTPCore/Lessons/BuiltInLessons+Files.swift"

    static var isUpdating: Bool { ProcessInfo.processInfo.environment["EHLO_UPDATE_DOCS"] == "1" }

    static func lessonFiles() throws -> [(name: String, text: String)] {
        let folder = root.appendingPathComponent("lessons")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".lesson") }
            .sorted()
        return try names.map { ($0, try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// The Swift source that embeds the files, exactly.
    static func swiftSource(_ files: [(name: String, text: String)]) -> String {
        var source = """
            // Generated from lessons/*.lesson by EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs; do not edit.
            extension BuiltInLessons {
                static let files: [(name: String, text: String)] = [

            """
        for file in files {
            source += "        (\n            \"\(file.name)\",\n            #\"\"\"\n"
            source += file.text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.isEmpty ? "" : "            " + line
            }.joined(separator: "\n")
            source += "\n            \"\"\"#\n        ),\n"
        }
        source += "    ]\n}\n"
        return source
    }

    @Test func theCompiledInLessonsAreTheFiles() throws {
        let files = try Self.lessonFiles()
        #expect(files.count >= 8)
        let url = Self.root.appendingPathComponent(Self.generatedPath)
        let expected = Self.swiftSource(files)
        let current = try String(contentsOf: url, encoding: .utf8)
        if current != expected, Self.isUpdating {
            try expected.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            current == expected,
            "\(Self.generatedPath) is out of date: run EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs")
        #expect(BuiltInLessons.files.map(\.name) == files.map(\.name))
        for (embedded, file) in zip(BuiltInLessons.files, files) {
            #expect(embedded.text == file.text, "\(file.name) differs from its compiled-in text")
        }
    }

    @Test func everyLessonFileParsesAndCitesAnRFC() throws {
        for file in try Self.lessonFiles() {
            let lesson = try LessonFile.parse(file.text, file: file.name)
            #expect(lesson.reference.contains("RFC"), "\(file.name) cites no RFC")
            #expect(file.text.hasPrefix("# An ehlo lesson"), "\(file.name) does not start with the format comment")
            #expect(lesson.goals.allSatisfy { !$0.hints.isEmpty }, "\(file.name) has a goal without a hint")
        }
    }

    @Test(arguments: [
        ("man/ehlo.1", ".\\\" BEGIN GENERATED ", ".\\\" END GENERATED"),
        ("README.md", "<!-- BEGIN GENERATED ", "<!-- END GENERATED -->"),
    ])
    func theDocsListTheLessonsAndTheGoalKinds(path: String, begin: String, end: String) throws {
        let url = Self.root.appendingPathComponent(path)
        let original = try String(contentsOf: url, encoding: .utf8)
        var text = original
        for section in ["lessons", "lesson-kinds"] {
            let marker = begin + section + (path.hasSuffix(".md") ? " -->" : "")
            guard let start = text.range(of: marker + "\n"),
                let stop = text.range(of: end, range: start.upperBound..<text.endIndex)
            else {
                Issue.record("\(path) has no section \(marker) … \(end)")
                continue
            }
            let rendered =
                path.hasSuffix(".md") ? LessonRenderer.markdown(section) : LessonRenderer.manPage(section)
            text.replaceSubrange(start.upperBound..<stop.lowerBound, with: rendered + "\n")
        }
        if text != original, Self.isUpdating {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(text == original, "\(path) is out of date: run EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs")
    }
}
