import SMTPCore
import Testing

/// `--pin`'s argument: `sha256:` and 64 hex digits, as /cert, `ehlo serve` and openssl write it.
@Suite struct CertificateFingerprintTests {
    static let digest: [UInt8] = (0..<32).map { UInt8($0 * 8) }
    static let shown =
        "sha256:"
        + digest.map { octet in
            let hex = String(octet, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")

    @Test func isWrittenAsColonSeparatedUpperCaseHex() {
        let fingerprint = CertificateFingerprint(sha256Digest: Self.digest)
        #expect(fingerprint.description == Self.shown)
        #expect(fingerprint.description.hasPrefix("sha256:00:08:10:18:"))
        #expect(fingerprint.hex == String(Self.shown.dropFirst("sha256:".count)))
    }

    @Test(arguments: [
        shown, shown.lowercased(), "SHA256:" + shown.dropFirst(7).replacingColons(), " " + shown + " ",
    ])
    func isReadWithOrWithoutColonsInAnyCase(text: String) throws {
        #expect(try CertificateFingerprint(parsing: text) == CertificateFingerprint(sha256Digest: Self.digest))
    }

    @Test(arguments: [
        (String(shown.dropFirst(7)), CertificateFingerprint.ParseError.noAlgorithm(String(shown.dropFirst(7)))),
        ("sha1:" + shown.dropFirst(7), .noAlgorithm("sha1:" + shown.dropFirst(7))),
        (String(shown.dropLast(3)), .notHex(String(shown.dropLast(3)))),
        (shown + ":00", .notHex(shown + ":00")),
        ("sha256:" + String(repeating: "G", count: 64), .notHex("sha256:" + String(repeating: "G", count: 64))),
        ("sha256:0:" + String(repeating: "A", count: 63), .notHex("sha256:0:" + String(repeating: "A", count: 63))),
    ])
    func anythingElseIsRefusedWithTheReason(text: String, error: CertificateFingerprint.ParseError) {
        #expect(throws: error) { try CertificateFingerprint(parsing: text) }
    }
}

extension Substring {
    fileprivate func replacingColons() -> String {
        filter { $0 != ":" }
    }
}
