import Foundation
import FuzzSupport
import SMTPClient
import SMTPCore

/// The client's side of SASL (RFC 4954 §4): decoding 334 challenges and answering them.
///
/// The input is used as a challenge's text as the server sent it, and its bytes as the decoded
/// challenge of a well-behaved server. Invariants: text that is not base64 (RFC 4648 §4) is
/// never decoded: the annotation says nothing and CRAM-MD5 gives no answer; text that is
/// base64 is shown decoded, terminal-safe, and the shown form unescapes to the decoded bytes;
/// encoding then decoding any bytes gives them back; every answer ehlo builds is base64 that
/// decodes to what RFC 4616, RFC 2195 and the LOGIN and XOAUTH2 mechanisms prescribe.
enum SASLFuzz {
    static let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let challenge = SMTPReply(code: 334, lines: [ReplyLine(bytes: Array("334 ".utf8) + data)])
        let trimmed = challenge.texts[0].trimmingCharacters(in: .whitespaces)
        let decoded = ReplyAnnotator.decodedChallenge(challenge)
        if !looksLikeBase64(Array(trimmed.utf8)) {
            Fuzz.check(decoded == nil, "text that is not base64 was decoded: \(data)")
            Fuzz.check(
                SASL.cramMD5(user: "u", password: "p", challenge: trimmed) == nil, "CRAM-MD5 answered non-base64")
        }
        if let decoded {
            Fuzz.check(Fuzz.isTerminalSafe(decoded), "decoded challenge not terminal-safe")
            let bytes = Data(base64Encoded: challenge.texts[0].trimmingCharacters(in: .init(charactersIn: " \t"))).map(
                Array.init)
            Fuzz.check(
                bytes.map { VisibleText.unescape(decoded) == $0 } ?? true, "shown form does not unescape to the bytes")
        }
        if let answer = SASL.cramMD5(user: "alice", password: text, challenge: trimmed) {
            let words = String(decoding: decodeOrFail(answer), as: UTF8.self).split(separator: " ")
            Fuzz.check(words.count == 2 && words[0] == "alice", "CRAM-MD5 answer is not `user digest`")
            Fuzz.check(
                words[1].count == 32 && words[1].allSatisfy(\.isHexDigit), "CRAM-MD5 digest is not 32 hex digits")
        }

        // A well-behaved server: the input's bytes as the challenge.
        let encoded = Data(data).base64EncodedString()
        let good = SMTPReply(code: 334, lines: [ReplyLine(bytes: Array("334 \(encoded)".utf8))])
        if !data.isEmpty {
            guard let shown = ReplyAnnotator.decodedChallenge(good) else {
                Fuzz.check(false, "a base64 challenge was not decoded")
                return
            }
            Fuzz.check(VisibleText.unescape(shown) == data, "challenge round trip lost bytes")
            Fuzz.check(Fuzz.isTerminalSafe(shown), "decoded challenge not terminal-safe")
        }
        Fuzz.check(
            SASL.cramMD5(user: "alice", password: "pw", challenge: encoded) != nil,
            "CRAM-MD5 refused a base64 challenge")

        // The answers: what they decode to.
        let parts = text.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts[0]
        let secret = parts.count > 1 ? parts[1] : ""
        Fuzz.check(
            decodeOrFail(SASL.plain(user: user, password: secret)) == [0] + Array(user.utf8) + [0] + Array(secret.utf8),
            "PLAIN")
        Fuzz.check(decodeOrFail(SASL.login(user)) == Array(user.utf8), "LOGIN")
        Fuzz.check(
            decodeOrFail(SASL.xoauth2(user: user, token: secret))
                == Array("user=\(user)\u{1}auth=Bearer \(secret)\u{1}\u{1}".utf8),
            "XOAUTH2")

        // The session, asked whether the 334 wants a user name.
        var session = SessionStateMachine()
        session.connectionOpened(at: 0)
        _ = session.replyReceived(SMTPReply(220, "mx.example.test ESMTP"))
        _ = session.commandSent(SMTPCommand(line: "EHLO client.test"), at: 0)
        _ = session.replyReceived(SMTPReply(250, "mx.example.test", "AUTH LOGIN PLAIN CRAM-MD5"))
        _ = session.commandSent(SMTPCommand(line: "AUTH LOGIN"), at: 0)
        let outcome = session.replyReceived(challenge)
        _ = session.isUserNameAsked
        for line in ReplyAnnotator.lines(for: outcome, level: .full) {
            Fuzz.check(Fuzz.isTerminalSafe(line.text), "\(line.kind) line not terminal-safe: \(line.text)")
        }
    }

    /// RFC 4648 §4's alphabet, in quads, with `=` only as the last one or two characters.
    static func looksLikeBase64(_ bytes: [UInt8]) -> Bool {
        guard bytes.count % 4 == 0 else { return false }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        return padding <= 2 && bytes.dropLast(padding).allSatisfy { alphabet.contains($0) }
    }

    static func decodeOrFail(_ base64: String) -> [UInt8] {
        guard let data = Data(base64Encoded: base64) else {
            Fuzz.check(false, "ehlo's own base64 does not decode: \(base64)")
            return []
        }
        return Array(data)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    SASLFuzz.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if EHLO_FUZZING
    @_cdecl("FuzzSASL_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        Fuzz.runLibFuzzer(argc, argv, fuzzTestOneInput)
    }
#else
    @main struct FuzzSASLMain {
        static func main() {
            Fuzz.replay("FuzzSASL", arguments: Array(CommandLine.arguments.dropFirst()), SASLFuzz.run)
        }
    }
#endif
