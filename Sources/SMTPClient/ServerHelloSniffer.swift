import Foundation
import NIOCore

/// Reads the server's plaintext handshake messages as they pass by: the cipher suite and the
/// version from the ServerHello, and whether a CertificateRequest came.
///
/// ### Why sniff?
/// swift-nio-ssl tells the negotiated protocol version but not the cipher suite. The ServerHello
/// travels in the clear in every TLS version (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3), so the suite
/// can be read from the first handshake record without touching the connection's security. Up to
/// TLS 1.2 the rest of the server's first flight is in the clear too (RFC 5246 §7.3), so a
/// CertificateRequest (§7.4.4) shows: when the server then ends the handshake with a bare
/// handshake_failure alert, it is the missing client certificate it complains of. (TLS 1.3
/// encrypts it, and says `certificate_required` instead, RFC 8446 §6.2.) The version read
/// here is the one the server chose even when the client refuses it.
final class ServerHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// What the server's plaintext first flight said.
    struct Flight: Equatable {
        var cipherSuite: UInt16?
        /// From supported_versions (RFC 8446 §4.2.1) if present, else legacy_version.
        var version: TLSProtocolVersion?
        /// A CertificateRequest (handshake type 13) arrived in the clear (TLS 1.2 and older).
        var requestsClientCertificate = false
        /// The plaintext part is over (ServerHelloDone, or a record that is not a handshake).
        var isComplete = false
    }

    /// Enough for a first flight with a long certificate chain.
    private static let limit = 64 * 1024
    private var seen: [UInt8] = []
    private(set) var flight = Flight()

    var cipherSuite: UInt16? { flight.cipherSuite }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !flight.isComplete, seen.count < Self.limit {
            seen += unwrapInboundIn(data).readableBytesView.prefix(Self.limit - seen.count)
            flight = Self.flight(inRecords: seen)
        }
        context.fireChannelRead(data)
    }

    /// The cipher suite of a ServerHello at the start of `bytes`, once enough bytes are there.
    static func cipherSuite(inRecords bytes: [UInt8]) -> UInt16? {
        flight(inRecords: bytes).cipherSuite
    }

    /// What the handshake records at the start of `bytes` say, as far as they have arrived.
    ///
    ///     record:    type 22 | version (2) | length (2) | fragment …      (RFC 8446 §5.1)
    ///     handshake: type (1) | length (3) | body …   spread over fragments  (§4)
    ///     ServerHello body: version (2) | random (32) | session id (1 + n) | suite (2) |
    ///                       compression (1) | extensions (2 + …)            (§4.1.3)
    static func flight(inRecords bytes: [UInt8]) -> Flight {
        var flight = Flight()
        var handshake: [UInt8] = []
        var offset = 0
        while offset + 5 <= bytes.count {
            guard bytes[offset] == 22 else {
                flight.isComplete = true
                break
            }
            let end = offset + 5 + (Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4]))
            handshake += bytes[(offset + 5)..<min(end, bytes.count)]
            offset = end
        }
        var index = 0
        while index + 4 <= handshake.count {
            let type = handshake[index]
            let length = Int(handshake[index + 1]) << 16 | Int(handshake[index + 2]) << 8 | Int(handshake[index + 3])
            let body = handshake[(index + 4)..<min(index + 4 + length, handshake.count)]
            switch type {
            case 2: readServerHello(body, into: &flight)
            case 13: flight.requestsClientCertificate = true
            case 14: flight.isComplete = true
            default: break
            }
            // TLS 1.3 encrypts everything after the ServerHello.
            if type == 2, flight.version == .v1_3 { flight.isComplete = true }
            index += 4 + length
        }
        return flight
    }

    private static func readServerHello(_ body: ArraySlice<UInt8>, into flight: inout Flight) {
        let body = Array(body)
        guard body.count >= 2 + 32 + 1 else { return }
        var version = UInt16(body[0]) << 8 | UInt16(body[1])
        let suiteOffset = 2 + 32 + 1 + Int(body[2 + 32])
        guard body.count >= suiteOffset + 2 else { return }
        flight.cipherSuite = UInt16(body[suiteOffset]) << 8 | UInt16(body[suiteOffset + 1])
        var extensionOffset = suiteOffset + 2 + 1 + 2
        if body.count >= extensionOffset {
            while extensionOffset + 4 <= body.count {
                let type = UInt16(body[extensionOffset]) << 8 | UInt16(body[extensionOffset + 1])
                let length = Int(body[extensionOffset + 2]) << 8 | Int(body[extensionOffset + 3])
                // supported_versions: the version chosen (RFC 8446 §4.2.1).
                if type == 43, length == 2, extensionOffset + 6 <= body.count {
                    version = UInt16(body[extensionOffset + 4]) << 8 | UInt16(body[extensionOffset + 5])
                }
                extensionOffset += 4 + length
            }
        }
        flight.version = TLSProtocolVersion(wireValue: version)
    }

    /// IANA names of the suites BoringSSL negotiates.
    static func name(of suite: UInt16) -> String {
        let names: [UInt16: String] = [
            0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384",
            0x1303: "TLS_CHACHA20_POLY1305_SHA256",
            0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
            0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        ]
        return names[suite] ?? String(format: "cipher suite 0x%04X", suite)
    }
}
