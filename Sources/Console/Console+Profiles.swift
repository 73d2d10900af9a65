import Foundation
import SMTPClient
import SMTPCore

extension ConsoleOptions {
    /// These options for a session with the profile `reference` names: its values wherever the
    /// command line said nothing (`commandLineSettings`), and its server.
    func applying(_ reference: ProfileReference) throws(ProfileError) -> ConsoleOptions {
        let profile = try profiles.profile(named: reference.name)
        let (address, settings) = profile.session(commandLine: commandLineSettings, port: reference.port)
        var options = self
        options.server = address
        switch settings.security ?? .plaintext {
        case .plaintext: options.tlsMode = .none
        case .starttls: options.tlsMode = .starttls
        case .implicit: options.tlsMode = .implicit
        }
        options.tls.caFile = settings.caFile
        options.tls.serverName = settings.serverName
        options.authUser = settings.user
        options.authMechanism = settings.authMechanism.flatMap { SASL.Mechanism(rawValue: $0) }
        if commandLineSettings.authMechanism != nil, settings.user == nil {
            throw .authWithoutUser(profile: profile.name)
        }
        options.heloName = settings.heloName
        options.sessionProtocol = settings.speaksLMTP == true ? .lmtp : .smtp
        return options
    }

    /// `ehlo @NAME`: these options with the profile applied; unchanged without one.
    func applyingStartProfile() throws(ConsoleError) -> ConsoleOptions {
        guard let reference = startProfile else { return self }
        do {
            return try applying(reference)
        } catch {
            throw ConsoleError(status: .usage, message: error.description)
        }
    }
}

/// `ehlo @NAME` and `/connect @NAME`: sessions opened from a profile of the config file.
extension Console {
    /// `/connect @NAME[:PORT] [options]`: the profile's server and settings under `base`'s (the
    /// command line's, or the options given to `/connect`), then what they ask for after the
    /// greeting (STARTTLS, AUTH), as `ehlo @NAME` does.
    func connectToProfile(_ text: String, over base: ConsoleOptions) async {
        let sessionOptions: ConsoleOptions
        let reference: ProfileReference
        do {
            reference = try ProfileReference(parsing: text)
            sessionOptions = try base.applying(reference)
        } catch {
            emit(.warning, error.description)
            if isScript { fail(.usage) }
            return
        }
        if link.isConnected { closeConnection(reason: "closed to connect elsewhere") }
        options = sessionOptions
        profileReference = reference
        guard let server = options.server else { return }
        if screen.transcript == nil, let path = profileTranscriptPath() {
            startRecording(to: path, isBeforeFirstConnection: true)
        }
        if await connect(to: server) { await openSessionAsAskedHere() }
    }

    /// A new file in the current profile's `transcripts` folder, which is made (mode 0700) if
    /// missing; nil without a profile, without the key, or with `--transcript` (which wins).
    func profileTranscriptPath() -> String? {
        guard commandLine.transcriptFile == nil, let reference = profileReference,
            let profile = try? options.profiles.profile(named: reference.name),
            let directory = profile.settings.transcriptDirectory
        else { return nil }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            emit(.warning, "cannot make the transcript folder \(directory): \(error.localizedDescription)")
            if isScript, exitStatus == .success { exitStatus = .transcriptFailed }
            return nil
        }
        let time = Date().timeIntervalSince1970
        let format = options.transcriptFormat ?? .text
        for attempt in 1...100 {
            guard let path = profile.transcriptPath(startedAt: time, format: format, attempt: attempt) else { break }
            if !FileManager.default.fileExists(atPath: path) { return path }
        }
        emit(.warning, "no free transcript name in \(directory)")
        return nil
    }
}
