import Foundation
import LineEditor
import SMTPCore

/// The `/` commands. Their names, arguments and summaries are rows of `ConsoleCommandTable`.
extension Console {
    func runConsoleCommand(_ line: String) async {
        let trimmed = line.dropFirst().drop { $0 == " " }
        let name = String(trimmed.prefix { $0 != " " }).lowercased()
        let argument = String(trimmed.dropFirst(name.count)).trimmingCharacters(in: .whitespaces)
        if isScript { emit(.output, "/\(name)\(argument.isEmpty ? "" : " " + argument)") }
        if name == "expect", let held = heldCommandNames {
            // RFC 2920 §3.1: the replies of a group are read after the group is sent.
            emit(
                .warning,
                "/expect inside a pipelined group: the replies to \(held) are not awaited until a command ends the group (\(HelpRenderer.groupEndingCommands); RFC 2920 §3.1); put /expect after that command"
            )
            if isScript { fail(.usage) }
            return
        }
        if isScript, name != "pipe" {
            // In a script every other / line ends the group being built: it is sent and answered first.
            await flushAndWait()
        }
        guard let row = ConsoleCommandTable.row(name) else {
            let guess = DidYouMean.consoleCommand(name).map { "did you mean \($0)? " } ?? ""
            emit(
                .warning,
                "unknown console command /\(VisibleText.escape(name)); \(guess)/commands lists them (// sends a line starting with /)"
            )
            if isScript { fail(.usage) }
            return
        }
        if row.isSessionStep {
            await savingAsOneStep("/\(name)\(argument.isEmpty ? "" : " " + argument)") { await run(name, argument) }
        } else {
            await run(name, argument)
        }
    }

    /// Runs `body`, which sends what `line` stands for: `/save-script` keeps the line, and one
    /// `/expect` of the last reply it got, not the exchanges inside.
    func savingAsOneStep(_ line: String, _ body: () async -> Void) async {
        savedScript.consoleCommandRun(line)
        let lastBefore = session.lastReply
        let wasSaving = isSavingReplies
        isSavingReplies = false
        await body()
        isSavingReplies = wasSaving
        if let reply = session.lastReply, reply != lastBefore {
            savedScript.replyCompleted(reply, answering: session.lastAnswered)
        }
    }

    private func run(_ name: String, _ argument: String) async {
        switch name {
        case "help": help(argument)
        case "explain": explain(argument)
        case "state": showState()
        case "next": showNext()
        case "commands": output(HelpRenderer.commandList)
        case "mailbox": mailboxCommand(argument)
        case "caps": showCapabilities()
        case "connect": await connectCommand(argument)
        case "disconnect":
            if !link.isConnected {
                emit(.output, "not connected")
            } else {
                closeConnection(reason: "closed by you, without QUIT")
            }
        case "dns": await dnsCommand(argument)
        case "send": await sendFile(argument)
        case "expect": await expect(argument)
        case "record": recordCommand(argument)
        case "starttls": await startTLSCommand()
        case "cert": showCertificates(argument)
        case "auth": await authCommand(argument)
        case "b64": base64Command(argument)
        case "quit": await finish()
        case "pipe": openPipeGroup()
        case "save-script": saveScript(argument)
        case "timing": timingCommand(argument)
        case "go": await goCommand()
        case "lesson": lessonCommand(argument)
        case "hint": hintCommand()
        default:
            preconditionFailure("ConsoleCommandTable row /\(name) has no implementation")
        }
    }

    private func output(_ lines: [String]) {
        emit(lines.map { DisplayLine(.output, $0) })
    }

    private func help(_ topic: String) {
        if topic.lowercased() == "lab" {
            if let domain = practiceDomain {
                output(LabMailboxTable.render(domain: domain))
            } else {
                output(
                    ["This server is not ehlo's practice server (ehlo serve, ehlo --practice); its lab would be:", ""]
                        + LabMailboxTable.render())
            }
            return
        }
        guard let lines = HelpRenderer.render(topic: topic) else {
            let names = ConsoleCommandTable.topics + SMTPVerb.allCases.map { $0.rawValue.lowercased() }
            let guess = DidYouMean.closest(to: topic, in: names).map { "did you mean /help \($0)? " } ?? ""
            emit(
                .warning,
                "no help on '\(VisibleText.escape(topic))'; \(guess)topics: \(ConsoleCommandTable.topics.joined(separator: ", ")), a verb, /command or a code"
            )
            return
        }
        output(lines)
    }

