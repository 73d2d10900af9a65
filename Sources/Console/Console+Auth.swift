import Foundation
import LineEditor
import NIOPosix
import SMTPClient
import SMTPCore

/// `--starttls`, `--user`, `/auth` and `/b64`.
extension Console {
    /// What the command line asked for right after the greeting: EHLO, STARTTLS and EHLO
    /// again (`--starttls`), then AUTH (`--user`), and QUIT once `--quit-after` is reached.
    func openSessionAsAsked() async {
        let stage = options.quitAfter
        if stage == .greeting {
            await finish()
            return
        }
        let needsTLS = options.tlsMode == .starttls || (stage == .tls && options.tlsMode == .none)
        let isAsked = needsTLS || options.authUser != nil || stage == .ehlo || stage == .tls || stage == .auth
        guard isAsked, session.phase == .greeted else { return }
        let hello = "\(session.sessionProtocol == .lmtp ? "LHLO" : "EHLO") \(heloName ?? "localhost")"
        await sendCommand(hello, quiet: true, savesToScript: true)
        guard session.phase == .helloed else { return }
        if stage == .ehlo { return await finish() }
        if needsTLS {
            guard session.capabilities?.has("STARTTLS") == true else {
                emit(
                    .warning,
                    "\(stage == .tls ? "--quit-after tls" : "--starttls"): the server did not advertise STARTTLS; ending the session rather than going on in plaintext"
                )
                return await stopSession(.tlsFailed)
            }
            emit(
                .event, "\(stage == .tls ? "--quit-after tls" : "--starttls"): STARTTLS, then \(hello.prefix(4)) again")
            await sendCommand("STARTTLS", quiet: true, savesToScript: true)
            guard session.isTLS, link.isConnected else {
                if link.isConnected {
                    emit(.warning, "the server did not start TLS; ending the session rather than going on in plaintext")
                }
                return await stopSession(.tlsFailed)
            }
            await sendCommand(hello, quiet: true, savesToScript: true)
        }
        if stage == .tls { return await finish() }
        if let user = options.authUser, !(await authenticatedAsAsked(user: user)) {
            guard isScript || stage == .auth else {
                emit(.event, "/auth MECH \(VisibleText.escape(user)) tries again")
                return
            }
            return await stopSession(.authenticationFailed)
        }
        if stage == .auth { await finish() }
    }

    /// `--user`: as `/auth MECH USER` would, and saved as that line by `/save-script`.
    private func authenticatedAsAsked(user: String) async -> Bool {
        let mechanism = options.authMechanism ?? preferredMechanism()
        var succeeded = false
        await savingAsOneStep("/auth \(mechanism?.rawValue.lowercased() ?? "plain") \(user)") {
            succeeded = await authenticate(mechanism: mechanism, user: user)
        }
        return succeeded
    }

    /// Ends the session with `status`: QUIT if the server can still take it, then leave.
    func stopSession(_ status: ExitStatus) async {
        if exitStatus == .success { exitStatus = status }
        await finish()
    }

    /// `/auth MECH [USER]`.
    func authCommand(_ argument: String) async {
        let words = argument.split(separator: " ").map(String.init)
        guard let first = words.first else {
            emit(.warning, "usage: /auth plain|login|cram-md5|xoauth2 [USER]")
            return
        }
        guard let mechanism = SASL.Mechanism(rawValue: first.uppercased()) else {
            emit(
                .warning,
                "ehlo speaks AUTH \(SASL.Mechanism.allCases.map(\.rawValue).joined(separator: ", ")); type AUTH \(VisibleText.escape(first)) by hand for others"
            )
            return
        }
        var user = words.count > 1 ? words[1] : options.authUser
        if user == nil, input.isInteractive {
            user = await input.readLine(prompt: { "user: " }).lineValue
        }
        guard let user, !user.isEmpty else {
            emit(.warning, "usage: /auth \(first) USER")
            return
        }
        if !(await authenticate(mechanism: mechanism, user: user)), isScript {
            fail(.authenticationFailed)
        }
    }

