import Foundation
import LineEditor
import SMTPCore

/// The `/` commands. Their names, arguments and summaries are rows of `ConsoleCommandTable`.
extension Console {
    func runConsoleCommand(_ line: String) {
        let trimmed = line.dropFirst().drop { $0 == " " }
        let name = String(trimmed.prefix { $0 != " " }).lowercased()
        let argument = String(trimmed.dropFirst(name.count)).trimmingCharacters(in: .whitespaces)
        if isScript { emit(.output, "/\(name)\(argument.isEmpty ? "" : " " + argument)") }
        guard ConsoleCommandTable.row(name) != nil else {
            emit(
                .warning,
                "unknown console command /\(VisibleText.escape(name)); /help console lists them (// sends a line starting with /)"
            )
            if isScript { fail(.usage) }
            return
        }
        switch name {
        case "help": help(argument)
        case "explain": explain(argument)
        case "state": showState()
        case "next": showNext()
        case "caps": showCapabilities()
        case "connect": connectCommand(argument)
        case "disconnect":
            if connection == nil {
                emit(.output, "not connected")
            } else {
                closeConnection(reason: "closed by you, without QUIT")
            }
        case "send": sendFile(argument)
        case "expect": expect(argument)
        case "record": recordCommand(argument)
        case "starttls": startTLSCommand()
        case "cert": showCertificates(argument)
        case "auth": authCommand(argument)
        case "b64": base64Command(argument)
        case "quit": finish()
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
            emit(
                .warning,
                "no help on '\(VisibleText.escape(topic))'; topics: \(ConsoleCommandTable.topics.joined(separator: ", ")), a verb, /command or a code"
            )
            return
        }
        output(lines)
    }

    private func explain(_ argument: String) {
        guard !argument.isEmpty else {
            if let reply = session.lastReply {
                output((try? Explainer.explain(String(decoding: reply.lines[0].bytes, as: UTF8.self))) ?? [])
            } else {
                emit(.warning, "usage: /explain CODE|LINE (e.g. /explain 550, /explain 5.7.1)")
            }
            return
        }
        do {
            output(try Explainer.explain(argument))
        } catch {
            emit(.warning, error.description)
        }
    }

    private func showState() {
        var lines: [String] = []
        if let server, let connection {
            let address = connection.remoteAddressDescription
            lines.append("server:      \(server)\(address == server.description ? "" : " (\(address))")")
        } else if let server {
            lines.append("server:      \(server) (closed)")
        } else {
            lines.append("server:      none")
        }
        lines.append("phase:       \(session.phase.rawValue): \(session.phaseDescription)")
        lines.append("hello:       \(session.helloKind.map { $0.rawValue.uppercased() } ?? "no EHLO/HELO yet")")
        lines.append("TLS:         \(session.isTLS ? "yes" : "no")")
        lines.append("AUTH:        \(session.isAuthenticated ? "authenticated" : "not authenticated")")
        if let sender = session.sender {
            lines.append("sender:      <\(VisibleText.escape(sender))>")
        }
        if session.phase == .mailTransaction || session.phase == .recipientsGiven {
            let accepted = session.acceptedRecipients.map { "<\(VisibleText.escape($0))>" }.joined(separator: " ")
            lines.append(
                "recipients:  \(session.acceptedRecipients.count) accepted \(accepted), \(session.refusedRecipients) refused"
            )
        }
        if let reply = session.lastReply {
            lines.append(
                "last reply:  \(reply.lines.last?.visible ?? "") (to \(session.lastAnswered?.name ?? "nothing"))")
        }
        if !session.pending.isEmpty {
            lines.append("waiting for: \(session.pending.map(\.name).joined(separator: ", "))")
        }
        lines.append("next:        \(session.nextSteps.joined(separator: " | "))")
        output(lines)
    }

    private func showNext() {
        let legal = session.legalCommands
        guard !legal.isEmpty else {
            output(["next: " + session.nextSteps.joined(separator: " | ")])
            return
        }
        let width = legal.map(\.syntax.count).max() ?? 0
        output(
            ["Legal now (\(session.phaseDescription)):"]
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
                "\(capabilities.serverName.isEmpty ? "the server" : capabilities.serverName) advertised no extensions"
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

    private func connectCommand(_ argument: String) {
        let target = argument.isEmpty ? server?.description ?? "" : argument
        guard !target.isEmpty else {
            emit(.warning, "usage: /connect HOST[:PORT]")
            return
        }
        do {
            let address = try ServerAddress(parsing: target, defaultPort: 25)
            connect(to: address)
        } catch {
            emit(.warning, "\(error)")
            if isScript { fail(.usage) }
        }
    }

    private func expect(_ argument: String) {
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
                finish()
            }
        }
    }

