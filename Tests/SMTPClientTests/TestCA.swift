import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A CA made in the test, and the certificates it issues: for servers (serverAuth) and for
/// clients (clientAuth), with DNS names or IP addresses.
struct TestCA {
    let key = P256.Signing.PrivateKey()
    let name: DistinguishedName
    let certificate: Certificate

    init(name commonName: String = "ehlo test CA") throws {
        name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
    }

    var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    var nioCertificate: NIOSSLCertificate {
        get throws { try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem) }
    }

    /// Writes the CA's certificate to a temporary file (for --cafile); the caller removes it.
    func writePEM() throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-test-ca-\(UUID()).pem")
        try pem.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func issue(commonName: String, names: [GeneralName], usage: ExtendedKeyUsage.Usage = .serverAuth) throws
        -> TLSLoopbackTests.Identity
    {
        let leafKey = P256.Signing.PrivateKey()
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: name, subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([usage])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return try TLSLoopbackTests.Identity(leaf, key: leafKey)
    }
}

extension TLSLoopbackTests.Identity {
    init(_ certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        let pem = try certificate.serializeAsPEM().pemString
        self.init(
            certificate: try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem),
            key: try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem), pem: pem,
            keyPEM: key.pemRepresentation)
    }
}

extension GeneralName {
    /// An iPAddress name (RFC 5280 §4.2.1.6): 4 or 16 octets.
    static func ip(_ octets: [UInt8]) -> GeneralName {
        .ipAddress(ASN1OctetString(contentBytes: ArraySlice(octets)))
    }

    static let ipv6Loopback = ip(Array(repeating: 0, count: 15) + [1])
    static let ipv4Loopback = ip([127, 0, 0, 1])
}
