/// `/connect HOST[:PORT] [options]`: what follows the command, as words for the command line's
/// parser, and what that parser made of them.
///
/// ### Why a closure in `ConsoleOptions`?
/// The options are the command line's own (`--starttls`, `--tls`, `--sni`, `-4`, `--proxy`, …),
/// declared with swift-argument-parser in the `ehlo` target, which this target does not depend
/// on. `ehlo` hands its parser in; the option names, their help and their checks stay in one place.
public enum ConnectArguments {
    /// What the parser made of the words.
    public enum Outcome: Sendable {
        /// Connect as `ehlo OPTIONS HOST` would: the command line's options with the TLS and
        /// connection ones replaced by those given. `server` is nil when no HOST was given
        /// (the server connected to last).
        case connect(ConsoleOptions)
        /// `--help`: the parser's help text; nothing is connected.
        case help(String)
        /// A bad option or server: the parser's message; nothing is connected.
        case invalid(String)
    }

    /// Reads `words` (everything after `/connect`) on top of `commandLine`, the options ehlo
    /// started with.
    public typealias Parser = @Sendable (_ words: [String], _ commandLine: ConsoleOptions) -> Outcome

    /// The words of `text` as a shell would split them, without expansions: blanks separate,
    /// `'…'` and `"…"` keep blanks, a backslash keeps the next character (outside `'…'`).
    /// Returns nil for an unclosed quote.
    public static func words(_ text: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var isInWord = false
        var quote: Character?
        var isEscaped = false
        for character in text {
            if isEscaped {
                word.append(character)
                isEscaped = false
            } else if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\", open == "\"" {
                    isEscaped = true
                } else {
                    word.append(character)
                }
            } else if character == " " || character == "\t" {
                if isInWord { words.append(word) }
                word = ""
                isInWord = false
            } else {
                isInWord = true
                switch character {
                case "'", "\"": quote = character
                case "\\": isEscaped = true
                default: word.append(character)
                }
            }
        }
        guard quote == nil, !isEscaped else { return nil }
        if isInWord { words.append(word) }
        return words
    }
}
