import Crypto
import Foundation
import NIOSSL
import SMTPCore
import SwiftASN1
import X509

/// Checks the server's certificate chain with swift-certificates and says why it fails, as
/// `CertificateProblem`s.
///
/// ### Why not let BoringSSL verify?
/// BoringSSL answers "certificate verify failed" and little more. A mail administrator needs to
/// know *which* of the usual causes it is — expired, self-signed, issued for another name, or by
/// a CA this machine does not trust — and what to do about it (`--cafile`, `--insecure`).
///
/// ### Why compare addresses ourselves?
/// swift-certificates matches an iPAddress name only in the same family, and our own refusal
/// must say the same as our acceptance: `IPAddress` takes `[::1]`, `::1` and `0:0:0:0:0:0:0:1`
/// as one address, and an IPv4 address as its IPv4-mapped form (RFC 4291 §2.5.5.2). So for an
/// address the chain is validated without an identity policy and the name is checked here.
struct CertificateCheck: Sendable {
    /// The name the certificate must carry (the `--sni` name, else the host connected to).
    let expectedName: String
    let caFile: String?
    var trustedPEM: String? = nil
    /// `--pin`: the leaf must have this fingerprint, and nothing else is asked of it.
    var pin: CertificateFingerprint? = nil

    struct Outcome: Sendable {
        var chain: [CertificateSummary]
        /// Empty when verified; otherwise why not, in the order `description` joins them.
        var problems: [CertificateProblem]
        var root: String?
    }

