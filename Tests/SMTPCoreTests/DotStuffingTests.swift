import Testing

@testable import SMTPCore

@Suite struct DotStuffingTests {
    @Test func lineStartingWithADotGetsAnotherOne() {
        #expect(DotStuffing.stuff(".hidden") == "..hidden")
        #expect(DotStuffing.stuff(".") == "..")
        #expect(DotStuffing.stuff("no dot.") == "no dot.")
        #expect(DotStuffing.unstuff("..hidden") == ".hidden")
    }

    @Test(arguments: [
        ("..hidden", ".hidden"), ("..", "."), ("...", ".."), (".x", "x"), ("no dot.", "no dot."), ("", ""),
    ])
    func receiverDropsTheFirstPeriodOfAByteLine(wire: String, stored: String) {
        let bytes = Array(wire.utf8)
        #expect(Array(DotStuffing.unstuff(bytes)) == Array(stored.utf8))
        #expect(DotStuffing.unstuff(bytes).elementsEqual(DotStuffing.unstuff(wire).utf8))
    }

    @Test func unstuffedStartIsAnIndexIntoTheReceiveBuffer() {
        // A line in the middle of a buffer, as a receiver holds it: the index is the buffer's own.
        let buffer = Array("one\r\n..two\r\n".utf8)
        let line = buffer[5..<10]
        #expect(DotStuffing.unstuffedStart(of: line) == 6)
        #expect(String(decoding: buffer[DotStuffing.unstuffedStart(of: line)..<10], as: UTF8.self) == ".two")
        #expect(DotStuffing.unstuffedStart(of: buffer[0..<3]) == 0)
    }

    @Test func onlyALonePeriodEndsTheData() {
        #expect(DotStuffing.isEndOfData(Array(".".utf8)))
        #expect(!DotStuffing.isEndOfData(Array("..".utf8)))
        #expect(!DotStuffing.isEndOfData(Array(".x".utf8)))
        #expect(!DotStuffing.isEndOfData([UInt8]()))
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
