/// The SHA-256 digest of a certificate's DER encoding: what `/cert` shows, what `ehlo serve`
/// prints at start, and what `--pin` accepts.
///
/// Written `sha256:` and 32 colon-separated upper-case hex octets (`sha256:AB:CD:…`), the form
/// `openssl x509 -fingerprint -sha256` prints after its `=`. Read with or without the colons, in
/// either case, so that a fingerprint copied from any of those places is taken as it is.
public struct CertificateFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The 32 octets of the SHA-256 digest.
    public let digest: [UInt8]

    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// It does not start with `sha256:` (the only digest `--pin` takes).
        case noAlgorithm(String)
        /// After `sha256:`, not 64 hex digits (colons between octets allowed).
        case notHex(String)

        public var description: String {
            switch self {
            case .noAlgorithm(let text):
                return
                    "'\(text)' is not a fingerprint: write sha256: and 64 hex digits (as /cert or ehlo serve show it)"
            case .notHex(let text):
                return "'\(text)': a SHA-256 fingerprint is 64 hex digits after sha256: (colons between octets allowed)"
            }
        }
    }

    /// - Precondition: `digest` has 32 octets.
    public init(sha256Digest digest: some Sequence<UInt8>) {
        self.digest = Array(digest)
        precondition(self.digest.count == 32, "a SHA-256 digest has 32 octets")
    }

    /// `sha256:` and 64 hex digits, colons between octets allowed, any case.
    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.trimmingSpaces
        guard trimmed.lowercased().hasPrefix("sha256:") else { throw .noAlgorithm(text) }
        let body = trimmed.dropFirst("sha256:".count)
        let hex = body.filter { $0 != ":" }
        // Colons, when present, sit between octets: `AB:CD`, not `A:BCD`.
        let isGrouped =
            !body.contains(":")
            || body.split(separator: ":", omittingEmptySubsequences: false).allSatisfy { $0.count == 2 }
        guard isGrouped, hex.count == 64, hex.allSatisfy(\.isHexDigit) else { throw .notHex(text) }
        var octets: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            octets.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(sha256Digest: octets)
    }

    /// `AB:CD:…`, as `/cert` shows it after `SHA-256:`.
    public var hex: String {
        digest.map { octet in
            let digits = String(octet, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    /// `sha256:AB:CD:…`, the form `--pin` takes.
    public var description: String { "sha256:" + hex }
}
