/// The known name a mistyped one was most likely meant to be: `/hlep` → `/help`, `EHOL` → `EHLO`.
///
/// Optimal string alignment distance (Levenshtein plus the swap of two neighbours, the commonest
/// typing slip), case-insensitive; a name counts as meant when at most one edit in four letters
/// (and at most two) separates it from what was typed.
public enum DidYouMean {
    /// Words people type for QUIT: a console's habit, not an SMTP verb.
    public static let quitWords: Set<String> = ["exit", "bye", "logout", "logoff", "q"]

    /// The closest of `candidates` to `typed`, if close enough; the first of equally close ones.
    public static func closest(to typed: String, in candidates: [String]) -> String? {
        let word = Array(typed.lowercased())
        guard !word.isEmpty else { return nil }
        let limit = min(2, max(1, word.count / 4))
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = Self.distance(word, Array(candidate.lowercased()))
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// Optimal string alignment distance between two words.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    /// `did you mean /help?` for a console command typed as `name` (without its slash).
    public static func consoleCommand(_ name: String) -> String? {
        closest(to: name, in: ConsoleCommandTable.rows.map(\.name)).map { "/" + $0 }
    }

    /// The SMTP verb a mistyped one was meant to be (`EHOL` → `EHLO`; `exit` → `QUIT`).
    public static func verb(_ typed: String) -> SMTPVerb? {
        if quitWords.contains(typed.lowercased()) { return .quit }
        return closest(to: typed, in: SMTPVerb.allCases.map(\.rawValue)).flatMap(SMTPVerb.init(rawValue:))
    }
}
