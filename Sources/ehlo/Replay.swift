import ArgumentParser
import Console
import Foundation
import SMTPCore

extension ReplayOptions.Check: ExpressibleByArgument {}

/// `ehlo replay FILE [HOST[:PORT]]`: re-run a recorded session.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a recorded transcript (text or JSON Lines) and show where the replies differ.",
        discussion: """
            Sends the transcript's client lines in order (message lines verbatim), waits for each \
            reply and shows the recorded and the new reply where they differ. Lines recorded \
            redacted (AUTH) are asked for at the terminal, or taken from EHLO_SECRET_1, \
            EHLO_SECRET_2, … with --auth-from-env. Each connection is made as the transcript's \
            header says (implicit TLS, the SNI name, LMTP, a PROXY header); a recorded STARTTLS \
            starts TLS again, verified with the TLS options given here. Exit status 6 means \
            --check found a difference.
            """
    )

    @Argument(help: ArgumentHelp("The transcript to replay.", valueName: "file"))
    var file: String

    @Argument(
        help: ArgumentHelp("The server; default: the one named in the transcript's header.", valueName: "host[:port]"))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "Stop with exit status 6 at the first reply that differs: --check (basic code) or --check=enhanced (enhanced code too).",
            valueName: "code|enhanced"))
    var check: ReplayOptions.Check?

    @Flag(help: "Wait for Enter before each command (for walking a class through a session).")
    var step = false

    @Flag(help: "Take the secrets of redacted lines from EHLO_SECRET_1, EHLO_SECRET_2, … instead of asking.")
    var authFromEnv = false

    @Option(help: "How much to explain after each reply: beginner, full, brief or off.")
    var explain: ExplainLevel = .full

    @Option(help: "Colour: auto, always or never.")
    var color: ConsoleOptions.ColorMode = .auto

    @Option(help: ArgumentHelp("Seconds to wait for any reply.", valueName: "seconds"))
    var timeout: Int?

    @Flag(
        help:
            "Implicit TLS from the first byte (RFC 8314), though the recording had none; a recording made with --tls has it anyway."
    )
    var tls = false

    @OptionGroup(title: "TLS (for the recorded STARTTLS, or implicit TLS)")
    var handshake: TLSOptions

    @OptionGroup(title: "Transcripts")
    var transcript: TranscriptOptions

    /// `--check` alone means `--check=code`; argument-parser has no options with optional values.
    static func normalise(_ arguments: [String]) -> [String] {
        guard arguments.first == "replay" else { return arguments }
        return arguments.enumerated().map { index, argument in
            guard argument == "--check" else { return argument }
            let next = index + 1 < arguments.count ? arguments[index + 1] : ""
            return ReplayOptions.Check(rawValue: next) == nil ? "--check=code" : argument
        }
    }

    func validate() throws {
        try validateTimeout(timeout)
    }

    func run() throws {
        var options = ReplayOptions(file: file)
        options.server = try server.map { try ServerAddress.parseArgument($0, defaultPort: tls ? 465 : 25) }
        options.check = check
        options.isStepping = step
        options.secretsFromEnvironment = authFromEnv
        options.console.explain = explain
        options.console.color = color
        options.console.timeoutOverride = timeout
        options.console.tlsMode = tls ? .implicit : .none
        options.console.tls = try handshake.settings()
        transcript.apply(to: &options.console)
        do {
            let status = try waitForTask { [options] () async -> Result<ExitStatus, ConsoleError> in
                do throws(ConsoleError) {
                    return .success(try await Replayer.run(options))
                } catch {
                    return .failure(error)
                }
            }.get()
            if status != .success { throw ExitCode(status.rawValue) }
        } catch let error as ConsoleError {
            FileHandle.standardError.write(Data("ehlo: \(error.message)\n".utf8))
            throw ExitCode(error.status.rawValue)
        }
    }
}
