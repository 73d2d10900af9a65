import NIOSSL

/// A TLS version ehlo can offer: `--tls-min` picks the lowest, the highest is always TLS 1.3
/// (RFC 8446).
///
/// ### Why TLS 1.0 by default?
/// swift-nio-ssl's client default, kept: this is a console for looking at mail servers as they
/// are, and the event line names the version negotiated, so an old server is seen, not refused.
/// RFC 8996 deprecates 1.0 and 1.1 and RFC 8314 §4.1 asks mail clients for 1.2 or later:
/// `--tls-min 1.2` does that.
public enum TLSProtocolVersion: String, CaseIterable, Comparable, Hashable, Sendable, CustomStringConvertible {
    case v1_0 = "1.0"
    case v1_1 = "1.1"
    case v1_2 = "1.2"
    case v1_3 = "1.3"

    /// What ehlo offers when `--tls-min` is not given.
    public static let defaultMinimum = v1_0
    /// The newest version there is, and the highest ehlo offers.
    public static let maximum = v1_3

    /// "TLS 1.2".
    public var description: String { "TLS \(rawValue)" }

    public static func < (lhs: TLSProtocolVersion, rhs: TLSProtocolVersion) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The versions from `minimum` to TLS 1.3, as the event line names them: "TLS 1.2–1.3",
    /// "TLS 1.3 only".
    public static func offered(from minimum: TLSProtocolVersion) -> String {
        minimum == maximum ? "\(maximum) only" : "\(minimum)–\(maximum.rawValue)"
    }

    /// From the two octets of a ServerHello (RFC 8446 §4.1.3, §4.2.1): 0x0301 is TLS 1.0 … 0x0304 TLS 1.3.
    init?(wireValue: UInt16) {
        switch wireValue {
        case 0x0301: self = .v1_0
        case 0x0302: self = .v1_1
        case 0x0303: self = .v1_2
        case 0x0304: self = .v1_3
        default: return nil
        }
    }

    var nio: TLSVersion {
        switch self {
        case .v1_0: return .tlsv1
        case .v1_1: return .tlsv11
        case .v1_2: return .tlsv12
        case .v1_3: return .tlsv13
        }
    }

    init(_ version: TLSVersion) {
        switch version {
        case .tlsv1: self = .v1_0
        case .tlsv11: self = .v1_1
        case .tlsv12: self = .v1_2
        case .tlsv13: self = .v1_3
        }
    }
}
