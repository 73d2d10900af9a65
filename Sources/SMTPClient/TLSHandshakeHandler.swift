import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS
import SMTPCore

/// Sets up TLS on a channel, STARTTLS or implicit, and reports how the handshake ended.
///
/// The pipeline becomes, from the network inwards:
///
///     ServerHelloSniffer → NIOSSLClientHandler → TLSHandshakeHandler → line decoder → SMTPClientHandler
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let sniffer: ServerHelloSniffer
    private let checked: NIOLockedValueBox<CertificateCheck.Outcome?>
    private let discardedPlaintextOctets: Int
    private let settings: TLSSettings
    private let report: @Sendable (ConnectionEvent) -> Void
    private var isComplete = false
    /// The ServerHello's findings, kept when the sniffer leaves the pipeline.
    private var flight = ServerHelloSniffer.Flight()

    private init(
        sniffer: ServerHelloSniffer, checked: NIOLockedValueBox<CertificateCheck.Outcome?>,
        discardedPlaintextOctets: Int, settings: TLSSettings, report: @escaping @Sendable (ConnectionEvent) -> Void
    ) {
        self.sniffer = sniffer
        self.checked = checked
        self.discardedPlaintextOctets = discardedPlaintextOctets
        self.settings = settings
        self.report = report
    }

    /// The three handlers TLS needs, in pipeline order.
    static func makeHandlers(
        address: ServerAddress, settings: TLSSettings, discardedPlaintextOctets: Int,
        report: @escaping @Sendable (ConnectionEvent) -> Void
    ) throws -> [ChannelHandler] {
        var configuration = TLSConfiguration.makeClientConfiguration()
        // Our callback checks names itself (CertificateCheck), so that --insecure can still say what is wrong.
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = settings.minimumVersion.nio
        if let client = settings.clientCertificate {
            configuration.certificateChain = client.chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(client.key)
        }
        let context = try NIOSSLContext(configuration: configuration)
        let names = Names(address: address, settings: settings)
        let check = CertificateCheck(
            expectedName: names.expected, caFile: settings.caFile, trustedPEM: settings.trustedPEM,
            pin: settings.pinnedCertificate)
        let checked = NIOLockedValueBox<CertificateCheck.Outcome?>(nil)
        let isInsecure = settings.goesOnUntrusted
        let tls = try NIOSSLClientHandler(context: context, serverHostname: names.sni) { certificates, promise in
            Task {
                let outcome = await check.check(certificates)
                checked.withLockedValue { $0 = outcome }
                promise.succeed(outcome.problems.isEmpty || isInsecure ? .certificateVerified : .failed)
            }
        }
        let sniffer = ServerHelloSniffer()
        let handshake = TLSHandshakeHandler(
            sniffer: sniffer, checked: checked, discardedPlaintextOctets: discardedPlaintextOctets, settings: settings,
            report: report)
        return [sniffer, tls, handshake]
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !isComplete {
            isComplete = true
            // The ServerHello has been read; the sniffer has nothing more to do.
            flight = sniffer.flight
            context.pipeline.syncOperations.removeHandler(sniffer, promise: nil)
            let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
            let outcome = checked.withLockedValue { $0 }
            let problems = outcome?.problems ?? []
            let verification: TLSReport.Verification =
                problems.isEmpty
                ? .verified(how: outcome?.root ?? "its chain leads to a trusted root")
                : .notVerified(reason: CertificateProblem.sentence(problems))
            report(
                .tlsEstablished(
                    TLSReport(
                        protocolVersion: Self.name(of: tls?.tlsVersion), offeredVersions: settings.offeredVersions,
                        cipherSuite: flight.cipherSuite.map(ServerHelloSniffer.name),
                        chain: outcome?.chain ?? [], verification: verification,
                        discardedPlaintextOctets: discardedPlaintextOctets,
                        clientCertificate: settings.clientCertificate?.subject)))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let outcome = checked.withLockedValue { $0 }
        let chain = outcome?.chain ?? []
        guard !isComplete else {
            // TLS 1.3: the client's side of the handshake ends before the server has read the
            // client's certificate (RFC 8446 §4.4.2), so its refusal comes as the first read.
            if let failure = Self.clientCertificateFailure(error, flight: flight, settings: settings) {
                report(.tlsFailed(failure.presenting(chain)))
                context.close(promise: nil)
            } else {
                context.fireErrorCaught(error)
            }
            return
        }
        isComplete = true
        flight = sniffer.flight
        // Our check's reasons, when it refused, say more than BoringSSL's "certificate verify failed".
        let problems = settings.goesOnUntrusted ? [] : outcome?.problems ?? []
        let failure =
            problems.isEmpty
            ? Self.handshakeFailure(error, flight: flight, settings: settings)
            : .certificateRejected(problems, chain: chain)
        report(.tlsFailed(failure.presenting(chain)))
        context.close(promise: nil)
    }

    private static func name(of version: TLSVersion?) -> String {
        switch version {
        case .tlsv1: return "TLS 1.0"
        case .tlsv11: return "TLS 1.1"
        case .tlsv12: return "TLS 1.2"
        case .tlsv13: return "TLS 1.3"
        case nil: return "TLS"
        }
    }
}
