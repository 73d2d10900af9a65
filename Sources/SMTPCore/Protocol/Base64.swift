import Foundation

/// Base64 as RFC 4648 §4 defines it, read strictly.
///
/// ### Why not `Data(base64Encoded:)` alone?
/// It accepts text that is not base64 (a length that is not a multiple of four, found by
/// FuzzSASL). SASL's challenges and responses must be base64 (RFC 4954 §4): a debugging console
/// must say when a server's 334 is not, rather than show a decoding of it, and the practice
/// server must answer such a response with 501.
public enum Base64 {
    /// The decoded bytes, or nil unless the text is quads of the alphabet, `=` only as the last
    /// one or two characters.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { return nil }
        let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
        guard padding <= 2, bytes.dropLast(padding).allSatisfy(isAlphabet) else { return nil }
        return Data(base64Encoded: Data(bytes)).map(Array.init)
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }
}