    func check(_ presented: [NIOSSLCertificate]) async -> Outcome {
        if let pin {
            return checkPin(pin, presented)
        }
        let certificates = presented.compactMap { certificate -> Certificate? in
            guard let der = try? certificate.toDERBytes() else { return nil }
            return try? Certificate(derEncoded: der)
        }
        let summaries = zip(presented, certificates).map { Self.summary(of: $1, nio: $0) }
        guard let leaf = certificates.first, certificates.count == presented.count else {
            return Outcome(chain: summaries, problems: [.unparsable], root: nil)
        }
        let roots: CertificateStore
        let explicitlyTrusted: [Certificate]
        do {
            explicitlyTrusted = try explicitTrust()
            roots =
                explicitlyTrusted.isEmpty && caFile == nil
                ? CertificateStore.systemTrustRoots : CertificateStore(explicitlyTrusted)
        } catch let error as TLSFileError {
            return Outcome(chain: summaries, problems: [.unreadableCAFile(path: caFile, reason: error.why)], root: nil)
        } catch {
            return Outcome(
                chain: summaries, problems: [.unreadableCAFile(path: caFile, reason: "\(error)")], root: nil)
        }
        // A server certificate trusted as itself (a self-signed one given to --cafile) needs no
        // chain; RFC 5280 path validation would refuse it for not being a CA.
        if explicitlyTrusted.contains(leaf) {
            let problems = [datesProblem(of: leaf), nameProblem(of: leaf)].compactMap { $0 }
            return Outcome(
                chain: summaries, problems: problems,
                root:
                    "it is the very certificate given to trust (\(caFile.map { "--cafile \($0)" } ?? "the practice server's"))"
            )
        }
        let identity =
            IPAddress(host: expectedName) == nil ? ServerIdentityPolicy(serverHostname: expectedName, serverIP: nil) : nil
        var verifier = Verifier(rootCertificates: roots) {
            RFC5280Policy()
            if let identity { identity }
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropFirst()))
        if case .validCertificate(let chain) = result {
            // An address: the verifier had no identity policy, the name is checked here.
            if identity == nil, let problem = nameProblem(of: leaf) {
                return Outcome(chain: summaries, problems: [problem], root: nil)
            }
            return Outcome(
                chain: summaries, problems: [],
                root: chain.last.map { "its chain leads to \(VisibleText.escape("\($0.subject)"))" })
        }
        return Outcome(chain: summaries, problems: diagnose(leaf: leaf), root: nil)
    }

    /// The usual causes, the ones an administrator searches for; an untrusted issuer only when
    /// nothing else explains the refusal.
    private func diagnose(leaf: Certificate) -> [CertificateProblem] {
        var problems = [datesProblem(of: leaf), nameProblem(of: leaf)].compactMap { $0 }
        if leaf.issuer == leaf.subject {
            problems.append(.selfSigned)
        } else if problems.isEmpty {
            problems.append(.untrustedIssuer(VisibleText.escape("\(leaf.issuer)"), isCAFileGiven: caFile != nil))
        }
        return problems
    }

    /// `--pin`: the leaf's fingerprint alone decides; its chain, dates and names do not count.
    private func checkPin(_ pin: CertificateFingerprint, _ presented: [NIOSSLCertificate]) -> Outcome {
        let summaries = presented.compactMap { certificate -> CertificateSummary? in
            guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else {
                return nil
            }
            return Self.summary(of: parsed, nio: certificate)
        }
        let leafDER = (try? presented.first?.toDERBytes()) ?? []
        let fingerprint = CertificateFingerprint(sha256Digest: SHA256.hash(data: leafDER))
        guard fingerprint == pin else {
            return Outcome(chain: summaries, problems: [.pinMismatch(pinned: pin, presented: fingerprint)], root: nil)
        }
        return Outcome(chain: summaries, problems: [], root: "pinned certificate \(pin)")
    }

    /// The certificates given with `--cafile` (or by the in-process practice server); empty: the system's roots.
    private func explicitTrust() throws -> [Certificate] {
        if let caFile {
            return try TLSFiles.certificates(inFile: caFile, option: "--cafile")
        } else if let trustedPEM {
            return try NIOSSLCertificate.fromPEMBytes(Array(trustedPEM.utf8)).map {
                try Certificate(derEncoded: $0.toDERBytes())
            }
        }
        return []
    }

    private func datesProblem(of certificate: Certificate) -> CertificateProblem? {
        let now = Date()
        if certificate.notValidAfter < now { return .expired(on: certificate.notValidAfter) }
        if certificate.notValidBefore > now { return .notYetValid(until: certificate.notValidBefore) }
        return nil
    }

    /// RFC 6125 §6.4 for a name (dNSName entries), §6.2 for an address (iPAddress entries, as octets).
    private func nameProblem(of certificate: Certificate) -> CertificateProblem? {
        let entries = (try? certificate.extensions.subjectAlternativeNames).map { Array($0) } ?? []
        if let address = IPAddress(host: expectedName) {
            let matches = entries.contains { entry in
                guard case .ipAddress(let octets) = entry, let named = IPAddress(octets: octets.bytes) else {
                    return false
                }
                return named.isSameAddress(as: address)
            }
            return matches ? nil : .nameMismatch(expected: address.description, names: Self.names(in: certificate))
        }
        let matches = entries.contains { entry in
            guard case .dnsName(let dns) = entry else { return false }
            return Self.name(dns, matches: expectedName)
        }
        return matches ? nil : .nameMismatch(expected: expectedName, names: Self.names(in: certificate))
    }

    /// RFC 6125 §6.4: names compare case-insensitively; `*` stands for the whole leftmost label only.
    static func name(_ pattern: String, matches name: String) -> Bool {
        let pattern = pattern.lowercased()
        let name = name.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        if pattern.hasPrefix("*.") {
            guard let dot = name.firstIndex(of: ".") else { return false }
            return name[dot...] == pattern.dropFirst() && !name[..<dot].isEmpty
        }
        return pattern == name
    }

    /// An IPv4 or IPv6 address rather than a name (nor is anything with a colon, or all digits, one).
    static func isAddressLiteral(_ name: String) -> Bool {
        IPAddress(host: name) != nil || name.contains(":") || name.allSatisfy { $0.isNumber || $0 == "." }
    }

    private static func names(in certificate: Certificate) -> [String] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        // Certificate text is the peer's, like a greeting: never shown raw.
        return names.map { name in
            switch name {
            case .dnsName(let dns): return VisibleText.escape(dns)
            case .ipAddress(let bytes): return Self.address(bytes.bytes)
            default: return VisibleText.escape("\(name)")
            }
        }
    }

    /// An iPAddress name: 4 octets (IPv4) or 16 (IPv6), in RFC 5952's form; anything else as hex.
    private static func address(_ bytes: ArraySlice<UInt8>) -> String {
        IPAddress(octets: bytes)?.description ?? "IP?" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func summary(of certificate: Certificate, nio: NIOSSLCertificate) -> CertificateSummary {
        let der = (try? nio.toDERBytes()) ?? []
        let pem = (try? certificate.serializeAsPEM().pemString) ?? ""
        return CertificateSummary(
            subject: VisibleText.escape("\(certificate.subject)"), issuer: VisibleText.escape("\(certificate.issuer)"),
            serialNumber: certificate.serialNumber.bytes.map { String(format: "%02X", $0) }.joined(separator: ":"),
            notValidBefore: RFC3339.format(certificate.notValidBefore.timeIntervalSince1970),
            notValidAfter: RFC3339.format(certificate.notValidAfter.timeIntervalSince1970),
            subjectAlternativeNames: names(in: certificate),
            fingerprint: CertificateFingerprint(sha256Digest: SHA256.hash(data: der)), pem: pem)
    }
}
