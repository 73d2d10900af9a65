import ArgumentParser
import Foundation
import SMTPCore

/// `ehlo render FILE --html OUT.html [--markdown OUT.md]`: a transcript as a handout.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a transcript into a handout: a sequence diagram with every reply explained.",
        discussion: """
            Reads a transcript (JSON Lines or text, as --transcript writes them) and writes a \
            standalone page: each session as a sequence diagram of client and server, each reply \
            with what it means and what may come next, and the lab mailbox table when the session \
            was with the practice server. The HTML page loads nothing from elsewhere, runs no \
            script and prints cleanly; server text is escaped. OUT may be - for standard output; \
            an existing OUT is replaced.
            """
    )

    @Argument(help: ArgumentHelp("The transcript (.jsonl or text).", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Write the handout as HTML here.", valueName: "out.html"))
    var html: String?

    @Option(help: ArgumentHelp("Write the handout as Markdown here.", valueName: "out.md"))
    var markdown: String?

    @Option(help: ArgumentHelp("The page's title (default: the transcript's file name).", valueName: "text"))
    var title: String?

    func validate() throws {
        if html == nil, markdown == nil { throw ValidationError("give --html OUT.html, --markdown OUT.md, or both") }
        if html == "-", markdown == "-" { throw ValidationError("only one of --html and --markdown can be -") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("ehlo render: cannot read the transcript \(file)\n".utf8))
            throw ExitCode(ExitStatus.inputUnreadable.rawValue)
        }
        let recording: RecordedSession
        do {
            recording = try TranscriptReader.read(String(decoding: data, as: UTF8.self))
        } catch {
            FileHandle.standardError.write(Data("ehlo render: \(file): \(error)\n".utf8))
            throw ExitCode(ExitStatus.inputUnreadable.rawValue)
        }
        let sessions = HandoutSession.sessions(from: recording)
        let heading = title ?? "SMTP session: \(URL(fileURLWithPath: file).lastPathComponent)"
        let servers = Array(Set(sessions.compactMap(\.server))).sorted()
        let subtitle =
            "\(sessions.count) session\(sessions.count == 1 ? "" : "s")"
            + (servers.isEmpty ? "" : " with \(servers.joined(separator: ", "))")
            + "; rendered by ehlo \(EhloVersion.current) from \(URL(fileURLWithPath: file).lastPathComponent)"
        if let html {
            try write(HandoutRenderer.page(title: heading, subtitle: subtitle, sessions: sessions), to: html)
        }
        if let markdown {
            try write(HandoutRenderer.markdown(title: heading, subtitle: subtitle, sessions: sessions), to: markdown)
        }
    }

    private func write(_ text: String, to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            FileHandle.standardError.write(
                Data("ehlo render: cannot write \(path): \(error.localizedDescription)\n".utf8))
            throw ExitCode(ExitStatus.transcriptFailed.rawValue)
        }
    }
}
