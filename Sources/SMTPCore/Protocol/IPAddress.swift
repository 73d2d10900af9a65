/// An IPv4 or IPv6 address as octets, read from text or from a certificate's iPAddress name, and
/// written back in the one canonical form.
///
/// - Text: IPv4 as four decimal octets (`127.0.0.1`); IPv6 in any form of RFC 4291 §2.2 (`::1`,
///   `0:0:0:0:0:0:0:1`, `::ffff:192.0.2.1`), optionally in brackets as in a URL or `[::1]:25`
///   (RFC 3986 §3.2.2); a zone (`fe80::1%eth0`, RFC 4007 §11) is dropped, as a certificate
///   cannot name one.
/// - `description` is RFC 5952's canonical form: lower-case hex without leading zeros, the
///   longest run of two or more zero groups as `::` (the first of equal runs), and an
///   IPv4-mapped address as `::ffff:192.0.2.1` (§5).
///
/// ### Why compare octets, not text?
/// `::1`, `0:0:0:0:0:0:0:1` and `[::1]` are one address. A certificate carries the octets
/// (RFC 5280 §4.2.1.6), so a check that compares its text with the host typed refuses a good
/// certificate; `isSameAddress(as:)` also takes `::ffff:127.0.0.1` for `127.0.0.1`, the form
/// an IPv6 socket reports an IPv4 peer in (RFC 4291 §2.5.5.2).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 octets (IPv4) or 16 (IPv6), network order.
    public let octets: [UInt8]

    /// From a certificate's iPAddress name: 4 or 16 octets, anything else is not an address.
    public init?(octets: some Collection<UInt8>) {
        guard octets.count == 4 || octets.count == 16 else { return nil }
        self.octets = Array(octets)
    }

    /// From text: an IPv4 or IPv6 address; nil for a name or anything malformed.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let percent = text.firstIndex(of: "%"), text.contains(":") { text = text[..<percent] }
        if let v4 = Self.parseIPv4(text) {
            octets = v4
        } else if let v6 = Self.parseIPv6(text) {
            octets = v6
        } else {
            return nil
        }
    }

    public var isIPv6: Bool { octets.count == 16 }

    /// The IPv4 address this one is, or maps (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2).
    public var ipv4: [UInt8]? {
        if octets.count == 4 { return octets }
        let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
        return Array(octets.prefix(12)) == mappedPrefix ? Array(octets.suffix(4)) : nil
    }

    /// The same host: equal octets, or an IPv4 address and its IPv4-mapped IPv6 form.
    public func isSameAddress(as other: IPAddress) -> Bool {
        if octets == other.octets { return true }
        guard let mine = ipv4, let theirs = other.ipv4 else { return false }
        return mine == theirs
    }

    public var description: String {
        guard isIPv6 else { return Self.dotted(octets) }
        if let v4 = ipv4 { return "::ffff:" + Self.dotted(v4) }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]) }
        // RFC 5952 §4.2: the longest run of zero groups, at least two long, the first if tied.
        var best: Range<Int>?
        var start: Int?
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                start = start ?? index
            } else if let runStart = start {
                if index - runStart >= 2, index - runStart > (best?.count ?? 0) { best = runStart..<index }
                start = nil
            }
        }
        let hex = { (slice: ArraySlice<UInt16>) in slice.map { String($0, radix: 16) }.joined(separator: ":") }
        guard let best else { return hex(groups[...]) }
        return hex(groups[..<best.lowerBound]) + "::" + hex(groups[best.upperBound...])
    }

    private static func dotted(_ octets: [UInt8]) -> String {
        octets.map(String.init).joined(separator: ".")
    }

    /// Four decimal octets, 0 to 255, without leading zeros (`010` is octal to some parsers).
    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// RFC 4291 §2.2: eight groups of 1–4 hex digits, `::` once for one or more zero groups,
    /// and the last 32 bits optionally as an IPv4 address.
    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let doubleColons = text.ranges(of: "::")
        guard doubleColons.count <= 1 else { return nil }
        let halves = doubleColons.first.map { [text[..<$0.lowerBound], text[$0.upperBound...]] } ?? [text]
        func groups(_ part: Substring, isLast: Bool) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if isLast, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    result += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                        let value = UInt16(piece, radix: 16)
                    else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        let all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], isLast: false), let tail = groups(halves[1], isLast: true),
                head.count + tail.count <= 7
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let every = groups(halves[0], isLast: true), every.count == 8 else { return nil }
            all = every
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
