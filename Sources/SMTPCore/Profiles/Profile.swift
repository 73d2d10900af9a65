import Foundation

/// A named server from the config file (`[profile.NAME]`), opened by `ehlo @NAME` or
/// `/connect @NAME`.
///
/// The values are checked already (the config file's reader does that, naming the line): `host`
/// names no port, `port` is in range, paths are absolute, `authMechanism` is one ehlo speaks.
public struct Profile: Equatable, Sendable {
    public let name: String
    /// A name, an IPv4 or IPv6 address, or a UNIX socket's path (see `ServerAddress`).
    public var host: String
    public var port: Int?
    public var settings: ProfileSettings

    public init(name: String, host: String, port: Int? = nil, settings: ProfileSettings = ProfileSettings()) {
        self.name = name
        self.host = host
        self.port = port
        self.settings = settings
    }

    /// One session's server and settings: the command line's settings over the profile's, and
    /// its port (`@NAME:PORT`) over the profile's, else the default port of the merged settings.
    public func session(
        commandLine: ProfileSettings, port portOverride: Int? = nil
    ) -> (address: ServerAddress, settings: ProfileSettings) {
        let settings = commandLine.overriding(self.settings)
        let port = portOverride ?? self.port ?? settings.defaultPort
        let parsed = try? ServerAddress(parsing: host, defaultPort: port)
        guard let parsed, !parsed.isUnixSocket else {
            return (parsed ?? ServerAddress(host: host, port: port), settings)
        }
        return (ServerAddress(host: parsed.host, port: port), settings)
    }

    /// A transcript's path in the profile's `transcripts` folder: `DIR/NAME-20261201T093000Z.txt`
    /// (`.jsonl` for JSON Lines); `attempt` > 1 adds `-2`, `-3`, … when that name is taken.
    public func transcriptPath(startedAt time: Double, format: TranscriptFormatter.Format, attempt: Int = 1) -> String?
    {
        guard let directory = settings.transcriptDirectory else { return nil }
        let stamp = Date(timeIntervalSince1970: time.rounded(.down)).formatted(Self.fileTimeStyle)
        let suffix = attempt > 1 ? "-\(attempt)" : ""
        let fileExtension = format == .jsonl ? "jsonl" : "txt"
        let folder = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return "\(folder)/\(name)-\(stamp)\(suffix).\(fileExtension)"
    }

    /// ISO 8601 basic format in UTC (`20261201T093000Z`): sorts by time, no `:` in file names.
    private static let fileTimeStyle = Date.ISO8601FormatStyle(
        dateSeparator: .omitted, dateTimeSeparator: .standard, timeSeparator: .omitted, timeZone: .gmt)

    // MARK: Checking values

    /// Why `name` cannot be a profile's name, or nil when it can: letters, digits, `-`, `_` and
    /// `.`, so that `@NAME:PORT` and shell completion need no quoting.
    public static func nameProblem(_ name: String) -> String? {
        guard !name.isEmpty else { return "a profile needs a name" }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "-_.".unicodeScalars.contains(scalar))
        }
        return allowed ? nil : "the profile name '\(name)' may hold only letters, digits, '-', '_' and '.'"
    }

    /// Why `host` cannot be a profile's host, or nil when it can.
    public static func hostProblem(_ host: String) -> String? {
        do {
            // Port 0 cannot be typed (it is refused), so a parsed TCP port other than 0 was written in `host`.
            let parsed = try ServerAddress(parsing: host, defaultPort: 0)
            if !parsed.isUnixSocket, parsed.port != 0 {
                return "host '\(host)' names a port: write the port as port = \(parsed.port)"
            }
            return nil
        } catch {
            return "host '\(host)': \(error)"
        }
    }

    /// Why `port` cannot be a TCP port, or nil when it can.
    public static func portProblem(_ port: Int) -> String? {
        (1...65535).contains(port) ? nil : "port \(port) is not a port number (1–65535)"
    }

    /// The mechanism's name as the table spells it, or nil when ehlo does not speak it.
    public static func authMechanism(named name: String) -> String? {
        ExtensionTable.saslMechanisms.first { $0.name == name.uppercased() }?.name
    }
}

/// `@NAME` or `@NAME:PORT` where a server may be named (the command line, `/connect`).
public struct ProfileReference: Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let port: Int?

    public init(name: String, port: Int? = nil) {
        self.name = name
        self.port = port
    }

    /// Whether `text` names a profile rather than a host or a socket.
    public static func isReference(_ text: String) -> Bool {
        text.trimmingSpaces.hasPrefix("@")
    }

    public init(parsing text: String) throws(ProfileError) {
        let text = text.trimmingSpaces
        guard text.hasPrefix("@") else { throw .badReference(text, "a profile is named @NAME") }
        var name = String(text.dropFirst())
        var port: Int?
        if let colon = name.lastIndex(of: ":") {
            let digits = String(name[name.index(after: colon)...])
            guard let number = Int(digits), Profile.portProblem(number) == nil else {
                throw .badReference(text, "'\(digits)' is not a port number (1–65535)")
            }
            port = number
            name = String(name[..<colon])
        }
        if let problem = Profile.nameProblem(name) { throw .badReference(text, problem) }
        self.name = name
        self.port = port
    }

    public var description: String { "@\(name)" + (port.map { ":\($0)" } ?? "") }
}

/// The profiles of one config file, by name.
public struct ProfileBook: Equatable, Sendable {
    /// Sorted by name.
    public let profiles: [Profile]
    /// The config file they come from, for messages; nil when none was read.
    public let source: String?
    /// False when `source` does not exist (the default file is optional).
    public let sourceExists: Bool

    public init(profiles: [Profile] = [], source: String? = nil, sourceExists: Bool = true) {
        self.profiles = profiles.sorted { $0.name < $1.name }
        self.source = source
        self.sourceExists = sourceExists
    }

    public var names: [String] { profiles.map(\.name) }

    public func profile(named name: String) throws(ProfileError) -> Profile {
        guard let profile = profiles.first(where: { $0.name == name }) else {
            throw .unknownProfile(name, known: names, source: source, sourceExists: sourceExists)
        }
        return profile
    }

    /// `@NAME` for each profile whose name starts with `prefix` (with or without its `@`).
    public func completions(for prefix: String) -> [String] {
        let wanted = prefix.hasPrefix("@") ? String(prefix.dropFirst()) : prefix
        return names.filter { $0.hasPrefix(wanted) }.map { "@" + $0 }
    }
}

/// A profile that cannot be used as named.
public enum ProfileError: Error, Equatable, CustomStringConvertible {
    case badReference(String, String)
    case unknownProfile(String, known: [String], source: String?, sourceExists: Bool)
    /// `--auth` with neither `--user` nor a profile's `user`.
    case authWithoutUser(profile: String)

    public var description: String {
        switch self {
        case .badReference(let text, let problem):
            return "\(text): \(problem)"
        case .unknownProfile(let name, let known, let source, let sourceExists):
            let file = source ?? "the config file"
            if !sourceExists {
                return "no profile '\(name)': there is no config file \(file) (see PROFILES in ehlo(1))"
            }
            if known.isEmpty { return "no profile '\(name)': \(file) defines none" }
            return "no profile '\(name)' in \(file); known: \(known.joined(separator: ", "))"
        case .authWithoutUser(let profile):
            return "--auth needs a user: --user NAME, or user = \"NAME\" in profile \(profile)"
        }
    }
}
