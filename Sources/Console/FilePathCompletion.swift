import Foundation

/// File names for `/send` completion (and the shell's, for a socket's path): the entries of the
/// folder named so far that start with the rest; folders end in `/`.
public enum FilePathCompletion {
    public static func candidates(for word: String) -> [String] {
        let expanded = word.hasPrefix("~") ? NSString(string: word).expandingTildeInPath : word
        let folder: String
        let prefix: String
        if let slash = expanded.lastIndex(of: "/") {
            folder = String(expanded[...slash])
            prefix = String(expanded[expanded.index(after: slash)...])
        } else {
            folder = ""
            prefix = expanded
        }
        let typedFolder = word.lastIndex(of: "/").map { String(word[...$0]) } ?? ""
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        return
            entries
            .filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }
            .sorted()
            .map { name in
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: folder + name, isDirectory: &isDirectory)
                return typedFolder + name + (exists && isDirectory.boolValue ? "/" : " ")
            }
    }
}
