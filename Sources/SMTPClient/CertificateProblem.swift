import Foundation
import SMTPCore

/// One reason the server's certificate is not trusted, as `CertificateCheck` finds it.
///
/// The console picks its advice by the case (`--sni` for a name, `--cafile` for an issuer), tests
/// compare cases, and `description` is the clause people read after "the server's certificate is
/// not trusted: ". Names and issuers are the peer's text, already escaped for the screen.
public enum CertificateProblem: Hashable, Sendable, CustomStringConvertible {
    /// Past its notAfter (RFC 5280 §4.1.2.5).
    case expired(on: Date)
    /// Before its notBefore (RFC 5280 §4.1.2.5): issued for later, or this machine's clock is wrong.
    case notYetValid(until: Date)
    /// No name in it matches the one expected (RFC 6125 §6.4): the `--sni` name, else the host
    /// connected to. `names` are its subjectAltNames, empty if it has none; addresses (an
    /// expected one, and iPAddress names) in RFC 5952's canonical form, compared as octets.
    case nameMismatch(expected: String, names: [String])
    /// It is its own issuer, and was not given to trust.
    case selfSigned
    /// Its chain leads to no trusted root; the issuer's name, and whether the roots were
    /// `--cafile`'s rather than the system's.
    case untrustedIssuer(String, isCAFileGiven: Bool)
    /// What the server sent could not be decoded as X.509 certificates.
    case unparsable
    /// The certificates to trust could not be loaded: `path` is `--cafile`'s (nil for the practice
    /// server's own), `reason` the loader's error.
    case unreadableCAFile(path: String?, reason: String)
    /// `--pin` named another certificate: the leaf's SHA-256 fingerprint is `presented`. Nothing
    /// else is checked with a pin, so this is the only problem then.
    case pinMismatch(pinned: CertificateFingerprint, presented: CertificateFingerprint)

    public var description: String {
        switch self {
        case .expired(let date):
            return "it expired on \(RFC3339.format(date.timeIntervalSince1970))"
        case .notYetValid(let date):
            return "it is not valid before \(RFC3339.format(date.timeIntervalSince1970))"
        case .nameMismatch(let expected, let names):
            return "it is for \(names.isEmpty ? "no DNS name" : names.joined(separator: ", ")), not \(expected)"
        case .selfSigned:
            return "it is self-signed"
        case .untrustedIssuer(let issuer, let isCAFileGiven):
            return "its issuer (\(issuer)) is not a CA this machine trusts\(isCAFileGiven ? " (--cafile)" : "")"
        case .unparsable:
            return "the server's certificate could not be parsed"
        case .unreadableCAFile(let path, let reason):
            return "cannot load --cafile \(path ?? ""): \(reason)"
        case .pinMismatch(let pinned, let presented):
            return "it is not the pinned certificate: its fingerprint is \(presented), --pin says \(pinned)"
        }
    }

    /// The problems as one clause list, e.g. "it expired on …; it is for mx.test, not localhost".
    public static func sentence(_ problems: [CertificateProblem]) -> String {
        problems.map(\.description).joined(separator: "; ")
    }
}
