import Foundation
import NIOSSL
import SMTPCore
import SwiftASN1
import X509

/// The certificate (chain) and private key the client offers when the server asks for one
/// (`--cert FILE --key FILE`; RFC 8446 §4.4.2, RFC 5246 §7.4.6), loaded and checked once,
/// before connecting.
public struct ClientCertificate: Hashable, Sendable {
    public let certificateFile: String
    public let keyFile: String
    /// The leaf's subject, escaped for the screen, as the TLS event line names it.
    public let subject: String
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    /// Reads both files and checks that the key is the certificate's.
    ///
    /// - Throws: `TLSFileError` naming `--cert` or `--key`: a file missing or unreadable, no
    ///   certificate or no (unencrypted) key in it, or a key that belongs to another certificate.
    public static func load(certificateFile: String, keyFile: String) throws(TLSFileError) -> ClientCertificate {
        let certificates = try TLSFiles.certificates(inFile: certificateFile, option: "--cert")
        let keyText = try TLSFiles.read(keyFile, option: "--key")
        // `openssl ecparam -genkey` writes EC PARAMETERS before the key: take the key's block.
        let blocks = (try? PEMDocument.parseMultiple(pemString: keyText)) ?? []
        if blocks.contains(where: { $0.discriminator == "ENCRYPTED PRIVATE KEY" }) {
            throw TLSFileError(option: "--key", path: keyFile, reason: .encryptedKey)
        }
        guard let block = blocks.first(where: { $0.discriminator.hasSuffix("PRIVATE KEY") }),
            let privateKey = try? Certificate.PrivateKey(pemDocument: block),
            let nioKey = try? NIOSSLPrivateKey(bytes: Array(block.pemString.utf8), format: .pem)
        else { throw TLSFileError(option: "--key", path: keyFile, reason: .noPrivateKey) }
        guard privateKey.publicKey == certificates[0].publicKey else {
            throw TLSFileError(
                option: "--key", path: keyFile, reason: .keyDoesNotMatchCertificate(certificateFile: certificateFile))
        }
        guard let chain = try? TLSFiles.nioCertificates(certificates) else {
            throw TLSFileError(option: "--cert", path: certificateFile, reason: .noCertificate)
        }
        return ClientCertificate(
            certificateFile: certificateFile, keyFile: keyFile,
            subject: VisibleText.escape("\(certificates[0].subject)"), chain: chain, key: nioKey)
    }
}
