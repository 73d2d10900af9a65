import Crypto
import Foundation
import NIOSSL
import SMTPCore
import SwiftASN1
import X509

/// The practice server's TLS identity: a self-signed certificate made at start, or the user's own.
enum PracticeCertificate {
    /// A fresh P-256 key and a self-signed certificate for `domain`, `localhost`, 127.0.0.1, ::1
    /// and `addresses` (the listen address, or every interface's when it listens on all), valid
    /// for 30 days.
    ///
    /// ### Why self-signed and new each time?
    /// The practice server exists to show STARTTLS, not to be trusted by the world: a class trusts
    /// this one certificate, by the fingerprint `ehlo serve` prints (`ehlo --pin`) or by the PEM
    /// file it writes (`--export-cert`, for `ehlo --cafile`). A key that is never written to disk
    /// cannot leak. RFC 6125 §6.2.1 (and RFC 5280 §4.2.1.6) match an IP address only against an
    /// iPAddress name, never a dNSName written as digits, so each address is one.
    static func makeSelfSigned(
        domain: String, addresses: [IPAddress] = [], now: Date = Date()
    ) throws -> (NIOSSLCertificate, NIOSSLPrivateKey) {
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
                SubjectAlternativeNames(subjectAlternativeNames(domain: domain, addresses: addresses))
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let pem = try certificate.serializeAsPEM().pemString
        return (
            try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem),
            try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
        )
    }

    /// The names the generated certificate covers, each once.
    static func subjectAlternativeNames(domain: String, addresses: [IPAddress]) -> [GeneralName] {
        var names: [GeneralName] = [.dnsName(domain)]
        if domain.lowercased() != "localhost" { names.append(.dnsName("localhost")) }
        var seen: [IPAddress] = []
        for address in [IPAddress.v4([127, 0, 0, 1]), .v6(Array(repeating: 0, count: 15) + [1])] + addresses
        where !seen.contains(where: { $0.isSameAddress(as: address) }) {
            seen.append(address)
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address.octets))))
        }
        return names
    }

    /// `localhost`, `127.0.0.1`, `::1`: a name as `ehlo serve` prints it.
    static func describe(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let name): return name
        case .ipAddress(let octets): return IPAddress(octets: octets.bytes).map(\.description) ?? "\(octets)"
        default: return "\(name)"
        }
    }

    /// The TLS context for STARTTLS: from PEM files when given, else generated; and the
    /// certificate in PEM, so that `ehlo --practice` can trust exactly this one, and its
    /// fingerprint, for `ehlo --pin` (what `ehlo serve` prints at start).
    static func makeContext(
        domain: String, addresses: [IPAddress] = [], certificateFile: String?, keyFile: String?
    ) throws -> (context: NIOSSLContext, certificatePEM: String?, fingerprint: CertificateFingerprint?) {
        let certificates: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        if let certificateFile, let keyFile {
            certificates = try NIOSSLCertificate.fromPEMFile(certificateFile)
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } else {
            let (certificate, generatedKey) = try makeSelfSigned(domain: domain, addresses: addresses)
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
