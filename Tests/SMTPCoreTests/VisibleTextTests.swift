import Testing

@testable import SMTPCore

@Suite struct VisibleTextTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("\u{1B}]0;pwned\u{07}", "\\e]0;pwned\\x07"),
        ("\u{1B}[2J", "\\e[2J"),
        ("a\rb", "a\\rb"),
        ("tab\there", "tab\\there"),
        ("back\\slash", "back\\\\slash"),
        ("Grüße, 日本", "Grüße, 日本"),
        ("\u{7F}", "\\x7f"),
        ("\u{202E}evil", "\\xe2\\x80\\xaeevil"),
        // The Arabic letter mark is a bidi control too; U+2028 breaks a line where no byte does.
        ("a\u{061C}b", "a\\xd8\\x9cb"),
        ("a\u{2028}b", "a\\xe2\\x80\\xa8b"),
        ("\u{2067}x\u{2069}", "\\xe2\\x81\\xa7x\\xe2\\x81\\xa9"),
        ("\u{85}", "\\xc2\\x85"),
    ])
    func escapes(input: String, expected: String) {
        #expect(VisibleText.escape(input) == expected)
    }

    @Test func invalidUTF8IsShownByteByByte() {
        #expect(VisibleText.escape([0x41, 0xFF, 0xC3, 0x42]) == "A\\xff\\xc3B")
    }

    @Test func escapedTextContainsNoControlCharacters() {
        let hostile = (0...255).map(UInt8.init)
        let shown = VisibleText.escape(hostile)
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    /// Found by FuzzSASL (Fuzz/corpus/FuzzSASL/finding-length-not-a-multiple-of-four):
    /// Foundation decoded 73 characters as base64; a 334 that is not base64 (RFC 4954 §4,
    /// RFC 4648 §4) must not be shown as if it decoded.
    @Test(arguments: [
        "eyJzdGiFMXOd0iI0MdAkLCJzY2hlbWVzIjoiodHRwczovL21haWwuZ58vZ2xlLmNvbS8ifQ==", "VXNlcm5hbWU", "VXNlcm5hbWU6=",
        "VXNl=m5hbWU6", "Username:", "VXNlcm5hbWU===",
    ])
    func challengeThatIsNotBase64IsNotDecoded(text: String) {
        #expect(Base64.decode(text) == nil)
        #expect(ReplyAnnotator.decodedChallenge(SMTPReply(334, text)) == nil)
    }

    @Test func base64ChallengesDecode() {
        #expect(ReplyAnnotator.decodedChallenge(SMTPReply(334, "VXNlcm5hbWU6")) == "Username:")
        #expect(Base64.decode("QQ==") == [0x41])
        #expect(Base64.decode("") == [])
    }
}
