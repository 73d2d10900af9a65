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

    /// CRLF and bare LF ends, an empty line, a CR inside a line, an overlong line, a line left
    /// unfinished at the end: each kind of framing the framer knows.
    static let mixedStream = Array(
        ("250-one\r\n250-bare\n\r\n250-a\rb\r\n" + String(repeating: "z", count: 40) + "\r\n250 end\r\n221 by").utf8)

    @Test func mixedStreamSplitAtEveryPointGivesTheSameLines() {
        let framer = LineFramer(maximumLineLength: 16)
        let whole = lines(feeding: [Self.mixedStream], framer: framer)
        #expect(
            whole.map { String(decoding: $0.bytes, as: UTF8.self) } == [
                "250-one", "250-bare", "", "250-a\rb", String(repeating: "z", count: 16), "250 end", "221 by",
            ])
        #expect(whole[1].problems == [.bareLineFeed])
        #expect(whole[4].problems == [.truncated(droppedOctets: 24)])
        #expect(whole[6].problems == [.noLineEnding])
        for first in 0...Self.mixedStream.count {
            let two = [Array(Self.mixedStream[..<first]), Array(Self.mixedStream[first...])]
            #expect(lines(feeding: two, framer: framer) == whole, "split at \(first)")
        }
        #expect(lines(feeding: Self.mixedStream.map { [$0] }, framer: framer) == whole)
    }

    @Test func mixedStreamSplitAtEveryPairOfPointsGivesTheSameLines() {
        let framer = LineFramer(maximumLineLength: 16)
        let whole = lines(feeding: [Self.mixedStream], framer: framer)
        let count = Self.mixedStream.count
        for first in stride(from: 0, through: count, by: 3) {
            for second in first...count {
                let chunks = [
                    Array(Self.mixedStream[..<first]), Array(Self.mixedStream[first..<second]),
                    Array(Self.mixedStream[second...]),
                ]
                #expect(lines(feeding: chunks, framer: framer) == whole, "splits at \(first), \(second)")
            }
        }
    }

    @Test func aLargePipelinedBurstYieldsEveryLineInOrder() {
        // The replies to 5,000 pipelined commands in one read (RFC 2920).
        let replies = (0..<5_000).map { "250 2.1.5 Ok \($0)" }
        let burst = Array(replies.map { $0 + "\r\n" }.joined().utf8)
        let lines = lines(feeding: [burst])
        #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == replies)
        var framer = LineFramer()
        framer.append(burst)
        for _ in 0..<4_999 { _ = framer.nextLine() }
        #expect(framer.bufferedByteCount == "250 2.1.5 Ok 4999\r\n".utf8.count)
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
