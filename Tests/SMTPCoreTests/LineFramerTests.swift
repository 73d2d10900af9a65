import Testing

@testable import SMTPCore

@Suite struct LineFramerTests {
    static let stream = Array("220 mx.test ESMTP\r\n250-mx.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n".utf8)
    static let expected = ["220 mx.test ESMTP", "250-mx.test", "250-SIZE 1000", "250 8BITMIME"]

    private func lines(feeding chunks: [[UInt8]], framer: LineFramer = LineFramer()) -> [SMTPLine] {
        var framer = framer
        var lines: [SMTPLine] = []
        for chunk in chunks {
            framer.append(chunk)
            while let line = framer.nextLine() { lines.append(line) }
        }
        if let last = framer.finish() { lines.append(last) }
        return lines
    }

    @Test func wholeStreamYieldsEveryLine() {
        let lines = lines(feeding: [Self.stream])
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == Self.expected)
        #expect(lines.allSatisfy { $0.problems.isEmpty })
    }

    @Test func byteByByteYieldsTheSameLines() {
        let lines = lines(feeding: Self.stream.map { [$0] })
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == Self.expected)
        #expect(lines.allSatisfy { $0.problems.isEmpty })
    }

    @Test(arguments: 1..<60)
    func splitAnywhereYieldsTheSameLines(at split: Int) {
        let chunks = [Array(Self.stream[..<split]), Array(Self.stream[split...])]
        let lines = lines(feeding: chunks)
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == Self.expected)
        #expect(lines.allSatisfy { $0.problems.isEmpty })
    }

    @Test func bareLineFeedEndsALineAndIsFlagged() {
        let lines = lines(feeding: [Array("250 ok\n".utf8)])
        #expect(lines == [SMTPLine("250 ok", problems: [.bareLineFeed])])
    }

    @Test func crAndLfInSeparateReadsMakeOneCRLF() {
        let lines = lines(feeding: [Array("250 ok\r".utf8), Array("\n".utf8)])
        #expect(lines == [SMTPLine("250 ok")])
    }

    @Test func overlongLineIsCutAndTheRestDropped() {
        let long = Array(repeating: UInt8(ascii: "x"), count: 100)
        let lines = lines(
            feeding: [long, long, Array("\r\n250 next\r\n".utf8)], framer: LineFramer(maximumLineLength: 64))
        #expect(lines.count == 2)
        #expect(lines[0].bytes.count == 64)
        #expect(lines[0].problems == [.truncated(droppedOctets: 136)])
        #expect(lines[1] == SMTPLine("250 next"))
    }

    @Test func overlongCompleteLineInOneReadIsCut() {
        let text = String(repeating: "y", count: 80) + "\r\n"
        let lines = lines(feeding: [Array(text.utf8)], framer: LineFramer(maximumLineLength: 64))
        #expect(lines == [SMTPLine(String(repeating: "y", count: 64), problems: [.truncated(droppedOctets: 16)])])
    }

    @Test func bytesLeftAtTheEndAreALineWithoutEnding() {
        let lines = lines(feeding: [Array("250 ok\r\n221 by".utf8)])
        #expect(lines == [SMTPLine("250 ok"), SMTPLine("221 by", problems: [.noLineEnding])])
    }

    @Test func bufferedBytesAreCounted() {
        var framer = LineFramer()
        framer.append(Array("220 go ahead\r\nEXTRA".utf8))
        _ = framer.nextLine()
        #expect(framer.bufferedByteCount == 5)
    }

    /// Found by FuzzReplies (Fuzz/corpus/FuzzReplies/finding-cr-at-line-limit): a line exactly at
    /// the limit whose CR and LF arrive in different reads was reported as truncated, though
    /// nothing was dropped, while the same bytes in one read were not.
    @Test(arguments: 1...12)
    func lineAtTheLimitIsNotTruncatedWhenItsCRLFIsSplit(at split: Int) {
        let stream = Array("abcdefghi\r\n250 ok\r\n".utf8)
        let framer = LineFramer(maximumLineLength: 9)
        let whole = lines(feeding: [stream], framer: framer)
        let cut = lines(feeding: [Array(stream[..<split]), Array(stream[split...])], framer: framer)
        #expect(whole == cut)
        #expect(cut.map { String(decoding: $0.bytes, as: UTF8.self) } == ["abcdefghi", "250 ok"])
        #expect(cut.allSatisfy { $0.problems.isEmpty })
    }
}
