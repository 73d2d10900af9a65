import Crypto
import Foundation
import SMTPCore

/// The client side of the SASL mechanisms `/auth` speaks (RFC 4954 over SMTP).
///
/// Each function returns the base64 line to send; none keeps a secret beyond the call.
public enum SASL {
    public enum Mechanism: String, CaseIterable, Sendable {
        case plain = "PLAIN"
        case login = "LOGIN"
        case cramMD5 = "CRAM-MD5"
        case xoauth2 = "XOAUTH2"
    }

    /// RFC 4616 §2: `authzid NUL authcid NUL passwd`, here with an empty authzid.
    public static func plain(user: String, password: String) -> String {
        Data(([0] + Array(user.utf8) + [0] + Array(password.utf8))).base64EncodedString()
    }

    /// The LOGIN mechanism (draft-murchison-sasl-login): user name, then password, each base64.
    public static func login(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    /// RFC 2195 §2: `user SP hex(HMAC-MD5(password, challenge))`, base64. Nil if the challenge is not base64.
    public static func cramMD5(user: String, password: String, challenge: String) -> String? {
        guard let bytes = Base64.decode(challenge.trimmingCharacters(in: .whitespaces)) else { return nil }
        let challenge = Data(bytes)
        let key = SymmetricKey(data: Data(password.utf8))
        let digest = HMAC<Insecure.MD5>.authenticationCode(for: challenge, using: key)
        let digits = Array("0123456789abcdef".utf8)
        let hex = digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
        return Data(Array("\(user) ".utf8) + hex).base64EncodedString()
    }

    /// Google's and Microsoft's XOAUTH2: `user=U ^A auth=Bearer TOKEN ^A ^A`, base64.
    public static func xoauth2(user: String, token: String) -> String {
        Data("user=\(user)\u{1}auth=Bearer \(token)\u{1}\u{1}".utf8).base64EncodedString()
    }
}
