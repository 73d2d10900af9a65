import Foundation
import Testing

@testable import SMTPClient

/// The PEM files the TLS options name, read before connecting: each way a file can be unusable
/// is named with its option and path.
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
