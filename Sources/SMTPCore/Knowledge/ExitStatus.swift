/// The exit statuses of ehlo, which tell a script which stage failed.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case success = 0
    case expectationFailed = 1
    case connectionFailed = 2
    case sessionFailed = 3
    case tlsFailed = 4
    case authenticationFailed = 5
    case replayDiffered = 6
    case transcriptFailed = 73
    case usage = 64
    case inputUnreadable = 66

    public var meaning: String {
        switch self {
        case .success: return "every line ran and every /expect held"
        case .expectationFailed: return "an /expect did not match the last reply"
        case .connectionFailed: return "no session: unknown host, connection refused, or no greeting in time"
        case .sessionFailed:
            return
                "the session failed in the middle of a script: the connection dropped, a reply timed out, or a refused message ran to the end of the script"
        case .tlsFailed: return "the TLS handshake failed"
        case .authenticationFailed: return "authentication failed"
        case .replayDiffered: return "replay --check: a reply differed from the recording"
        case .transcriptFailed: return "the transcript could not be created or written completely"
        case .usage: return "bad command-line usage, or a config file that cannot be used (its line is named)"
        case .inputUnreadable: return "the script file cannot be read"
        }
    }
}
