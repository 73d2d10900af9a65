import Foundation

/// Where the history lives and how it is protected.
public enum HistoryFile {
    /// `$XDG_STATE_HOME/ehlo/history` when XDG_STATE_HOME is set, else `~/.ehlo_history`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty {
            return state + "/ehlo/history"
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.ehlo_history"
    }

    /// Creates the file (and its folder) readable by its owner only.
    static func prepare(_ path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        restrictPermissions(path)
    }

    static func restrictPermissions(_ path: String) {
        _ = chmod(path, 0o600)
    }
}
