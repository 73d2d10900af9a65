import Testing

@testable import SMTPCore

@Suite struct DotStuffingTests {
    @Test func lineStartingWithADotGetsAnotherOne() {
        #expect(DotStuffing.stuff(".hidden") == "..hidden")
        #expect(DotStuffing.stuff(".") == "..")
        #expect(DotStuffing.stuff("no dot.") == "no dot.")
        #expect(DotStuffing.unstuff("..hidden") == ".hidden")
    }

    private func encode(_ body: String, chunkSize: Int) -> String {
        var encoder = BodyEncoder()
        let bytes = Array(body.utf8)
        var wire: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let end = min(index + chunkSize, bytes.count)
            wire += encoder.encode(bytes[index..<end])
            index = end
        }
        wire += encoder.finish()
        return String(decoding: wire, as: UTF8.self)
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func bodyIsNormalisedAndStuffedWhateverTheChunks(chunkSize: Int) {
        let body = "Subject: x\n\n.dot line\r\nmixed\rendings\r\n..two\nlast"
        let expected = "Subject: x\r\n\r\n..dot line\r\nmixed\r\nendings\r\n...two\r\nlast\r\n.\r\n"
        #expect(encode(body, chunkSize: chunkSize) == expected)
    }

    @Test func bodyEndingWithNewlineGetsNoExtraEmptyLine() {
        #expect(encode("one\n", chunkSize: 10) == "one\r\n.\r\n")
    }

    @Test func emptyBodyIsJustTheTerminator() {
        #expect(encode("", chunkSize: 10) == ".\r\n")
    }
}
