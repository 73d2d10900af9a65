import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Reading the PEM files the TLS options name.
public enum TLSFiles {
    /// `--cafile`: a readable file with at least one PEM certificate, checked before connecting.
    public static func checkCAFile(_ path: String) throws(TLSFileError) {
        _ = try certificates(inFile: path, option: "--cafile")
    }

    /// The file's text, or why not.
    static func read(_ path: String, option: String) throws(TLSFileError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSFileError(option: option, path: path, reason: .noSuchFile)
        }
        guard !isDirectory.boolValue else { throw TLSFileError(option: option, path: path, reason: .isDirectory) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSFileError(option: option, path: path, reason: .notReadable)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every certificate in a PEM file, in order; at least one.
    static func certificates(inFile path: String, option: String) throws(TLSFileError) -> [Certificate] {
        let text = try read(path, option: option)
        guard let documents = try? PEMDocument.parseMultiple(pemString: text),
            case let blocks = documents.filter({ $0.discriminator == "CERTIFICATE" }), !blocks.isEmpty,
            let certificates = try? blocks.map({ try Certificate(derEncoded: $0.derBytes) })
        else { throw TLSFileError(option: option, path: path, reason: .noCertificate) }
        return certificates
    }

    /// The certificates in BoringSSL's form, for the handshake.
    static func nioCertificates(_ certificates: [Certificate]) throws -> [NIOSSLCertificate] {
        try certificates.map { certificate in
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
        }
    }
}
