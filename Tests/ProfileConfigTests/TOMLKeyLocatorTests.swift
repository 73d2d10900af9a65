import Testing

@testable import ProfileConfig

/// Where each key of a valid TOML document is defined.
@Suite struct TOMLKeyLocatorTests {
    @Test func headersAndKeysUnderThem() {
        let lines = TOMLKeyLocator.keyLines(
            in: """
                # a comment
                [profile.lab]
                host = "127.0.0.1"  # trailing

                  port = 2525
                """)
        #expect(lines[["profile"]] == 2)
        #expect(lines[["profile", "lab"]] == 2)
        #expect(lines[["profile", "lab", "host"]] == 3)
        #expect(lines[["profile", "lab", "port"]] == 5)
    }

    @Test func dottedQuotedAndInlineKeys() {
        let lines = TOMLKeyLocator.keyLines(
            in: """
                profile.a.host = "a"
                [ profile . "b c" ]
                'host' = "b"
                [other]
                d = { host = "d", tls = true }
                "e\\u0041" . host = "e"
                """)
        #expect(lines[["profile", "a", "host"]] == 1)
        #expect(lines[["profile"]] == 1)
        #expect(lines[["profile", "b c", "host"]] == 3)
        #expect(lines[["other", "d"]] == 5)
        #expect(lines[["other", "d", "tls"]] == 5)
        #expect(lines[["other", "eA", "host"]] == 6)
    }

    @Test func nothingInsideAValueIsTakenForAKey() {
        let lines = TOMLKeyLocator.keyLines(
            in: """
                [profile.lab]
                note = \"\"\"
                port = 1
                \\\"\"\"
                \"\"\"
                list = [
                  "port = 2", # port = 3
                  { port = 4 },
                ]
                literal = '''
                port = 5'''
                port = 6
                """)
        #expect(lines[["profile", "lab", "port"]] == 12)
        #expect(lines[["profile", "lab", "list"]] == 6)
        #expect(lines[["profile", "lab", "literal"]] == 10)
    }

    @Test func arraysOfTablesCountAsHeaders() {
        let lines = TOMLKeyLocator.keyLines(in: "x = 1\n[[profile]]\nhost = \"a\"\n")
        #expect(lines[["x"]] == 1)
        #expect(lines[["profile"]] == 2)
    }

    /// Every prefix of a document ends the scan (valid or not, the scanner never stalls).
    @Test func everyPrefixTerminates() {
        let text = "[profile.lab]\nhost = \"a\\\"b\"\nlist = [1, {x = '''\n'''}]\n\"k\".'l' = 2\n"
        for end in 0...text.utf8.count {
            let prefix = String(decoding: Array(text.utf8.prefix(end)), as: UTF8.self)
            _ = TOMLKeyLocator.keyLines(in: prefix)
        }
    }
}
