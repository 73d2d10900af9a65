import Foundation
import NIOCore

/// Reads the cipher suite out of the server's ServerHello as it passes by.
///
/// ### Why sniff?
/// swift-nio-ssl tells the negotiated protocol version but not the cipher suite. The ServerHello
/// travels in the clear in every TLS version (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3), so the suite
/// can be read from the first handshake record without touching the connection's security.
final class ServerHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Enough for any ServerHello record.
    private static let limit = 16 * 1024 + 5
    private var seen: [UInt8] = []
    private(set) var cipherSuite: UInt16?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if cipherSuite == nil, seen.count < Self.limit {
            seen += unwrapInboundIn(data).readableBytesView.prefix(Self.limit - seen.count)
            cipherSuite = Self.cipherSuite(inRecords: seen)
        }
        context.fireChannelRead(data)
    }

    /// The cipher suite of a ServerHello at the start of `bytes`, once enough bytes are there.
    static func cipherSuite(inRecords bytes: [UInt8]) -> UInt16? {
        // TLS record: type 22 (handshake), version (2), length (2); then handshake type 2
        // (ServerHello), length (3), version (2), random (32), session id (1 + n), suite (2).
        guard bytes.count > 5 + 4 + 2 + 32 + 1, bytes[0] == 22, bytes[5] == 2 else { return nil }
        let sessionIDLength = Int(bytes[5 + 4 + 2 + 32])
        let suiteOffset = 5 + 4 + 2 + 32 + 1 + sessionIDLength
        guard bytes.count >= suiteOffset + 2 else { return nil }
        return UInt16(bytes[suiteOffset]) << 8 | UInt16(bytes[suiteOffset + 1])
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