    private func explain(_ argument: String) {
        guard !argument.isEmpty else {
            if let reply = session.lastReply {
                // A multiline reply as one line: the words that give a cause away may be on any of them.
                let line = "\(reply.code) " + reply.texts.joined(separator: " ")
                output((try? Explainer.explain(line, level: explainLevel)) ?? [])
            } else {
                emit(.warning, "usage: /explain CODE|LINE (e.g. /explain 550, /explain 5.7.1)")
            }
            return
        }
        do {
            output(try Explainer.explain(argument, level: explainLevel))
        } catch {
            emit(.warning, error.description)
        }
    }

    /// `/mailbox [N]`: what the practice server of `--practice` stored, or message N as stored.
    private func mailboxCommand(_ argument: String) {
        guard let mailbox = options.practiceMailbox else {
            emit(
                .warning,
                "/mailbox reads the practice server that ehlo --practice starts; a real server's mailboxes cannot be read over SMTP (that is IMAP's or POP3's job)"
            )
            if isScript { fail(.usage) }
            return
        }
        let messages = mailbox()
        guard !argument.isEmpty else {
            output(MailboxRenderer.list(messages))
            return
        }
        guard let number = Int(argument), messages.indices.contains(number - 1) else {
            emit(
                .warning,
                messages.isEmpty
                    ? "/mailbox \(VisibleText.escape(argument)): the practice server has stored no message yet"
                    : "usage: /mailbox N, N from 1 to \(messages.count) (/mailbox lists them)")
            if isScript { fail(.usage) }
            return
        }
        // Shown as stored: not wrapped, so that every line is the stored line.
        screen.show(
            MailboxRenderer.show(messages[number - 1], number: number).map { DisplayLine(.output, $0) }, wraps: false)
    }

    /// `/explain` asks for an explanation: `--explain beginner` gets plain words, every other level all of it.
    private var explainLevel: ExplainLevel { options.explain == .beginner ? .beginner : .full }

    /// The commands held for the group being built, by name; nil when none is held.
    private var heldCommandNames: String? {
        let held = session.pending.filter { $0.sentAt == nil && $0.source.verb != nil }
        guard !held.isEmpty else { return nil }
        return held.map(\.source.name).joined(separator: ", ")
    }

    private func openPipeGroup() {
        guard link.isConnected else {
            emit(.warning, "not connected; /connect HOST[:PORT] first")
            return
        }
        guard !options.pipelines else {
            emit(.output, "--pipeline is on: every run of commands up to one that ends a group is one write")
            return
        }
        isPipeGroupOpen = true
        emit(
            .event,
            "pipelining: commands are held and sent in one write on /go or an empty line; \(HelpRenderer.groupEndingCommands) end a group and send it (RFC 2920 §3.1; /help pipelining)"
        )
        if let warning = session.pipeliningWarning {
            hasWarnedAboutPipelining = true
            emit(.warning, warning)
        }
    }

