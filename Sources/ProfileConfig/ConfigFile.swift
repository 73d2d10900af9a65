import Foundation
import SMTPCore
import TOMLKit

/// The config file: where it is, and its `[profile.NAME]` tables read into `Profile` values.
///
/// ```toml
/// [profile.submission]
/// host = "mail.example.com"
/// port = 587
/// starttls = true
/// user = "alice"
/// ```
///
/// TOMLKit (toml++) parses the TOML; this checks what it means, key by key against
/// `ProfileKeyTable`, and names the line of the first problem (`TOMLKeyLocator` finds it).
/// A password is refused: the file is not the place for a secret.
public enum ConfigFile {
    /// `$XDG_CONFIG_HOME/ehlo/config.toml`, else `~/.config/ehlo/config.toml` (XDG Base
    /// Directory Specification: a relative or empty `XDG_CONFIG_HOME` is ignored).
    public static func defaultPath(environment: [String: String]) -> String {
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") {
            return join(base, "ehlo/config.toml")
        }
        return join(home(environment), ".config/ehlo/config.toml")
    }

    /// Reads and checks the config file: `explicitPath` (`--config`) must exist; the default
    /// file may be missing (no profiles then).
    public static func load(explicitPath: String?, environment: [String: String]) throws(ConfigError) -> ProfileBook {
        let path =
            explicitPath.map { expand($0, home: home(environment), base: nil) } ?? defaultPath(environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if explicitPath == nil { return ProfileBook(source: path, sourceExists: false) }
            throw ConfigError(path: path, line: nil, problem: .unreadable("no such file"))
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(path: path, line: nil, problem: .unreadable("it is a folder"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(path: path, line: nil, problem: .unreadable("permission denied or I/O error"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: path, line: nil, problem: .unreadable("it is not UTF-8 text (TOML is UTF-8)"))
        }
        return try parse(text, path: path, home: home(environment))
    }

    /// The profiles in `text`, read from `path`; relative paths in values are taken from the
    /// file's folder, `~/` from `home`.
    public static func parse(_ text: String, path: String, home: String) throws(ConfigError) -> ProfileBook {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                path: path, line: error.source.begin.line, column: error.source.begin.column,
                problem: .syntax(error.description))
        } catch {
            throw ConfigError(path: path, line: nil, problem: .syntax("\(error)"))
        }
        var reader = Reader(
            path: path, home: home, base: (path as NSString).deletingLastPathComponent,
            lines: TOMLKeyLocator.keyLines(in: text))
        let profiles = reader.profiles(in: table)
        // The first problem in the file's order, so that fixing from the top works.
        if let first = reader.problems.min(by: { ($0.line ?? .max) < ($1.line ?? .max) }) { throw first }
        return ProfileBook(profiles: profiles, source: path)
    }

    // MARK: Paths

    static func home(_ environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }

    /// `~` and `~/…` from `home`; a relative path from `base` (the config file's folder).
    static func expand(_ path: String, home: String, base: String?) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return join(home, String(path.dropFirst(2))) }
        if path.hasPrefix("/") { return path }
        guard let base, !base.isEmpty else { return path }
        return join(base, path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// Walks the parsed tables, collecting problems with their lines.
    private struct Reader {
        let path: String
        let home: String
        let base: String
        let lines: [[String]: Int]
        var problems: [ConfigError] = []

        mutating func report(_ keyPath: [String], _ problem: ConfigError.Problem) {
            problems.append(ConfigError(path: path, line: lines[keyPath], problem: problem))
        }

        mutating func profiles(in table: TOMLTable) -> [Profile] {
            for key in table.keys where key != "profile" {
                report([key], .unknownTopLevelKey(key))
            }
            guard let value = table["profile"] else { return [] }
            guard let profiles = value.table else {
                report(["profile"], .notATable("profile"))
                return []
            }
            return profiles.keys.compactMap { name in
                guard let entry = profiles[name]?.table else {
                    report(["profile", name], .notATable("profile.\(name)"))
                    return nil
                }
                return profile(name, entry)
            }
        }

        mutating func profile(_ name: String, _ table: TOMLTable) -> Profile? {
            let keyPath = ["profile", name]
            if let problem = Profile.nameProblem(name) {
                report(keyPath, .badName(problem))
                return nil
            }
            let before = problems.count
            var host: String?
            var port: Int?
            var settings = ProfileSettings()
            var tlsKeys: [String] = []
            for key in table.keys {
                guard let value = table[key] else { continue }
                let at = keyPath + [key]
                if ProfileKeyTable.refusedKeys.contains(key.lowercased()) {
                    report(at, .passwordRefused(profile: name, key: key))
                    continue
                }
                guard let row = ProfileKeyTable.row(key) else {
                    report(at, .unknownKey(profile: name, key: key, suggestion: ProfileKeyTable.suggestion(for: key)))
                    continue
                }
                guard let typed = Typed(value, as: row.kind) else {
                    report(
                        at,
                        .wrongType(profile: name, key: key, expected: row.kind, found: Self.describe(value.type)))
                    continue
                }
                if case .string(let text) = typed, text.isEmpty {
                    report(at, .badValue(profile: name, "\(key) is empty"))
                    continue
                }
                switch (key, typed) {
                case ("host", .string(let text)):
                    if let problem = Profile.hostProblem(text) {
                        report(at, .badValue(profile: name, problem))
                    } else {
                        host = Self.isSocketPath(text) ? resolveSocket(text) : text
                    }
                case ("port", .integer(let number)):
                    if let problem = Profile.portProblem(number) {
                        report(at, .badValue(profile: name, problem))
                    }
                    port = number
                case ("starttls", .boolean(let on)):
                    if on { tlsKeys.append(key) }
                    settings.security = on ? .starttls : (settings.security ?? .plaintext)
                case ("tls", .boolean(let on)):
                    if on { tlsKeys.append(key) }
                    settings.security = on ? .implicit : (settings.security ?? .plaintext)
                case ("cafile", .string(let text)):
                    settings.caFile = ConfigFile.expand(text, home: home, base: base)
                case ("sni", .string(let text)):
                    settings.serverName = text
                case ("user", .string(let text)):
                    settings.user = text
                case ("auth", .string(let text)):
                    guard let mechanism = Profile.authMechanism(named: text) else {
                        let known = ExtensionTable.saslMechanisms.map { $0.name.lowercased() }.joined(separator: ", ")
                        report(at, .badValue(profile: name, "auth '\(text)' is not a mechanism ehlo speaks (\(known))"))
                        continue
                    }
                    settings.authMechanism = mechanism
                case ("helo", .string(let text)):
                    settings.heloName = text
                case ("transcripts", .string(let text)):
                    settings.transcriptDirectory = ConfigFile.expand(text, home: home, base: base)
                case ("lmtp", .boolean(let on)):
                    settings.speaksLMTP = on
                default:
                    preconditionFailure("ProfileKeyTable row \(key) is not read")
                }
            }
            if tlsKeys.count == 2 {
                let later = tlsKeys.max { (lines[keyPath + [$0]] ?? 0) < (lines[keyPath + [$1]] ?? 0) } ?? "tls"
                report(keyPath + [later], .tlsAndStartTLS(profile: name))
            }
            if table["host"] == nil {
                report(keyPath, .missingHost(profile: name))
            }
            if let host, port != nil, Self.isSocketPath(host) {
                report(keyPath + ["port"], .badValue(profile: name, "port with a socket's path: a socket has no port"))
            }
            guard problems.count == before, let host else { return nil }
            return Profile(name: name, host: host, port: port, settings: settings)
        }

        private static func isSocketPath(_ host: String) -> Bool {
            (try? ServerAddress(parsing: host, defaultPort: 25))?.isUnixSocket == true
        }

        /// A socket's path, relative ones from the file's folder (`unix:` kept).
        private func resolveSocket(_ text: String) -> String {
            let scheme = "unix:"
            if text.hasPrefix(scheme) {
                return scheme + ConfigFile.expand(String(text.dropFirst(scheme.count)), home: home, base: base)
            }
            return ConfigFile.expand(text, home: home, base: base)
        }

        /// A TOML type as the messages name it.
        static func describe(_ type: TOMLType) -> String {
            switch type {
            case .table: return "a table"
            case .array: return "an array"
            case .string: return "a string"
            case .int: return "an integer"
            case .double: return "a floating-point number"
            case .bool: return "a boolean"
            case .date: return "a date"
            case .time: return "a time"
            case .dateTime: return "a date-time"
            }
        }
    }

    /// A value of the kind a key wants.
    private enum Typed {
        case string(String)
        case integer(Int)
        case boolean(Bool)

        init?(_ value: TOMLValueConvertible, as kind: ProfileKeyTable.ValueKind) {
            switch kind {
            case .string:
                guard let text = value.string else { return nil }
                self = .string(text)
            case .integer:
                guard let number = value.int else { return nil }
                self = .integer(number)
            case .boolean:
                guard let flag = value.bool else { return nil }
                self = .boolean(flag)
            }
        }
    }
}
