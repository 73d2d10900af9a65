/// What DNS needs of an address: reading one from an A or AAAA record's data, the IPv4 address
/// inside an IPv4-mapped one, and the name its PTR records are found under.
extension IPAddress {
    /// An address from the octets of an A (4) or AAAA (16) record's data; nil for another length.
    public init?(octets: [UInt8]) {
        switch octets.count {
        case 4: self = .v4(octets)
        case 16: self = .v6(octets)
        default: return nil
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) as the IPv4 address it
    /// carries (a dual-stack socket reports IPv4 peers so); any other address unchanged.
    public var unmapped: IPAddress {
        guard case .v6(let octets) = self, octets.prefix(10).allSatisfy({ $0 == 0 }), octets[10] == 0xff,
            octets[11] == 0xff
        else { return self }
        return .v4(Array(octets.suffix(4)))
    }

    /// The name whose PTR records name this address: `1.2.0.192.in-addr.arpa` (RFC 1035 §3.5),
    /// or the 32 nibbles in reverse under `ip6.arpa` (RFC 3596 §2.5). An IPv4-mapped address
    /// is looked up as its IPv4 address.
    public var reverseName: String {
        switch unmapped {
        case .v4(let octets):
            return octets.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        case .v6(let octets):
            let nibbles = octets.flatMap { [$0 >> 4, $0 & 0x0f] }
            return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
        }
    }
}
