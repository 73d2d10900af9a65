import SMTPCore

/// A repeatable `RandomNumberGenerator` (SplitMix64), so that a shuffle in a test gives the same
/// order on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension DNSAnswer {
    /// A NOERROR answer of MX records, (preference, exchange) as in a zone file; "." is the root.
    static func mx(_ records: [(UInt16, String)]) -> DNSAnswer {
        DNSAnswer(
            responseCode: .noError,
            records: records.map {
                DNSRecord(name: "example.test", data: .mx(preference: $0.0, exchange: $0.1 == "." ? "" : $0.1))
            })
    }
}