    /// Runs one SASL exchange, each step sent and annotated like a typed line. Returns whether
    /// the server answered 235.
    @discardableResult
    func authenticate(mechanism: SASL.Mechanism?, user: String) async -> Bool {
        guard session.capabilities?.has("AUTH") == true else {
            // Credentials ehlo builds itself go only where the server asked for them.
            let hint =
                !session.isTLS && session.capabilities?.has("STARTTLS") == true
                ? ": this server offers AUTH only after TLS, so /starttls first (RFC 4954 §4)"
                : (session.isTLS ? "" : " (many servers offer it only after STARTTLS)")
            emit(
                .warning,
                "not sending credentials: the last EHLO did not advertise AUTH\(hint); type AUTH by hand to send it anyway"
            )
            return false
        }
        guard let mechanism = mechanism ?? preferredMechanism() else {
            emit(
                .warning,
                "the server advertised no AUTH mechanism ehlo speaks (\(SASL.Mechanism.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
            return false
        }
        guard let secret = await readSecret(for: mechanism, user: user) else { return false }
        switch mechanism {
        case .plain:
            await sendCommand("AUTH PLAIN \(SASL.plain(user: user, password: secret))", quiet: true)
            if session.inputMode == .challengeAnswer {  // a server that wants the response after an empty 334
                await sendSecret(SASL.plain(user: user, password: secret), quiet: true)
            }
        case .login:
            await sendCommand("AUTH LOGIN", quiet: true)
            if session.inputMode == .challengeAnswer { await sendSecret(SASL.login(user), quiet: true) }
            if session.inputMode == .challengeAnswer { await sendSecret(SASL.login(secret), quiet: true) }
        case .cramMD5:
            await sendCommand("AUTH CRAM-MD5", quiet: true)
            if session.inputMode == .challengeAnswer {
                let challenge = session.lastReply?.texts.first ?? ""
                guard let response = SASL.cramMD5(user: user, password: secret, challenge: challenge) else {
                    emit(.warning, "the CRAM-MD5 challenge is not base64; cancelling")
                    await sendSecret("*", quiet: true)
                    return false
                }
                await sendSecret(response, quiet: true)
            }
        case .xoauth2:
            await sendCommand("AUTH XOAUTH2 \(SASL.xoauth2(user: user, token: secret))", quiet: true)
            // RFC 7628 §3.2.3 style: a 334 carries an error report; an empty line ends the exchange.
            if session.inputMode == .challengeAnswer { await sendSecret("", quiet: true) }
        }
        if session.inputMode == .challengeAnswer { await cancelChallenges(after: mechanism) }
        let succeeded = session.isAuthenticated
        emit(
            .event,
            succeeded
                ? "authenticated as \(VisibleText.escape(user)) with \(mechanism.rawValue)"
                : "authentication as \(VisibleText.escape(user)) failed")
        return succeeded
    }

    /// The mechanism has sent all it has and the server still answers 334. Sent on, the next
    /// line would go as an answer (a script's next command, redacted as a secret), and a server
    /// that asks for ever would never let the session go. RFC 4954 §4: the client cancels with
    /// `*` and the server "MUST reject the AUTH command by sending a 501 reply"; one that asks
    /// again after that is closed on.
    private func cancelChallenges(after mechanism: SASL.Mechanism) async {
        emit(
            .warning,
            "the server answered 334 again after \(mechanism.rawValue) had sent all it has: the exchange is cancelled with * (RFC 4954 §4)"
        )
        await sendSecret("*", quiet: true)
        guard session.inputMode == .challengeAnswer, link.isConnected else { return }
        emit(
            .warning,
            "the server answered the * with 334 again, not with the 501 RFC 4954 §4 requires: closing the connection rather than answer for ever"
        )
        closeConnection(reason: "the AUTH exchange would never end")
    }

    /// PLAIN when the server offers it, else LOGIN, else CRAM-MD5.
    func preferredMechanism() -> SASL.Mechanism? {
        let offered = session.capabilities?.authMechanisms ?? []
        return [SASL.Mechanism.plain, .login, .cramMD5].first { offered.contains($0.rawValue) }
    }

    /// The password (or token): asked with echo off at a terminal, else from --password-file or EHLO_PASSWORD.
    private func readSecret(for mechanism: SASL.Mechanism, user: String) async -> String? {
        let what = mechanism == .xoauth2 ? "token" : "password"
        if input.isInteractive {
            return await input.readSecret(prompt: "\(what) for \(VisibleText.escape(user)) (not echoed): ")
        }
        if let path = options.passwordFile {
            return await secret(fromFile: path)
        }
        if let secret = ProcessInfo.processInfo.environment["EHLO_PASSWORD"] {
            return secret
        }
        emit(
            .warning,
            "no terminal to ask for the \(what): give --password-file FILE or set EHLO_PASSWORD (never on the command line)"
        )
        return nil
    }

    /// The first line of `--password-file`, read once for the run. A pool thread waits for it:
    /// the file may be a pipe that a password manager is slow to fill (it may ask for its own
    /// passphrase first), and a script's console runs on the network thread. After a second
    /// without it the user is told what is awaited, and after the timeout it is given up.
    private func secret(fromFile path: String) async -> String? {
        if let kept = passwordFromFile, kept.path == path { return kept.secret }
        let shownPath = VisibleText.escape(path)
        let seconds = options.timeoutOverride ?? 60
        do {
            let (file, firstLine) = try await NIOThreadPool.singleton.runIfActive {
                let file = try PasswordFile(path: path)
                return (file, try file.read(waitingAtMost: 1000))
            }
            var secret = firstLine
            if secret == nil, seconds > 1 {
                emit(.event, "waiting up to \(seconds) s for a line in --password-file \(shownPath)")
                secret = try await NIOThreadPool.singleton.runIfActive {
                    try file.read(waitingAtMost: (seconds - 1) * 1000)
                }
            }
            guard let secret else {
                emit(.warning, "no line came in --password-file \(shownPath) in \(seconds) s: not authenticating")
                return nil
            }
            passwordFromFile = (path, secret)
            return secret
        } catch let error as PasswordFile.ReadError {
            emit(.warning, "cannot read --password-file \(shownPath): \(error.reason)")
        } catch {
            // The thread pool is not running: ehlo is ending.
            emit(.warning, "cannot read --password-file \(shownPath): \(VisibleText.escape(String(describing: error)))")
        }
        return nil
    }

    /// `/b64 encode|decode TEXT`.
    func base64Command(_ argument: String) {
        let words = argument.split(separator: " ", maxSplits: 1).map(String.init)
        guard words.count == 2, ["encode", "decode"].contains(words[0].lowercased()) else {
            emit(.warning, "usage: /b64 encode TEXT | /b64 decode BASE64 (\\0 stands for a NUL byte when encoding)")
            return
        }
        if words[0].lowercased() == "encode" {
            // \0 lets a user type AUTH PLAIN's NUL separators: /b64 encode \0alice\0secret
            let bytes = VisibleText.unescape(words[1])
            emit(.output, Data(bytes).base64EncodedString())
        } else if let bytes = Base64.decode(words[1].trimmingCharacters(in: .whitespaces)) {
            emit(.output, VisibleText.escape(bytes))
        } else {
            emit(.warning, "not base64: \(VisibleText.escape(words[1]))")
        }
    }
}

extension LineEditor.ReadResult {
    var lineValue: String? {
        if case .line(let line) = self { return line }
        return nil
    }
}
