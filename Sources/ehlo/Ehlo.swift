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
                  ehlo render FILE --html OUT    Turn a transcript into a handout (HTML or Markdown).
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
        subcommands: [ConsoleCommand.self, Explain.self, Serve.self, Replay.self, Render.self],
        defaultSubcommand: ConsoleCommand.self
    )
}

extension ExplainLevel: ExpressibleByArgument {}
extension ConsoleOptions.Stage: ExpressibleByArgument {}
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

    @Option(
        help:
            "How much to explain after each reply: beginner (plain words and what to do), full (RFC titles), brief or off (default: beginner with --practice, else full)."
    )
    var explain: ExplainLevel?

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
            "In a script, send each run of commands up to one that ends a group (DATA, BDAT LAST, EHLO, NOOP, QUIT, …) in one write (RFC 2920)."
    )
    var pipeline = false

    @Option(
        help: ArgumentHelp(
            "Say QUIT once the session reaches this stage: connect, greeting, ehlo, tls, auth (ehlo goes there by itself), mail or rcpt (after the first reply to it).",
            valueName: "stage"))
    var quitAfter: ConsoleOptions.Stage?

    @Flag(help: "Show each reply's latency (a terminal shows it unless /timing off).")
    var timing = false

    @OptionGroup(title: "Connection")
    var connection: ConnectionOptions

    @OptionGroup(title: "TLS and authentication")
    var security: SecurityOptions

    @OptionGroup(title: "Transcripts")
    var transcript: TranscriptOptions

    @OptionGroup(title: "Finding the server (DNS)")
    var dns: DNSOptions

    @Flag(help: "Start the practice server (ehlo serve) in-process on a free loopback port and connect to it.")
    var practice = false

    @Option(
        defaultAsFlag: "",
        help: ArgumentHelp(
            "Run built-in lesson N, or the lesson in FILE, with its goals checked live; alone, list the lessons.",
            valueName: "N|FILE"))
    var lesson: String?

    func validate() throws {
        try validateTimeout(timeout)
        if noHistory, history != nil {
            throw ValidationError("--history and --no-history exclude each other")
        }
        if practice, server != nil || dns.mx || dns.mxAll {
            throw ValidationError("--practice connects to its own server; give no HOST")
        }
        let namesProfile = server.map(ProfileReference.isReference) ?? false
        if namesProfile, dns.namesMailDomain(server) {
            throw ValidationError("--mx and --mx-all look up a mail domain; @NAME names a profile of the config file")
        }
        // A profile may name the user (ConsoleOptions.applying(_:) checks that it does).
        if quitAfter == .auth, security.user == nil, !namesProfile {
            throw ValidationError("--quit-after auth needs --user NAME: ehlo authenticates by itself to get there")
        }
        if security.auth != nil, security.user == nil, !namesProfile {
            throw ValidationError("--auth needs --user NAME")
        }
    }

    func run() throws {
        var options = ConsoleOptions()
        try applyProfiles(to: &options)
        let defaultPort = connection.defaultPort(security: security)
        let namesMailDomain = try dns.apply(to: &options, server: server, defaultPort: defaultPort)
        let host = namesMailDomain || options.startProfile != nil ? nil : server
        try connection.apply(server: host, security: security, to: &options)
        options.connectArguments = ConnectCommand.parser
        options.pipelines = pipeline
        options.quitAfter = quitAfter
        options.showsTiming = timing
        options.scriptFile = script
        options.explain = explain ?? (practice ? .beginner : .full)
        options.isPractice = practice
        options.color = color
        options.timeoutOverride = timeout
        options.historyFile = noHistory ? nil : (history ?? HistoryDefaults.path())
        options.heloName = helo
        options.isStrict = strict
        transcript.apply(to: &options)
        if let lesson {
            do {
                options.lesson = lesson.isEmpty ? .list : try LessonStart.lesson(LessonStart.load(lesson))
            } catch {
                FileHandle.standardError.write(Data("ehlo: \(error.message)\n".utf8))
                throw ExitCode(ExitStatus.usage.rawValue)
            }
        }
        let practiceServer = practice ? try PracticeMode.start(lmtp: connection.lmtp) : nil
        defer { practiceServer?.stop() }
        if let practiceServer {
            options.server = ServerAddress(host: "127.0.0.1", port: practiceServer.port)
            options.practiceMailbox = { practiceServer.storedMessages() }
            // Trust exactly the certificate it generated, under the name it carries.
            if options.tls.caFile == nil, options.tls.pinnedCertificate == nil {
                options.tls.trustedPEM = practiceServer.certificatePEM
                options.tls.serverName = options.tls.serverName ?? practiceServer.domain
            }
        }
        do {
            let console = try Console.make(options: options)
            let status = waitForTask { await console.run() }
            console.shutdown()
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

    @Option(
        help:
            "How much to explain: full (everything the tables hold, the default), beginner (plain words and what to do), brief or off (the title alone)."
    )
    var explain: ExplainLevel = .full

    func run() throws {
        var failed = false
        for (index, item) in items.enumerated() {
            if index > 0 { print() }
            do {
                for line in try Explainer.explain(item, level: explain) { print(line) }
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
