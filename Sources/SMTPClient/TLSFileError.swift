/// A PEM file given on the command line (`--cafile`, `--cert`, `--key`) that cannot be used:
/// which option, which file, and why. The command line reports it as a usage error, before
/// connecting, so that a typo in a path is not taken for a server's fault.
public struct TLSFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        case noSuchFile
        case isDirectory
        case notReadable
        /// No `-----BEGIN CERTIFICATE-----` in it, or one that does not decode (RFC 7468 §5).
        case noCertificate
        /// No private key in a form BoringSSL and swift-certificates both read (PKCS #8, SEC 1
        /// or PKCS #1 PEM, unencrypted).
        case noPrivateKey
        /// An `ENCRYPTED PRIVATE KEY`: ehlo asks for no passphrase.
        case encryptedKey
        /// The key is not the one whose public half the certificate carries.
        case keyDoesNotMatchCertificate(certificateFile: String)
    }

    /// `--cafile`, `--cert` or `--key`.
    public let option: String
    public let path: String
    public let reason: Reason

    public init(option: String, path: String, reason: Reason) {
        self.option = option
        self.path = path
        self.reason = reason
    }

    /// Why, without the option and path: "no such file".
    public var why: String {
        switch reason {
        case .noSuchFile: return "no such file"
        case .isDirectory: return "it is a directory, not a file"
        case .notReadable: return "permission denied"
        case .noCertificate: return "no PEM certificate in it (-----BEGIN CERTIFICATE-----)"
        case .noPrivateKey: return "no unencrypted PEM private key in it (-----BEGIN PRIVATE KEY-----)"
        case .encryptedKey: return "the key is encrypted; write a decrypted copy (openssl pkey -in KEY -out FILE)"
        case .keyDoesNotMatchCertificate(let certificateFile):
            return "this key does not belong to the certificate in \(certificateFile)"
        }
    }

    /// "--cafile /etc/ca.pem: no such file".
    public var description: String { "\(option) \(path): \(why)" }
}
