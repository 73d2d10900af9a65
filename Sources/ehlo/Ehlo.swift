import ArgumentParser
import Console
import Foundation
import SMTPCore
import SMTPServer

@main
struct Ehlo: ParsableCommand {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--help"] || arguments == ["-h"] {
            // `ehlo` runs the console: its options are what `ehlo --help` should show.
            print(helpMessage(for: ConsoleCommand.self).replacingOccurrences(of: "ehlo console", with: "ehlo"))
            print(
                """

                OTHER COMMANDS:
                  ehlo explain CODE|LINE...      Explain reply codes, enhanced codes or reply lines, offline.
                  ehlo replay FILE [HOST[:PORT]] Re-run a recorded transcript and show where the replies differ.
                  ehlo serve [options]           Run the practice SMTP server.

                  See 'ehlo help <command>' for each one's options.
                """)
            return
        }
        if let script = CompletionScript.script(for: arguments) {
            print(script)
            return
        }
        main(Replay.normalise(arguments))
    }

    static let configuration = CommandConfiguration(
        commandName: "ehlo",
        abstract: "An interactive SMTP console that explains every reply.",
        discussion: """
            Type SMTP commands as you would send them; each reply is annotated with its meaning \
            (RFC 5321, RFC 3463) and the legal next steps. Lines starting with / are console \
            commands: /help lists them. When standard input is not a terminal, or with -x FILE, \
            the same lines run as a script.
            """,
        version: EhloVersion.current,
        subcommands: [ConsoleCommand.self, Explain.self, Serve.self, Replay.self],
        defaultSubcommand: ConsoleCommand.self
    )
}

extension ExplainLevel: ExpressibleByArgument {}
extension ConsoleOptions.ColorMode: ExpressibleByArgument {}

