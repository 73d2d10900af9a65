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
        options.commandLineSettings = ConnectionSettings(
            security: security.explicitSecurity, caFile: security.cafile, serverName: security.sni,
            user: security.user, authMechanism: security.auth?.rawValue, heloName: helo,
            speaksLMTP: lmtp ? true : (noLMTP ? false : nil))
        if let server, ProfileReference.isReference(server) {
            do {
                options.startProfile = try ProfileReference(parsing: server)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }
}

extension SecurityOptions {
    /// The TLS choice the command line made, if it made one.
    var explicitSecurity: ConnectionSettings.Security? {
        if tls { return .implicit }
        if starttls { return .starttls }
        return noTLS ? .plaintext : nil
    }
}
