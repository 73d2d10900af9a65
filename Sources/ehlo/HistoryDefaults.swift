import LineEditor

enum HistoryDefaults {
    static func path() -> String? { HistoryFile.defaultPath() }
}
