import SMTPCore

/// Why the config file cannot be used, and where: shown as `FILE:LINE: what is wrong`, the form
/// compilers use, so that editors can jump to the line.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// Not TOML; toml++'s own words.
        case syntax(String)
        case unreadable(String)
        case unknownTopLevelKey(String)
        /// `profile`, or `profile.NAME`, is not a table.
        case notATable(String)
        case badName(String)
        case unknownKey(profile: String, key: String, suggestion: String?)
        case wrongType(profile: String, key: String, expected: ProfileKeyTable.ValueKind, found: String)
        case badValue(profile: String, String)
        case passwordRefused(profile: String, key: String)
        case tlsAndStartTLS(profile: String)
        case missingHost(profile: String)
    }

    public let path: String
    /// 1-based; nil when the problem has no place in the file (it cannot be read).
    public let line: Int?
    public let column: Int?
    public let problem: Problem

    public init(path: String, line: Int?, column: Int? = nil, problem: Problem) {
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
    }

    public var description: String {
        let place = [path, line.map(String.init), column.map(String.init)].compactMap { $0 }.joined(separator: ":")
        return "\(place): \(message)"
    }

    public var message: String {
        switch problem {
        case .syntax(let text):
            return "not valid TOML: \(text)"
        case .unreadable(let reason):
            return "cannot read the config file: \(reason)"
        case .unknownTopLevelKey(let key):
            return "unknown key '\(key)': the file holds [profile.NAME] tables"
        case .notATable(let key):
            return key == "profile"
                ? "'profile' must be a table of named servers: [profile.NAME] with host = \"…\""
                : "'\(key)' must be a table: [\(key)] with host = \"…\""
        case .badName(let problem):
            return problem
        case .unknownKey(let profile, let key, let suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return
                "profile \(profile): unknown key '\(key)'\(hint); known keys: \(ProfileKeyTable.rows.map(\.key).joined(separator: ", "))"
        case .wrongType(let profile, let key, let expected, let found):
            return "profile \(profile): \(key) must be \(expected.article), not \(found)"
        case .badValue(let profile, let problem):
            return "profile \(profile): \(problem)"
        case .passwordRefused(let profile, let key):
            return
                "profile \(profile): '\(key)' is refused: a secret does not belong in a config file, which is easily copied, shared or backed up; the password comes from the terminal, --password-file FILE or EHLO_PASSWORD"
        case .tlsAndStartTLS(let profile):
            return
                "profile \(profile): tls and starttls exclude each other: starttls upgrades a plain connection, tls starts with TLS"
        case .missingHost(let profile):
            return "profile \(profile): no host; every profile needs host = \"…\""
        }
    }
}
