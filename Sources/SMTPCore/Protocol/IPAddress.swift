/// An IPv4 or IPv6 address as its octets, read from and written as text without the C library.
///
/// Reading accepts what people type and what `inet_ntop(3)` writes: IPv4 as four decimal
/// numbers (RFC 791 dotted quad, no leading zeros, so that `010` is never taken for octal);
/// IPv6 in the text forms of RFC 4291 §2.2 (eight groups, one `::` for a run of zero groups, an
/// IPv4 dotted quad in the last 32 bits), without a zone (`%eth0`) or brackets.
///
/// Writing gives the canonical forms: the dotted quad, and RFC 5952 §4 for IPv6 (lower case, no
/// leading zeros, the longest run of two or more zero groups as `::`, the first of equal runs),
/// in hexadecimal groups only: not §5's dotted quad for an IPv4-mapped address, because these
/// are also the "canonical format" that a PROXY protocol v1 line carries (haproxy's
/// proxy-protocol.txt §2.1: IPv6 as "sets of 4 hexadecimal digits").
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Four octets, network order.
    case v4([UInt8])
    /// Sixteen octets, network order.
    case v6([UInt8])

    /// The address written as `text`, or nil if it is none (a host name, say).
    public init?(parsing text: some StringProtocol) {
        if let octets = Self.parseIPv4(Substring(text)) {
            self = .v4(octets)
        } else if let octets = Self.parseIPv6(Substring(text)) {
            self = .v6(octets)
        } else {
            return nil
        }
    }

    /// A host as typed or as a URL carries it: also in brackets (`[::1]`, RFC 3986 §3.2.2) and
    /// with a zone (`fe80::1%eth0`, RFC 4007 §11), which is dropped, as a certificate cannot name one.
    public init?(host text: some StringProtocol) {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let percent = text.firstIndex(of: "%"), text.contains(":") { text = text[..<percent] }
        self.init(parsing: text)
    }

    /// From a certificate's iPAddress name (RFC 5280 §4.2.1.6): 4 or 16 octets, anything else
    /// is not an address.
    public init?(octets: some Collection<UInt8>) {
        switch octets.count {
        case 4: self = .v4(Array(octets))
        case 16: self = .v6(Array(octets))
        default: return nil
        }
    }

    /// The octets in network order: 4 or 16 of them.
    public var octets: [UInt8] {
        switch self {
        case .v4(let octets), .v6(let octets): return octets
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    public var isIPv6: Bool { !isIPv4 }

    /// The IPv4 address this one is, or maps (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2).
    public var ipv4: [UInt8]? {
        switch self {
        case .v4(let octets): return octets
        case .v6(let octets):
            let mappedPrefix: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
            return Array(octets.prefix(12)) == mappedPrefix ? Array(octets.suffix(4)) : nil
        }
    }

    /// The same host: equal octets, or an IPv4 address and its IPv4-mapped IPv6 form (the form
    /// an IPv6 socket reports an IPv4 peer in). `::1`, `0:0:0:0:0:0:0:1` and `[::1]` are one
    /// address, so a certificate's iPAddress name is compared so, never as text.
    public func isSameAddress(as other: IPAddress) -> Bool {
        if octets == other.octets { return true }
        guard let mine = ipv4, let theirs = other.ipv4 else { return false }
        return mine == theirs
    }

    /// The same address in IPv6 form: an IPv4 one as IPv4-mapped (`::ffff:192.0.2.7`, RFC 4291
    /// §2.5.5.2), for a header whose two addresses must share a family.
    public var asIPv6: IPAddress {
        switch self {
        case .v4(let octets): return .v6(Array(repeating: 0, count: 10) + [0xff, 0xff] + octets)
        case .v6: return self
        }
    }

    /// The canonical text: `192.0.2.7`, `2001:db8::1` (RFC 5952 §4).
    public var description: String {
        switch self {
        case .v4(let octets):
            return octets.map(String.init).joined(separator: ".")
        case .v6(let octets):
            let groups = stride(from: 0, to: 16, by: 2).map { UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]) }
            // RFC 5952 §4.2.2: "::" never stands for a single zero group; §4.2.3: the longest run, the first of equals.
            var best: Range<Int>?
            var start: Int?
            for index in 0...groups.count {
                if index < groups.count, groups[index] == 0 {
                    if start == nil { start = index }
                } else if let runStart = start {
                    if index - runStart >= 2, index - runStart > best?.count ?? 0 { best = runStart..<index }
                    start = nil
                }
            }
            let hex = { (slice: ArraySlice<UInt16>) in slice.map { String($0, radix: 16) }.joined(separator: ":") }
            guard let best else { return hex(groups[...]) }
            return hex(groups[..<best.lowerBound]) + "::" + hex(groups[best.upperBound...])
        }
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit),
                part == "0" || part.first != "0", let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = splitAtDoubleColon(text)
        guard halves.count <= 2 else { return nil }
        guard let head = groups(halves[0], isLast: halves.count == 1) else { return nil }
        guard halves.count == 2 else { return head.count == 8 ? octets(head) : nil }
        guard let tail = groups(halves[1], isLast: true) else { return nil }
        // "::" stands for one or more zero groups (RFC 4291 §2.2, 2.).
        guard head.count + tail.count <= 7 else { return nil }
        return octets(head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail)
    }

    /// The text before and after each `::` (one part when there is none; three or more when
    /// there are several, which is an error; `:::` leaves a part starting with `:`).
    private static func splitAtDoubleColon(_ text: Substring) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == ":", next < text.endIndex, text[next] == ":" {
                parts.append(text[start..<index])
                start = text.index(after: next)
                index = start
            } else {
                index = next
            }
        }
        parts.append(text[start...])
        return parts
    }

    /// The groups of one side of `::`; the last one may be a dotted quad (two groups).
    private static func groups(_ text: Substring, isLast: Bool) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if isLast, index == parts.count - 1, part.contains("."), let quad = parseIPv4(part) {
                groups += [UInt16(quad[0]) << 8 | UInt16(quad[1]), UInt16(quad[2]) << 8 | UInt16(quad[3])]
                continue
            }
            guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit), let value = UInt16(part, radix: 16)
            else { return nil }
            groups.append(value)
        }
        return groups
    }

    private static func octets(_ groups: [UInt16]) -> [UInt8] {
        groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}