    /// `/save-script FILE`: never over an existing file, as transcripts.
    private func saveScript(_ argument: String) {
        guard !argument.isEmpty else {
            emit(.warning, "usage: /save-script FILE")
            return
        }
        let path = NSString(string: argument).expandingTildeInPath
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it exists; ehlo never overwrites a file" : String(cString: strerror(errno))
            emit(.warning, "cannot write \(argument): \(reason)")
            return
        }
        defer { close(fd) }
        let time = Date().timeIntervalSince1970
        if let failure = savedScript.write(to: fd, server: link.server?.description, time: time) {
            emit(.warning, "cannot write \(argument): \(failure)")
            return
        }
        emit(.output, "saved this session as a script in \(argument): run it with ehlo -x \(argument)")
    }

    private func timingCommand(_ argument: String) {
        switch argument.lowercased() {
        case "on": isTimingShown = true
        case "off": isTimingShown = false
        case "": break
        default:
            emit(.warning, "usage: /timing on|off")
            return
        }
        emit(.output, "timing is \(isTimingShown ? "on: each reply shows its latency" : "off")")
    }

    private func goCommand() async {
        guard isPipeGroupOpen else {
            if !outgoing.isEmpty || !session.pending.isEmpty {
                await flushAndWait()
            } else {
                emit(.output, "no pipelined group is open; /pipe starts one")
            }
            return
        }
        await sendGroup()
    }

    private func showState() {
        var lines: [String] = []
        if let server = link.server, let connection = link.connection {
            let address = connection.remoteAddressDescription
            lines.append("server:      \(server)\(address == server.description ? "" : " (\(address))")")
        } else if let server = link.server {
            lines.append("server:      \(server) (closed)")
        } else {
            lines.append("server:      none")
        }
        lines.append("protocol:    \(session.sessionProtocol == .lmtp ? "LMTP (RFC 2033)" : "SMTP")")
        lines.append("phase:       \(session.phaseDescription)")
        lines.append("hello:       \(session.helloKind.map { $0.rawValue.uppercased() } ?? "none yet")")
        lines.append("TLS:         \(session.isTLS ? "yes" : "no")")
        lines.append("AUTH:        \(session.isAuthenticated ? "authenticated" : "not authenticated")")
        if let sender = session.sender {
            lines.append("sender:      <\(VisibleText.escape(sender))>")
        }
        if SessionPhase.inTransaction.contains(session.phase) {
            let accepted = session.acceptedRecipients.map { "<\(VisibleText.escape($0))>" }.joined(separator: " ")
            lines.append(
                "recipients:  \(session.acceptedRecipients.count) accepted \(accepted), \(session.refusedRecipients.count) refused"
            )
            if session.acceptedChunks > 0 { lines.append("chunks:      \(session.acceptedChunks) accepted (BDAT)") }
        }
        if let reply = session.lastReply {
            lines.append(
                "last reply:  \(reply.lines.last?.visible ?? "") (to \(session.lastAnswered?.name ?? "nothing"))")
        }
        lines += awaitedLines
        lines.append("next:        \(session.nextSteps.joined(separator: " | "))")
        output(lines)
    }

    /// `awaited:` lines: each exchange still owed a reply, oldest first (RFC 2920: in order).
    private var awaitedLines: [String] {
        session.awaitedDescription.enumerated().map { index, text in
            (index == 0 ? "awaited:     " : "             ") + text
        }
    }

    private func showNext() {
        let legal = session.legalCommands
        guard !legal.isEmpty else {
            output(awaitedLines + ["next: " + session.nextSteps.joined(separator: " | ")])
            return
        }
        let width = legal.map(\.syntax.count).max() ?? 0
        let when = session.pending.isEmpty ? "now" : "once the awaited replies are in, if they succeed"
        output(
            awaitedLines + ["Legal \(when) (\(session.phaseDescription)):"]
                + legal.map {
                    "  " + $0.syntax.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary
                })
    }

    private func showCapabilities() {
        guard let capabilities = session.capabilities else {
            output([session.helloKind == nil ? "no EHLO reply yet in this session; send EHLO <domain>" : ""])
            return
        }
        if capabilities.capabilities.isEmpty {
            output([
                "\(capabilities.serverName.isEmpty ? "the server" : VisibleText.escape(capabilities.serverName)) advertised no extensions"
                    + (session.helloKind == .helo ? " (HELO advertises none; use EHLO)" : "")
            ])
            return
        }
        var rows: [[String]] = [["KEYWORD", "PARAMETERS", "RFC", "ALLOWS"]]
        for capability in capabilities.capabilities {
            let row = ExtensionTable.row(capability.keyword)
            rows.append([
                VisibleText.escape(capability.keyword),
                VisibleText.escape(capability.parameters.joined(separator: " ")),
                row?.reference ?? "-",
                row?.allows ?? "not an extension ehlo knows",
            ])
        }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        output(
            ["Extensions advertised by \(VisibleText.escape(capabilities.serverName)):"]
                + rows.map { row in
                    "  "
                        + (0..<3).map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }
                        .joined() + row[3]
                })
    }

    /// `/connect HOST[:PORT] [options]`: with options, the connection is opened as `ehlo OPTIONS
    /// HOST` would open it (they replace the command line's TLS and connection options, for this
    /// connection only), `--starttls` and `--user` included; with none, with the command line's
    /// settings, and the session is the user's to open (EHLO is typed). `/connect @NAME
    /// [options]` opens a profile's session as `ehlo @NAME` does. `/connect` alone opens the last
    /// connection again, the same way.
    private func connectCommand(_ argument: String) async {
        guard let words = ConnectArguments.words(argument) else {
            emit(.warning, "/connect: a quote is not closed")
            if isScript { fail(.usage) }
            return
        }
        let hasOptions = words.contains { $0.hasPrefix("-") }
        let target: ServerAddress?
        // A profile's session opens as it did, STARTTLS and AUTH included.
        var takesSteps = hasOptions
        if words.isEmpty {
            target = link.server
            takesSteps = profileReference != nil
        } else if words.count == 1, ProfileReference.isReference(words[0]) {
            return await connectToProfile(words[0], over: commandLine)
        } else if let parse = commandLine.connectArguments, hasOptions || words.count > 1 {
            switch parse(words, commandLine) {
            case .help(let text):
                output(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
                return
            case .invalid(let message):
                emit(.warning, message)
                if isScript { fail(.usage) }
                return
            case .connect(var parsed):
                if let reference = parsed.startProfile {
                    return await connectToProfile(reference.description, over: parsed)
                }
                target = parsed.server ?? link.server
                // `server` stays the command line's: a failure to reach it decides the exit status.
                parsed.server = commandLine.server
                options = parsed
                profileReference = nil
            }
        } else {
            options = commandLine
            profileReference = nil
            // As on the command line: 465 with --tls, else 24 with --lmtp, else 25.
            let port = options.tlsMode == .implicit ? 465 : options.sessionProtocol.defaultPort
            do {
                target = try ServerAddress(parsing: words.first ?? argument, defaultPort: port)
            } catch {
                emit(.warning, "\(error)")
                if isScript { fail(.usage) }
                return
            }
        }
        guard let target else {
            emit(
                .warning,
                "usage: /connect HOST[:PORT] [options], /connect /path/to/socket or /connect @PROFILE; /connect --help lists the options"
            )
            return
        }
        guard await connect(to: target), takesSteps else { return }
        await openSessionAsAskedHere()
    }

    /// After a `/connect` with options or to a profile: --starttls and --user run their steps as
    /// on the command line (the command line's own ran at the start only); at a terminal a
    /// failure ends this connection, not ehlo.
    func openSessionAsAskedHere() async {
        let status = exitStatus
        await openSessionAsAsked()
        if input.isInteractive, isFinished {
            isFinished = false
            exitStatus = status
            if options.tlsMode == .starttls, !session.isTLS { closeConnection(reason: "--starttls did not start TLS") }
        }
    }

    private func expect(_ argument: String) async {
        let expectation: ReplyExpectation
        do {
            expectation = try ReplyExpectation(parsing: argument)
        } catch {
            emit(.warning, error.description)
            if isScript { fail(.usage) }
            return
        }
        guard let reply = session.lastReply else {
            emit(.warning, "expected \(expectation), but no reply has arrived yet")
            if isScript { fail(.expectationFailed) }
            return
        }
        let got = "\(reply.code)\(reply.enhancedCode.map { " \($0)" } ?? "")"
        if expectation.matches(reply) {
            emit(.event, "expect \(expectation): ok (\(got))")
        } else {
            emit(.warning, "expect \(expectation): FAILED, the last reply was \(got)")
            if isScript {
                fail(.expectationFailed)
                await finish()
            }
        }
    }

    // MARK: /record

    private func recordCommand(_ argument: String) {
        switch argument {
        case "":
            if let transcript = screen.transcript {
                output(["recording to \(transcript.path)"])
            } else {
                emit(.warning, "usage: /record FILE | /record off")
            }
        case "off":
            guard let transcript = screen.transcript else {
                output(["not recording"])
                return
            }
            emit(.event, "transcript \(transcript.path) ends here")
            screen.transcript = nil
            output(["stopped recording to \(transcript.path)"])
        default:
            if let transcript = screen.transcript {
                emit(.event, "transcript continues in \(argument)")
                screen.transcript = nil
                output(["stopped recording to \(transcript.path)"])
            }
            startRecording(to: NSString(string: argument).expandingTildeInPath)
        }
    }

    /// How the session reaches `server`, as a transcript header records it.
    func recordedConnection(to server: ServerAddress?) -> RecordedConnection {
        RecordedConnection(
            server: server?.description, isImplicitTLS: options.tlsMode == .implicit,
            // An MX host reached by its address is checked under its name (--mx).
            serverName: options.tls.serverName ?? mailExchangerName,
            sessionProtocol: options.sessionProtocol, proxy: options.connection.proxy,
            proxyClient: options.connection.proxyClient)
    }

    /// Opens a transcript and writes its header; failures are reported and the session goes on.
    ///
    /// - Parameter isBeforeFirstConnection: the run is about to connect to `options.server`: the
    ///   header describes that connection.
    func startRecording(to path: String, isBeforeFirstConnection: Bool = false) {
        let formatter = TranscriptFormatter(
            format: options.transcriptFormat ?? TranscriptSink.format(forPath: path),
            timestamps: options.transcriptTimestamps,
            includesAnnotations: options.transcriptIncludesAnnotations,
            redactsSecrets: options.redactsSecrets)
        do {
            let sink = try TranscriptSink(path: path, formatter: formatter, append: options.appendsToTranscript)
            let connection =
                isBeforeFirstConnection || link.isConnected
                ? recordedConnection(to: isBeforeFirstConnection ? options.server : link.server)
                : RecordedConnection(server: nil)
            if let warning = sink.start(
                connection: connection, isConnected: !isBeforeFirstConnection, time: Date().timeIntervalSince1970)
            {
                emit(.warning, warning)
                if isScript, exitStatus == .success { exitStatus = .transcriptFailed }
            }
            screen.transcript = sink
            if input.isInteractive { output(["recording to \(path)"]) }
            if !options.redactsSecrets {
                emit(.warning, "--no-redact: passwords and AUTH exchanges go into \(path) in clear")
            }
        } catch {
            emit(.warning, "\(error); the session goes on without a transcript")
            if isScript, exitStatus == .success { exitStatus = .transcriptFailed }
        }
    }
}
