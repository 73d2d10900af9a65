import Testing

@testable import SMTPCore

/// Spaces and tabs around a 334 challenge, a server address or a profile line are cut; nothing
/// else is, and a character made of many octets is never split.
@Suite struct TrimmingSpacesTests {
    @Test(arguments: [
        (" \t VXNlcm5hbWU6 \t", "VXNlcm5hbWU6"),
        ("a b", "a b"),
        ("  a \t b  ", "a \t b"),
        (" \t ", ""),
        ("", ""),
        (" é ", "é"),
        ("\u{00A0}x\u{00A0}", "\u{00A0}x\u{00A0}"),
        ("\r\nx\r\n", "\r\nx\r\n"),
        (" e\u{0301} ", "e\u{0301}"),
    ])
    func onlySpacesAndTabsAtTheEndsAreCut(text: String, trimmed: String) {
        #expect(text.trimmingSpaces == trimmed)
        #expect(Array(text.trimmingSpaces.utf8) == Array(trimmed.utf8))
    }

    @Test func aSubstringIsTrimmedOnItsOwnBounds() {
        let line = "334  dGVzdA== "
        #expect(line.dropFirst(3).trimmingSpaces == "dGVzdA==")
    }
}
