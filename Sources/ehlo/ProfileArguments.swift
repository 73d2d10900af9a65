import ArgumentParser
import Console
import Foundation
import ProfileConfig
import SMTPCore

extension ConsoleCommand {
    /// Reads the config file, and notes what the command line said for a profile to yield to;
    /// `@NAME` as the server names the profile to open. A config file that cannot be used stops
    /// ehlo with its line (exit 64), whatever the command line: a mistake is never ignored.
    func applyProfiles(to options: inout ConsoleOptions) throws {
        do {
            options.profiles = try ConfigFile.load(
                explicitPath: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("ehlo: \(error.description)\n".utf8))
            throw ExitCode(ExitStatus.usage.rawValue)
        }
        options.commandLineSettings = ProfileSettings(explicitIn: security, connection, heloName: helo)
        options.startProfile = try server.flatMap(ProfileReference.parseArgument)
    }
}

extension ProfileReference {
    /// `@NAME[:PORT]` where a server is named; nil for a host or a socket; a malformed one is a
    /// usage error.
    static func parseArgument(_ text: String) throws -> ProfileReference? {
        guard isReference(text) else { return nil }
        do {
            return try ProfileReference(parsing: text)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

extension ProfileSettings {
    /// What the options said explicitly, and nothing they left unsaid, so that a profile's
    /// values yield to them key by key.
    init(explicitIn security: SecurityOptions, _ connection: ConnectionOptions, heloName: String?) {
        self.init(
            security: security.explicitSecurity, caFile: security.handshake.cafile, serverName: security.handshake.sni,
            user: security.user, authMechanism: security.auth?.rawValue, heloName: heloName,
            speaksLMTP: connection.lmtp ? true : (connection.noLMTP ? false : nil))
    }
}

extension SecurityOptions {
    /// The TLS choice the command line made, if it made one.
    var explicitSecurity: ProfileSettings.Security? {
        if tls { return .implicit }
        if starttls { return .starttls }
        return noTLS ? .plaintext : nil
    }
}

/// Shell completion of the server argument (`--generate-completion-script`): `@NAME` for each
/// profile of the config file (`--config FILE` if the line has one), and paths for sockets.
enum ServerArgumentCompletion {
    @Sendable static func candidates(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        if prefix.isEmpty || prefix.hasPrefix("@") {
            let book = try? ConfigFile.load(
                explicitPath: configPath(in: words), environment: ProcessInfo.processInfo.environment)
            return book?.completions(for: prefix) ?? []
        }
        if ["/", "./", "../", "~/"].contains(where: { prefix.hasPrefix($0) }) {
            return FilePathCompletion.candidates(for: prefix).map { $0.hasSuffix(" ") ? String($0.dropLast()) : $0 }
        }
        return []
    }

    /// The value of the last `--config FILE` or `--config=FILE` among the words.
    static func configPath(in words: [String]) -> String? {
        var path: String?
        for (index, word) in words.enumerated() {
            if word == "--config", index + 1 < words.count {
                path = words[index + 1]
            } else if word.hasPrefix("--config=") {
                path = String(word.dropFirst("--config=".count))
            }
        }
        return path
    }
}
