import SMTPCore

/// ANSI colour for the plain form: it adds escape sequences around a line, never changes its text.
struct Style {
    let isEnabled: Bool

    func render(_ line: DisplayLine) -> String {
        render(line, text: line.plain)
    }

    /// `text` (the line's plain form, or one piece of it) in the line's colour.
    func render(_ line: DisplayLine, text: String) -> String {
        guard isEnabled, let code = code(for: line) else { return text }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// Appends the line's plain form in its colour to `output`, as `render` would return it.
    func append(_ line: DisplayLine, to output: inout String) {
        let code = isEnabled ? code(for: line) : nil
        if let code { output += "\u{1B}[\(code)m" }
        output += line.kind.prefix
        output += line.text
        if code != nil { output += "\u{1B}[0m" }
    }

    /// The SGR parameters of the line's colour; nil for console output, which is not coloured.
    private func code(for line: DisplayLine) -> String? {
        switch line.kind {
        case .client: return "1"
        case .server:
            switch line.replyClass {
            case .positiveCompletion: return "32"
            case .positiveIntermediate: return "36"
            case .transientNegative: return "33"
            case .permanentNegative: return "31"
            case .unknown, nil: return "35"
            }
        case .annotation: return "2"
        case .event: return "34"
        case .warning: return "1;33"
        case .output: return nil
        }
    }
}
