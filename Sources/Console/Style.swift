import SMTPCore

/// ANSI colour for the plain form: it adds escape sequences around a line, never changes its text.
struct Style {
    let isEnabled: Bool

    func render(_ line: DisplayLine) -> String {
        render(line, text: line.plain)
    }

    /// `text` (the line's plain form, or one piece of it) in the line's colour.
    func render(_ line: DisplayLine, text: String) -> String {
        guard isEnabled else { return text }
        let code: String
        switch line.kind {
        case .client: code = "1"
        case .server:
            switch line.replyClass {
            case .positiveCompletion: code = "32"
            case .positiveIntermediate: code = "36"
            case .transientNegative: code = "33"
            case .permanentNegative: code = "31"
            case .unknown, nil: code = "35"
            }
        case .annotation: code = "2"
        case .event: code = "34"
        case .warning: code = "1;33"
        case .output: return text
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