    // MARK: /record

    private func recordCommand(_ argument: String) {
        switch argument {
        case "":
            if let transcript {
                output(["recording to \(transcript.path)"])
            } else {
                emit(.warning, "usage: /record FILE | /record off")
            }
        case "off":
            guard let transcript else {
                output(["not recording"])
                return
            }
            emit(.event, "transcript \(transcript.path) ends here")
            self.transcript = nil
            output(["stopped recording to \(transcript.path)"])
        default:
            if let transcript {
                emit(.event, "transcript continues in \(argument)")
                self.transcript = nil
                output(["stopped recording to \(transcript.path)"])
            }
            startRecording(to: NSString(string: argument).expandingTildeInPath)
        }
    }

    /// Opens a transcript and writes its header; failures are reported and the session goes on.
    func startRecording(to path: String) {
        let formatter = TranscriptFormatter(
            format: options.transcriptFormat ?? TranscriptSink.format(forPath: path),
            timestamps: options.transcriptTimestamps,
            includesAnnotations: options.transcriptIncludesAnnotations,
            redactsSecrets: options.redactsSecrets)
        do {
            let sink = try TranscriptSink(path: path, formatter: formatter, append: options.appendsToTranscript)
            let serverName = server?.description ?? "no server yet"
            if let warning = sink.start(server: serverName, time: Date().timeIntervalSince1970) {
                emit(.warning, warning)
                if isScript, exitStatus == .success { exitStatus = .transcriptFailed }
            }
            transcript = sink
            if input.isInteractive { output(["recording to \(path)"]) }
            if !options.redactsSecrets {
                emit(.warning, "--no-redact: passwords and AUTH exchanges go into \(path) in clear")
            }
        } catch {
            emit(.warning, "\(error); the session goes on without a transcript")
            if isScript, exitStatus == .success { exitStatus = .transcriptFailed }
        }
    }

    // MARK: /send

    /// DATA, then the file as the body (CRLF-normalised, dot-stuffed, streamed), then the dot.
    private func sendFile(_ argument: String) {
        let path = NSString(string: argument).expandingTildeInPath
        guard !argument.isEmpty else {
            emit(.warning, "usage: /send FILE")
            return
        }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
            let handle = FileHandle(forReadingAtPath: path)
        else {
            emit(.warning, "cannot read \(argument)")
            if isScript { fail(.inputUnreadable) }
            return
        }
        defer { try? handle.close() }
        guard session.phase != .data else {
            emit(.warning, "/send starts its own DATA; end the current message with . first")
            return
        }
        sendCommand("DATA", quiet: true)
        guard session.phase == .data, let connection else {
            emit(.event, "the server did not accept DATA; \(argument) was not sent")
            return
        }
        var encoder = BodyEncoder()
        // The transcript gets every wire line, as if typed, without holding the body in memory.
        var unrecorded: [UInt8] = []
        func recordLines(of wire: [UInt8]) {
            guard transcript != nil else { return }
            unrecorded += wire
            while let lineEnd = unrecorded.firstIndex(of: UInt8(ascii: "\n")) {
                let line = unrecorded[..<lineEnd].dropLast()  // without its CR
                let shown = VisibleText.escape(line)
                record(.client(shown: shown, wire: shown))
                unrecorded.removeSubrange(...lineEnd)
            }
        }
        let blockTimeout = options.timeoutOverride ?? 180
        do {
            while true {
                let chunk = try handle.read(upToCount: 64 * 1024) ?? Data()
                if chunk.isEmpty { break }
                let wire = encoder.encode(chunk)
                try connection.send(raw: wire, timeout: .seconds(Int64(blockTimeout)))
                recordLines(of: wire)
            }
            let closing = encoder.finish()
            try connection.send(raw: closing, timeout: .seconds(Int64(blockTimeout)))
            recordLines(of: closing)
        } catch {
            emit(.event, "sending \(argument) failed: \(error)")
            closeConnection(reason: nil)
            fail(.sessionFailed)
            return
        }
        show([DisplayLine(.client, ".")])
        emit(.event, "sent \(argument): \(encoder.bodyOctets) octets on the wire (CRLF, dot-stuffed), then the final .")
        session.endOfDataSent()
        exchangeStarted()
        waitForReplies()
    }
}
