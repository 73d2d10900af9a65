import Foundation
import Testing

@testable import SMTPCore

/// The man page's and README's reference tables are rendered from the knowledge tables; this
/// fails when they differ. `EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs` rewrites them.
@Suite struct GeneratedDocsValidityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Document: Sendable, CustomStringConvertible {
        let path: String
        let sections: [String]
        let begin: @Sendable (String) -> String
        let end: String
        let render: @Sendable (String) -> String
        var description: String { path }
    }

    static let documents = [
        Document(
            path: "man/ehlo.1", sections: ReferenceRenderer.sections,
            begin: { ".\\\" BEGIN GENERATED \($0)" }, end: ".\\\" END GENERATED",
            render: { ReferenceRenderer.manPage($0) }),
        Document(
            path: "README.md", sections: ["console-commands", "keys", "exit-status", "profile-keys"],
            begin: { "<!-- BEGIN GENERATED \($0) -->" }, end: "<!-- END GENERATED -->",
            render: { ReferenceRenderer.markdown($0) }),
    ]

    @Test(arguments: documents)
    func generatedSectionsAreCurrent(document: Document) throws {
        let url = Self.root.appendingPathComponent(document.path)
        let original = try String(contentsOf: url, encoding: .utf8)
        var text = original
        for section in document.sections {
            let begin = document.begin(section)
            guard let start = text.range(of: begin + "\n"),
                let stop = text.range(of: document.end, range: start.upperBound..<text.endIndex)
            else {
                Issue.record("\(document.path) has no section \(begin) … \(document.end)")
                continue
            }
            text.replaceSubrange(start.upperBound..<stop.lowerBound, with: document.render(section) + "\n")
        }
        if text != original, ProcessInfo.processInfo.environment["EHLO_UPDATE_DOCS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            text == original,
            "\(document.path) is out of date: run EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs")
    }
}
