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

    /// RFC 3629 §3 and §10: overlong forms, surrogates, code points past U+10FFFF and cut
    /// sequences are not UTF-8; each of their bytes is named, and what follows is read afresh.
    @Test(arguments: [
        ([0xC0, 0x80], "\\xc0\\x80"),
        ([0xE0, 0x80, 0xAF], "\\xe0\\x80\\xaf"),
        ([0xED, 0xA0, 0x80], "\\xed\\xa0\\x80"),
        ([0xF4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"),
        ([0xF0, 0x82, 0x82, 0xAC], "\\xf0\\x82\\x82\\xac"),
        ([0xE2, 0x82], "\\xe2\\x82"),
        ([0xE2, 0x82, 0x41], "\\xe2\\x82A"),
        ([0xE2, 0xE2, 0x82, 0xAC], "\\xe2€"),
        ([0xF0, 0x9F, 0x93, 0xAB], "📫"),
        ([0xEF, 0xBB, 0xBF, 0x41], "\\xef\\xbb\\xbfA"),
    ] as [([UInt8], String)])
    func malformedUTF8IsNamedByteByByte(bytes: [UInt8], expected: String) {
        #expect(VisibleText.escape(bytes) == expected)
        #expect(VisibleText.unescape(expected) == bytes)
    }

    /// Any bytes: the escaping undoes to them, whether they come as an array or as a slice, and
    /// what is kept as text is what the standard library's own UTF-8 validation accepts.
    @Test func anyBytesRoundTripAndKeepOnlyValidText() {
        var generator = SystemRandomNumberGenerator()
        // Lead and continuation bytes of every length, the ends of the ranges, and bytes that
        // are never UTF-8; none of them can form a bidi or zero-width control, only C1 ones.
        let alphabet: [UInt8] = [0x41, 0x5C, 0x0D, 0x80, 0xBF, 0xC2, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF, 0x9F, 0xA0]
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...12, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            let shown = VisibleText.escape(bytes)
            #expect(shown == Self.escapedByTheStandardLibrary(bytes), "\(bytes)")
            #expect(VisibleText.unescape(shown) == bytes, "\(bytes)")
            #expect(VisibleText.escape(bytes[...]) == shown)
        }
    }

    /// The escaping written with `String(validating:)`: at each byte, the 2 to 4 octets that
    /// validate as one scalar that is not a C1 control are kept, anything else is named.
    static func escapedByTheStandardLibrary(_ bytes: [UInt8]) -> String {
        var shown = ""
        var index = 0
        while index < bytes.count {
            let kept = (2...4).lazy.compactMap { length -> (Int, String)? in
                guard index + length <= bytes.count,
                    let text = String(validating: bytes[index..<(index + length)], as: UTF8.self),
                    text.unicodeScalars.count == 1, !(0x80...0x9F).contains(text.unicodeScalars.first!.value)
                else { return nil }
                return (length, text)
            }.first
            if bytes[index] < 0x80 {
                shown += VisibleText.escape([bytes[index]])
                index += 1
            } else if let (length, text) = kept {
                shown += text
                index += length
            } else {
                shown += "\\x" + String(bytes[index], radix: 16)
                index += 1
            }
        }
        return shown
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
