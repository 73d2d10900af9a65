/// The line on which each key of a TOML document is defined, for messages about values that
/// parse but mean nothing to ehlo ("line 7: unknown key 'hots'").
///
/// ### Why scan the text again?
/// TOMLKit gives the line of a syntax error but not where a parsed value came from (toml++
/// keeps source regions; TOMLKit does not pass them on). So this scanner reads the document a
/// second time, after TOMLKit has accepted it, and notes the line where each key path first
/// appears: in a `[table]` or `[[array]]` header, as a key (dotted or quoted) under a header,
/// or inside an inline table. Values are skipped, including multi-line strings and arrays, so
/// that `host = ...` written inside one is never taken for a key. Since the document is known
/// to be valid TOML, the scanner need not diagnose anything; it only has to never stall, which
/// every loop guarantees by consuming at least one byte.
///
///     [profile.lab]          ["profile"] → 1, ["profile", "lab"] → 1
///     host = "127.0.0.1"     ["profile", "lab", "host"] → 2
///     note = """
///     port = 1               (inside a string: not a key)
///     """
struct TOMLKeyLocator {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lines: [[String]: Int] = [:]

    /// The first line of each key path in `text` (a header's path, a key's full path).
    static func keyLines(in text: String) -> [[String]: Int] {
        var locator = TOMLKeyLocator(bytes: Array(text.utf8))
        locator.scanDocument()
        return locator.lines
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private func starts(with text: String) -> Bool {
        let octets = Array(text.utf8)
        return index + octets.count <= bytes.count && Array(bytes[index..<index + octets.count]) == octets
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
    }

    private mutating func record(_ path: [String], line: Int) {
        guard !path.isEmpty else { return }
        for end in 1...path.count where lines[Array(path[..<end])] == nil {
            lines[Array(path[..<end])] = line
        }
    }

    // MARK: Structure

    private mutating func scanDocument() {
        var table: [String] = []
        while current != nil {
            skipBlank(newlines: true)
            guard let byte = current else { break }
            let start = index
            let keyLine = line
            if byte == UInt8(ascii: "[") {
                let isArray = peek(1) == UInt8(ascii: "[")
                advance(isArray ? 2 : 1)
                table = scanKeyPath()
                record(table, line: keyLine)
                skipBlank(newlines: false)
                while current == UInt8(ascii: "]") { advance() }
            } else {
                let key = scanKeyPath()
                record(table + key, line: keyLine)
                skipBlank(newlines: false)
                if current == UInt8(ascii: "=") { advance() }
                skipValue(path: table + key)
            }
            skipToEndOfLine()
            if index == start { advance() }
        }
    }

    /// Spaces and tabs, comments, and (with `newlines`) line breaks.
    private mutating func skipBlank(newlines: Bool) {
        while let byte = current {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                advance()
            case UInt8(ascii: "\n") where newlines:
                advance()
            case UInt8(ascii: "#"):
                while let next = current, next != UInt8(ascii: "\n") { advance() }
            default:
                return
            }
        }
    }

    private mutating func skipToEndOfLine() {
        while let byte = current, byte != UInt8(ascii: "\n") { advance() }
    }

    /// `a.b."c d".'e'`: the parts of a dotted key.
    private mutating func scanKeyPath() -> [String] {
        var path: [String] = []
        while true {
            skipBlank(newlines: false)
            guard let byte = current else { return path }
            switch byte {
            case UInt8(ascii: "\""):
                path.append(scanBasicString())
            case UInt8(ascii: "'"):
                path.append(scanLiteralString())
            default:
                let start = index
                while let next = current, Self.isBareKeyByte(next) { advance() }
                guard index > start else { return path }
                path.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipBlank(newlines: false)
            guard current == UInt8(ascii: ".") else { return path }
            advance()
        }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    // MARK: Values

    /// Skips one value; an inline table's keys are recorded under `path` (nil inside an array,
    /// whose tables are not addressed by key).
    private mutating func skipValue(path: [String]?) {
        skipBlank(newlines: false)
        guard let byte = current else { return }
        switch byte {
        case UInt8(ascii: "\""):
            if starts(with: "\"\"\"") { skipMultilineString(quote: UInt8(ascii: "\"")) } else { _ = scanBasicString() }
        case UInt8(ascii: "'"):
            if starts(with: "'''") { skipMultilineString(quote: UInt8(ascii: "'")) } else { _ = scanLiteralString() }
        case UInt8(ascii: "["):
            advance()
            while let next = skipBlankReturningCurrent(), next != UInt8(ascii: "]") {
                let start = index
                if next == UInt8(ascii: ",") { advance() } else { skipValue(path: nil) }
                if index == start { advance() }
            }
            advance()
        case UInt8(ascii: "{"):
            advance()
            while let next = skipBlankReturningCurrent(), next != UInt8(ascii: "}") {
                let start = index
                if next == UInt8(ascii: ",") {
                    advance()
                } else {
                    let keyLine = line
                    let key = scanKeyPath()
                    if let path { record(path + key, line: keyLine) }
                    skipBlank(newlines: true)
                    if current == UInt8(ascii: "=") { advance() }
                    skipValue(path: path.map { $0 + key })
                }
                if index == start { advance() }
            }
            advance()
        default:
            // A number, boolean or date: up to what ends a value.
            while let next = current, !",]}#\n".utf8.contains(next) { advance() }
        }
    }

    private mutating func skipBlankReturningCurrent() -> UInt8? {
        skipBlank(newlines: true)
        return current
    }

    /// `"…"` with its escapes decoded (for keys; values are only skipped).
    private mutating func scanBasicString() -> String {
        advance()
        var octets: [UInt8] = []
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\n") {
            advance()
            guard byte == UInt8(ascii: "\\"), let escaped = current else {
                octets.append(byte)
                continue
            }
            advance()
            switch escaped {
            case UInt8(ascii: "n"): octets.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): octets.append(UInt8(ascii: "\t"))
            case UInt8(ascii: "r"): octets.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "b"): octets.append(0x08)
            case UInt8(ascii: "f"): octets.append(0x0C)
            case UInt8(ascii: "e"): octets.append(0x1B)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = escaped == UInt8(ascii: "u") ? 4 : 8
                let end = min(index + count, bytes.count)
                let hex = String(decoding: bytes[index..<end], as: UTF8.self)
                advance(count)
                if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                    octets.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
            default: octets.append(escaped)
            }
        }
        advance()
        return String(decoding: octets, as: UTF8.self)
    }

    private mutating func scanLiteralString() -> String {
        advance()
        let start = index
        while let byte = current, byte != UInt8(ascii: "'"), byte != UInt8(ascii: "\n") { advance() }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        advance()
        return text
    }

    /// `"""…"""` or `'''…'''`, which may span lines and end with up to two more quotes.
    private mutating func skipMultilineString(quote: UInt8) {
        advance(3)
        while let byte = current {
            if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                advance(2)
                continue
            }
            if byte == quote, peek(1) == quote, peek(2) == quote {
                advance(3)
                while current == quote { advance() }
                return
            }
            advance()
        }
    }
}
