import Crypto
import Foundation
import SMTPCore

/// One SASL exchange after `AUTH` (RFC 4954 §4): PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login)
/// or CRAM-MD5 (RFC 2195).
///
///     AUTH PLAIN            --> 334 ""            --> base64(authzid NUL user NUL password)
///     AUTH LOGIN            --> 334 "Username:"   --> base64(user) --> 334 "Password:" --> base64(password)
///     AUTH CRAM-MD5         --> 334 base64(<nonce@domain>) --> base64(user SP hex(HMAC-MD5(password, challenge)))
///
/// A response of `*` cancels (501); a response that is not base64 is malformed (501).
struct SASLExchange: Sendable {
    enum Mechanism: String, CaseIterable, Sendable {
        case plain = "PLAIN"
        case login = "LOGIN"
        case cramMD5 = "CRAM-MD5"
    }

    /// What the exchange has come to after a response.
    enum Step: Hashable, Sendable {
        /// Send `334 <text>`; `text` is already base64.
        case challenge(String)
        case succeeded(user: String)
        case failed(user: String?)
        case malformed
        case cancelled
    }

    private enum State: Sendable {
        case awaitingPlain
        case awaitingLoginUser
        case awaitingLoginPassword(user: String)
        case awaitingCRAM(challenge: String)
    }

    let mechanism: Mechanism
    private var state: State
    private let users: [String: String]

    /// Starts an exchange; the step says whether to send a challenge or the outcome at once.
    ///
    /// - Parameters:
    ///   - initialResponse: the base64 text after the mechanism (RFC 4954 §4), `=` for an empty one.
    ///   - challenge: the CRAM-MD5 challenge to offer, unique to this exchange (RFC 2195 §2).
    static func start(
        _ mechanism: Mechanism, initialResponse: String?, challenge: String, users: [String: String]
    ) -> (exchange: SASLExchange, step: Step) {
        switch mechanism {
        case .plain:
            var exchange = SASLExchange(mechanism: mechanism, state: .awaitingPlain, users: users)
            guard let initialResponse else { return (exchange, .challenge("")) }
            // The step first: a tuple would copy `exchange` before the mutation.
            let step = exchange.responseReceived(initialResponse)
            return (exchange, step)
        case .login:
            var exchange = SASLExchange(mechanism: mechanism, state: .awaitingLoginUser, users: users)
            guard let initialResponse else { return (exchange, .challenge(Self.base64("Username:"))) }
            let step = exchange.responseReceived(initialResponse)
            return (exchange, step)
        case .cramMD5:
            let exchange = SASLExchange(mechanism: mechanism, state: .awaitingCRAM(challenge: challenge), users: users)
            // RFC 2195 has the server speak first: an initial response cannot be right.
            guard initialResponse == nil else { return (exchange, .malformed) }
            return (exchange, .challenge(Self.base64(challenge)))
        }
    }

    private init(mechanism: Mechanism, state: State, users: [String: String]) {
        self.mechanism = mechanism
        self.state = state
        self.users = users
    }

    /// The client answered the last challenge with `line`.
    mutating func responseReceived(_ line: String) -> Step {
        let line = line.trimmingCharacters(in: .whitespaces)
        if line == "*" { return .cancelled }
        let decoded: [UInt8]
        if line == "=" || line.isEmpty {
            decoded = []
        } else {
            // RFC 4954 §4: a response that is not base64 is rejected with 501.
            guard let bytes = Base64.decode(line) else { return .malformed }
            decoded = bytes
        }
        switch state {
        case .awaitingPlain:
            let parts = decoded.split(separator: 0, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
            guard parts.count == 3 else { return .malformed }
            let (authorizationID, user, password) = (parts[0], parts[1], parts[2])
            // RFC 4616 §2: acting as another identity is not something this server allows.
            guard authorizationID.isEmpty || authorizationID == user else { return .failed(user: user) }
            return users[user] == password ? .succeeded(user: user) : .failed(user: user)
        case .awaitingLoginUser:
            let user = String(decoding: decoded, as: UTF8.self)
            state = .awaitingLoginPassword(user: user)
            return .challenge(Self.base64("Password:"))
        case .awaitingLoginPassword(let user):
            let password = String(decoding: decoded, as: UTF8.self)
            return users[user] == password ? .succeeded(user: user) : .failed(user: user)
        case .awaitingCRAM(let challenge):
            let text = String(decoding: decoded, as: UTF8.self)
            guard let space = text.lastIndex(of: " ") else { return .malformed }
            let user = String(text[..<space])
            let digest = text[text.index(after: space)...].lowercased()
            guard let password = users[user] else { return .failed(user: user) }
            return Self.cramDigest(challenge: challenge, password: password) == digest
                ? .succeeded(user: user) : .failed(user: user)
        }
    }

    /// RFC 2195 §2: the hex digits of HMAC-MD5 keyed with the password over the challenge.
    static func cramDigest(challenge: String, password: String) -> String {
        let key = SymmetricKey(data: Array(password.utf8))
        let mac = HMAC<Insecure.MD5>.authenticationCode(for: Array(challenge.utf8), using: key)
        return mac.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
