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

    // MARK: Streaming: the wire form does not depend on where the chunks end

    /// The reference: a line at a time, as RFC 5321 §4.5.2 states the rule.
    private func wireForm(lines: [[UInt8]]) -> [UInt8] {
        var wire: [UInt8] = []
        for line in lines {
            if line.first == UInt8(ascii: ".") { wire.append(UInt8(ascii: ".")) }
            wire += line + [0x0D, 0x0A]
        }
        return wire + Array(".\r\n".utf8)
    }

    private func encode(_ body: [UInt8], splitAt splits: [Int]) -> [UInt8] {
        var encoder = BodyEncoder()
        var wire: [UInt8] = []
        var start = 0
        for end in splits + [body.count] {
            encoder.encode(body[start..<end], into: &wire)
            start = end
        }
        wire += encoder.finish()
        return wire
    }

    static let dotBody = Array("..\r\n.\r\n.a\r\nb.\r\n.\r\n...\r\nend".utf8)

    @Test func dotLinesSplitAtEveryOffsetComeOutAsIfWhole() {
        let expected = wireForm(lines: [
            Array("..".utf8), Array(".".utf8), Array(".a".utf8), Array("b.".utf8), Array(".".utf8),
            Array("...".utf8), Array("end".utf8),
        ])
        #expect(encode(Self.dotBody, splitAt: []) == expected)
        for split in 0...Self.dotBody.count {
            #expect(encode(Self.dotBody, splitAt: [split]) == expected, "split at \(split)")
        }
    }

    @Test func everyPairOfSplitsGivesTheSameWire() {
        let body = Array(".x\r\n\r\n.\n.\r.y\r\r\n..".utf8)
        let whole = encode(body, splitAt: [])
        #expect(whole == Array("..x\r\n\r\n..\r\n..\r\n..y\r\n\r\n...\r\n.\r\n".utf8))
        for first in 0...body.count {
            for second in first...body.count {
                #expect(encode(body, splitAt: [first, second]) == whole, "splits at \(first), \(second)")
            }
        }
    }

    @Test func crlfSplitBetweenChunksIsOneLineEnd() {
        #expect(encode(Array("a\r\nb".utf8), splitAt: [2]) == Array("a\r\nb\r\n.\r\n".utf8))
        // The CR ends one chunk, the LF starts the next, and a period follows: stuffed once.
        #expect(encode(Array("a\r\n.b\r\n".utf8), splitAt: [2]) == Array("a\r\n..b\r\n.\r\n".utf8))
        // Empty chunks in between change nothing.
        #expect(encode(Array("a\r\n.b".utf8), splitAt: [2, 2, 2, 3]) == Array("a\r\n..b\r\n.\r\n".utf8))
    }

    @Test func bareLineFeedsBecomeCRLF() {
        #expect(encode(Array("one\n.two\nthree\n".utf8), splitAt: [4]) == Array("one\r\n..two\r\nthree\r\n.\r\n".utf8))
    }

    @Test(arguments: ["last", ".last", "a\r\nlast", "a\nlast", "a\r\n."])
    func finalLineWithoutLineEndGetsCRLFBeforeTheDot(body: String) {
        let wire = encode(Array(body.utf8), splitAt: [1])
        // The last octet of the file, then the CRLF that ends its line, then the final dot.
        #expect(Array(wire.suffix(6)) == Array(body.utf8.suffix(1)) + Array("\r\n.\r\n".utf8))
        var encoder = BodyEncoder()
        _ = encoder.encode(Array(body.utf8))
        _ = encoder.finish()
        #expect(encoder.bodyOctets == wire.count - 3)
    }

    @Test func nulAnd8BitOctetsPassThrough() {
        var body: [UInt8] = [0x00, 0xFF, 0x80, UInt8(ascii: "."), 0x00, 0x0A]
        body += (0...255).map { UInt8($0) }.filter { $0 != 0x0A && $0 != 0x0D }
        let wire = encode(body, splitAt: [1, 3])
        var expected: [UInt8] = [0x00, 0xFF, 0x80, UInt8(ascii: "."), 0x00, 0x0D, 0x0A]
        expected += (0...255).map { UInt8($0) }.filter { $0 != 0x0A && $0 != 0x0D } + [0x0D, 0x0A]
        #expect(wire == expected + Array(".\r\n".utf8))
    }

    @Test func aLargeBodyInChunksIsTheSameAsWhole() {
        // 1 line in 10 starts with a period, as in the benchmark's 256 MiB body.
        var body: [UInt8] = []
        for index in 0..<5_000 {
            body += Array((index % 10 == 0 ? ".line \(index)" : "line \(index) of the message").utf8)
            body += index % 3 == 0 ? [0x0A] : [0x0D, 0x0A]
        }
        let whole = encode(body, splitAt: [])
        let chunked = encode(body, splitAt: Array(stride(from: 997, to: body.count, by: 997)))
        #expect(whole == chunked)
        #expect(whole.count == body.count + 500 + 5_000 / 3 + 1 + 3)
    }
}