/// `ehlo [options] [HOST[:PORT]]`: the console.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Connect to HOST[:PORT] (default port 25) and open the console."
    )

    @Argument(
        help: ArgumentHelp(
            "The server: a name, an IPv4 address or [IPv6] (:PORT defaults to 25, 24 with --lmtp), a UNIX socket's path (/path, ./path or unix:path), or @NAME[:PORT], a profile of the config file.",
            valueName: "host[:port]|socket|@profile"),
        completion: .custom(ServerArgumentCompletion.candidates))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "The config file with the profiles (default: $XDG_CONFIG_HOME/ehlo/config.toml, else ~/.config/ehlo/config.toml).",
            valueName: "file"))
    var config: String?

    @Option(
        name: [.customShort("x"), .customLong("script")],
        help: ArgumentHelp(
            "Run the lines of FILE (- for standard input) instead of reading a terminal.", valueName: "file"))
    var script: String?

    @Option(help: "How much to explain after each reply: full, brief or off.")
    var explain: ExplainLevel = .full

    @Option(help: "Colour: auto (when stdout is a terminal and NO_COLOR is unset), always or never.")
    var color: ConsoleOptions.ColorMode = .auto

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for any reply, instead of RFC 5321's per-command defaults (2 to 10 minutes).",
            valueName: "seconds"))
    var timeout: Int?

    @Option(
        help: ArgumentHelp(
            "History file (default: $XDG_STATE_HOME/ehlo/history, else ~/.ehlo_history).", valueName: "file"))
    var history: String?

    @Flag(help: "Keep no history file.")
    var noHistory = false

    @Option(
        help: ArgumentHelp(
            "The domain sent in EHLO by --starttls and --user, and offered by completion (default: this host's name).",
            valueName: "name"))
    var helo: String?

    @Flag(help: "Refuse to send commands that are out of sequence or not advertised, instead of warning.")
    var strict = false

    @Flag(
        help:
            "Speak LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the message; the port defaults to 24."
    )
    var lmtp = false

    @Flag(name: .customLong("no-lmtp"), help: "Speak SMTP, though the profile says lmtp = true.")
    var noLMTP = false

    @Flag(
        help:
            "In a script, send each run of commands up to one that ends a group (DATA, BDAT LAST, EHLO, NOOP, QUIT, …) in one write (RFC 2920)."
    )
    var pipeline = false

    @OptionGroup(title: "TLS and authentication")
    var security: SecurityOptions

    @OptionGroup(title: "Transcripts")
    var transcript: TranscriptOptions

    @Flag(help: "Start the practice server (ehlo serve) in-process on a free loopback port and connect to it.")
    var practice = false

    func validate() throws {
        try validateTimeout(timeout)
        if noHistory, history != nil {
            throw ValidationError("--history and --no-history exclude each other")
        }
        if practice, server != nil {
            throw ValidationError("--practice connects to its own server; give no HOST")
        }
        if lmtp, noLMTP {
            throw ValidationError("--lmtp and --no-lmtp exclude each other")
        }
        // A profile may name the user (ConsoleOptions.applying(_:) checks that it does).
        if security.auth != nil, security.user == nil, !(server.map(ProfileReference.isReference) ?? false) {
            throw ValidationError("--auth needs --user NAME")
        }

    }

    func run() throws {
        var options = ConsoleOptions()
        try applyProfiles(to: &options)
        let defaultPort = lmtp && !security.tls ? SessionProtocol.lmtp.defaultPort : security.defaultPort
        if options.startProfile == nil {
            options.server = try server.map { try ServerAddress.parseArgument($0, defaultPort: defaultPort) }
        }
        options.sessionProtocol = lmtp ? .lmtp : .smtp
        options.pipelines = pipeline
        options.scriptFile = script
        options.explain = explain
        options.color = color
        options.timeoutOverride = timeout
        options.historyFile = noHistory ? nil : (history ?? HistoryDefaults.path())
        options.heloName = helo
        options.isStrict = strict
        transcript.apply(to: &options)
        security.apply(to: &options)
        let practiceServer = practice ? try PracticeMode.start(lmtp: lmtp) : nil
        defer { practiceServer?.stop() }
        if let practiceServer {
            options.server = ServerAddress(host: "127.0.0.1", port: practiceServer.port)
            // Trust exactly the certificate it generated, under the name it carries.
            if options.tls.caFile == nil {
                options.tls.trustedPEM = practiceServer.certificatePEM
                options.tls.serverName = options.tls.serverName ?? practiceServer.domain
            }
        }
        do {
            let console = try Console.make(options: options)
            let status = console.run()
            if status != .success { throw ExitCode(status.rawValue) }
        } catch let error as ConsoleError {
            FileHandle.standardError.write(Data("ehlo: \(error.message)\n".utf8))
            throw ExitCode(error.status.rawValue)
        }
    }
}

/// `ehlo explain CODE|LINE...`: offline explanations.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain reply codes (550), enhanced codes (5.1.1) or whole reply lines, offline."
    )

    @Argument(help: ArgumentHelp("Codes or reply lines; quote a line with spaces.", valueName: "code|line"))
    var items: [String]

    func run() throws {
        var failed = false
        for (index, item) in items.enumerated() {
            if index > 0 { print() }
            do {
                for line in try Explainer.explain(item) { print(line) }
            } catch {
                FileHandle.standardError.write(Data("ehlo: \(error.description)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(ExitStatus.usage.rawValue) }
    }
}

extension ServerAddress {
    /// HOST[:PORT] from the command line, port 25 by default; a bad one is a usage error.
    static func parseArgument(_ text: String, defaultPort: Int = 25) throws -> ServerAddress {
        do {
            return try ServerAddress(parsing: text, defaultPort: defaultPort)
        } catch {
            throw ValidationError("\(text): \(error)")
        }
    }
}

/// `--timeout`: a day at most, so that it fits every timer it feeds.
func validateTimeout(_ timeout: Int?) throws {
    if let timeout, !(1...86_400).contains(timeout) {
        throw ValidationError("--timeout must be between 1 and 86400 seconds")
    }
}
