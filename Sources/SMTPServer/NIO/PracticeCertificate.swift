import Crypto
import Foundation
import NIOSSL
import SMTPCore
import X509

/// The practice server's TLS identity: a self-signed certificate made at start, or the user's own.
enum PracticeCertificate {
    /// A fresh P-256 key and a self-signed certificate for `domain` and `localhost`, valid for 30 days.
    ///
    /// ### Why self-signed and new each time?
    /// The practice server exists to show STARTTLS, not to be trusted: clients are expected to be
    /// told `--insecure` (or to show the certificate and its problem). A key that is never written
    /// to disk cannot leak.
    static func makeSelfSigned(domain: String, now: Date = Date()) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(domain)
            OrganizationName("ehlo practice server")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(30 * 24 * 3600),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                KeyUsage(digitalSignature: true)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName(domain), .dnsName("localhost")])
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let pem = try certificate.serializeAsPEM().pemString
        return (
            try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem),
            try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
        )
    }

    /// The TLS context for STARTTLS: from PEM files when given, else generated; and the
    /// certificate in PEM, so that `ehlo --practice` can trust exactly this one, and its
    /// fingerprint, for `ehlo --pin` (what `ehlo serve` prints at start).
    static func makeContext(
        domain: String, certificateFile: String?, keyFile: String?
    ) throws -> (context: NIOSSLContext, certificatePEM: String?, fingerprint: CertificateFingerprint?) {
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        if let certificateFile, let keyFile {
            certificates = try NIOSSLCertificate.fromPEMFile(certificateFile)
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } else {
            let (certificate, generatedKey) = try makeSelfSigned(domain: domain)
            certificates = [certificate]
            key = generatedKey
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        let der = try certificates.first?.toDERBytes()
        let pem = try der.map { try Certificate(derEncoded: $0).serializeAsPEM().pemString }
        let fingerprint = der.map { CertificateFingerprint(sha256Digest: SHA256.hash(data: $0)) }
        return (try NIOSSLContext(configuration: configuration), pem, fingerprint)
    }
}
