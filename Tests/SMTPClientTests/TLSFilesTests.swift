import Foundation
import Testing
import X509

@testable import SMTPClient

/// The PEM files the TLS options name (`--cafile`, `--cert`, `--key`), read before connecting:
/// each way a file can be unusable is named with its option and path.
@Suite struct TLSFilesTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-files-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    private func write(_ text: String, _ name: String) throws -> String {
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    private func pair(_ name: String = "student") throws -> (certificate: String, key: String) {
        let identity = try TestCA().issue(commonName: name, names: [.dnsName("\(name).test")], usage: .clientAuth)
        return (try write(identity.pem, "\(name).pem"), try write(identity.keyPEM, "\(name).key"))
    }

    @Test func aCertificateAndItsKeyAreLoaded() throws {
        let (certificate, key) = try pair()
        defer { try? FileManager.default.removeItem(at: folder) }
        let client = try ClientCertificate.load(certificateFile: certificate, keyFile: key)
        #expect(client.subject == "CN=student")
        #expect(client.chain.count == 1)
    }

    @Test func aKeyAfterECParametersIsFound() throws {
        let (certificate, key) = try pair()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
        let both = try write(parameters + String(contentsOfFile: key, encoding: .utf8), "both.key")
        #expect(try ClientCertificate.load(certificateFile: certificate, keyFile: both).subject == "CN=student")
    }

    @Test func eachUnusableFileIsNamedWithItsOption() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (certificate, key) = try pair()
        let (_, otherKey) = try pair("other")
        let missing = folder.appendingPathComponent("missing.pem").path
        let text = try write("not a certificate\n", "text.pem")
        let encrypted = try write(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted.key")
        let cases: [(String, String, TLSFileError)] = [
            (missing, key, TLSFileError(option: "--cert", path: missing, reason: .noSuchFile)),
            (folder.path, key, TLSFileError(option: "--cert", path: folder.path, reason: .isDirectory)),
            (text, key, TLSFileError(option: "--cert", path: text, reason: .noCertificate)),
            (key, key, TLSFileError(option: "--cert", path: key, reason: .noCertificate)),
            (certificate, missing, TLSFileError(option: "--key", path: missing, reason: .noSuchFile)),
            (certificate, certificate, TLSFileError(option: "--key", path: certificate, reason: .noPrivateKey)),
            (certificate, encrypted, TLSFileError(option: "--key", path: encrypted, reason: .encryptedKey)),
            (
                certificate, otherKey,
                TLSFileError(
                    option: "--key", path: otherKey, reason: .keyDoesNotMatchCertificate(certificateFile: certificate))
            ),
        ]
        for (certificateFile, keyFile, expected) in cases {
            #expect(throws: expected) { try ClientCertificate.load(certificateFile: certificateFile, keyFile: keyFile) }
        }
        #expect(
            TLSFileError(
                option: "--key", path: otherKey, reason: .keyDoesNotMatchCertificate(certificateFile: certificate)
            )
            .description == "--key \(otherKey): this key does not belong to the certificate in \(certificate)")
    }

    @Test func aCAFileMustHoldACertificate() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("ca.pem").path
        #expect(throws: TLSFileError(option: "--cafile", path: missing, reason: .noSuchFile)) {
            try TLSFiles.checkCAFile(missing)
        }
        #expect(
            TLSFileError(option: "--cafile", path: missing, reason: .noSuchFile).description
                == "--cafile \(missing): no such file")
        let text = try write("hello\n", "text.pem")
        #expect(throws: TLSFileError(option: "--cafile", path: text, reason: .noCertificate)) {
            try TLSFiles.checkCAFile(text)
        }
        let ca = try write(try TestCA().pem, "good.pem")
        try TLSFiles.checkCAFile(ca)
    }
}
