/// Lines fitted to the terminal's width, broken between words.
///
/// Only the screen wraps: a transcript keeps every line whole, and the wire lines in it exactly as
/// they went (`TranscriptFormatter`). A continuation line keeps the line's marker (`#`, `*`, `!`)
/// and is indented two more columns than the text, so it cannot be taken for a line of its own;
/// a `C:` or `S:` line continues under its text, with no marker, so it is never read as a
/// second reply line.
///
///     #  550 means: No, for good: no such mailbox, no permission, or a policy said
///     #    no. Read the text and the enhanced code for which; sending the same …
extension DisplayLine {
    /// The plain form, in pieces of at most `width` characters (a word longer than a piece is cut).
    public func wrappedPlain(width: Int) -> [String] {
        let whole = plain
        guard width > 0, whole.count > width else { return [whole] }
        let marker: String
        switch kind {
        case .annotation, .event, .warning: marker = String(kind.prefix.prefix(1))
        case .client, .server, .output: marker = ""
        }
        let leading = text.prefix { $0 == " " }.count
        let indent = kind.prefix.count + leading + 2
        let continuation = marker + String(repeating: " ", count: max(indent - marker.count, 0))
        // A continuation prefix too wide to leave room for text would make the pieces longer, not shorter.
        guard continuation.count < width / 2 else { return Self.cut(whole, width: width) }
        var pieces: [String] = []
        var current = kind.prefix + String(repeating: " ", count: leading)
        var hasWord = false
        for word in text.dropFirst(leading).split(separator: " ", omittingEmptySubsequences: false) {
            let separator = hasWord ? " " : ""
            if current.count + separator.count + word.count <= width {
                current += separator + word
                hasWord = true
                continue
            }
            if hasWord {
                pieces.append(current)
                current = continuation
            }
            var rest = Substring(word)
            while current.count + rest.count > width {
                let room = width - current.count
                pieces.append(current + rest.prefix(room))
                rest = rest.dropFirst(room)
                current = continuation
            }
            current += rest
            hasWord = true
        }
        pieces.append(current)
        return pieces
    }

    private static func cut(_ text: String, width: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(width)))
            rest = rest.dropFirst(width)
        }
        return pieces
    }
}
