import Foundation
import LineEditor
import SMTPClient
import SMTPCore

struct TLSFailure: Error {
    let reason: String
}

/// STARTTLS, implicit TLS and `/cert`.
extension Console {
    /// After the server's 220 to STARTTLS: the handshake, then the report (or the failure).
    func performTLSHandshake() async {
        tls.outcome = nil
        guard let connection = link.connection else {
            tlsFailed("the server closed the connection before the TLS handshake")
            return
        }
        do {
            try await connection.startTLS(settings: tlsSettings)
        } catch {
            tlsFailed("cannot start TLS: \(error)")
            return
        }
        await waitForTLSOutcome()
    }

    /// Waits for the handshake to end (with implicit TLS it runs before the greeting).
    func waitForTLSOutcome() async {
        let seconds = options.timeoutOverride ?? 60
        switch await takeEvents(until: { self.tls.outcome != nil }, seconds: Double(seconds)) {
        case .done, .disconnected:
            break
        case .timedOut:
            tlsFailed("no TLS handshake within \(seconds) s")
        case .interrupted:
            tlsFailed("TLS handshake interrupted")
        }
    }

    func tlsEstablished(_ report: TLSReport) {
        let isSTARTTLS = session.phase != .awaitingGreeting
        session.tlsEstablished()
        tls.report = report
        tls.failure = nil
        tls.outcome = .success(report)
        var summary = "TLS established: \(report.protocolVersion) (offered \(report.offeredVersions))"
        if let cipher = report.cipherSuite { summary += ", \(cipher)" }
        if let leaf = report.chain.first {
            summary +=
                "; certificate \(leaf.subject), issued by \(leaf.issuer), valid \(leaf.notValidBefore) to \(leaf.notValidAfter)"
            if !leaf.subjectAlternativeNames.isEmpty {
                summary += ", names \(leaf.subjectAlternativeNames.joined(separator: " "))"
            }
        }
        switch report.verification {
        case .verified(let how):
            summary += "; verified: \(how)"
        case .notVerified(let reason):
            summary += "; NOT verified: \(reason)"
        }
        if let client = report.clientCertificate {
            summary += "; client certificate offered: \(client)"
        }
        emit(.event, summary)
        if case .notVerified = report.verification {
            emit(.warning, "--insecure: this connection may be intercepted; the certificate was not trusted")
        }
        // Plaintext discarded before the handshake was reported when it was (`.plaintextDiscarded`).
        if isSTARTTLS {
            emit(
                .annotation,
                "RFC 3207 §4.2: the server has forgotten this session; capabilities are unknown until \(session.sessionProtocol == .lmtp ? "LHLO" : "EHLO"), which is due again"
            )
        }
        lessonObserved(.tlsEstablished)
    }

    /// - Parameters:
    ///   - certificateProblems: why the server's certificate was refused; each kind gets the
    ///     remedy that fits it (a name mismatch is not cured by trusting a CA), once.
    ///   - certificateChain: what the server presented, kept for `/cert`.
    func tlsFailed(
        _ reason: String, certificateProblems: [CertificateProblem] = [], certificateChain: [CertificateSummary] = []
    ) {
        tls.outcome = .failure(TLSFailure(reason: reason))
        if !certificateChain.isEmpty {
            tls.failure = (certificateChain, certificateProblems, reason)
        }
        emit(.warning, "TLS failed: \(reason)")
        var remedies: [String] = []
        for problem in certificateProblems {
            let remedy: String =
                switch problem {
                case .selfSigned, .untrustedIssuer:
                    "--cafile FILE trusts the CA that issued it, --pin sha256:… this one certificate (/cert shows its fingerprint)"
                case .nameMismatch:
                    "connect by a name the certificate is for, or --sni NAME to check another"
                case .expired: "the certificate is out of date: the server needs a renewed one"
                case .notYetValid: "the certificate is not valid yet, or this machine's clock is wrong"
                case .unparsable: "the certificate cannot be read"
                case .unreadableCAFile: "check the --cafile path: it must be a readable PEM file"
                case .pinMismatch:
                    "the server presents another certificate than the pinned one: check the fingerprint (ehlo serve prints its own at start; /cert shows this one), or someone is in the middle"
                }
            if !remedies.contains(remedy) { remedies.append(remedy) }
        }
        // Said once, after the real remedies: going on without trust is no cure, and never for a pin.
        let isCuredByTrust = certificateProblems.contains { problem in
            switch problem {
            case .pinMismatch, .unreadableCAFile: false
            default: true
            }
        }
        if isCuredByTrust {
            remedies.append("--insecure goes on without trust (and says so)")
        }
        for remedy in remedies { emit(.annotation, remedy) }
        closeConnection(reason: "the TLS handshake failed")
        fail(.tlsFailed)
    }

    /// `/starttls`: the command, then the handshake.
    func startTLSCommand() async {
        await sendCommand("STARTTLS", quiet: true)
    }

    /// `/cert [pem]`: the chain the server presented, also when the handshake failed (a refused
    /// certificate is the one to look at).
    func showCertificates(_ argument: String) {
        let chain = tls.failure?.chain ?? tls.report?.chain ?? []
        guard !chain.isEmpty else {
            emit(.warning, "no TLS session yet: STARTTLS (or connect with --tls) first")
            return
        }
        var lines: [String] = []
        for (index, certificate) in chain.enumerated() {
            if argument.lowercased() == "pem" {
                lines += certificate.pem.split(separator: "\n").map(String.init)
                continue
            }
            lines.append("certificate \(index)\(index == 0 ? " (the server's)" : ""):")
            lines.append("  subject:     \(certificate.subject)")
            lines.append("  issuer:      \(certificate.issuer)")
            lines.append("  serial:      \(certificate.serialNumber)")
            lines.append("  valid:       \(certificate.notValidBefore) to \(certificate.notValidAfter)")
            if !certificate.subjectAlternativeNames.isEmpty {
                lines.append("  names:       \(certificate.subjectAlternativeNames.joined(separator: ", "))")
            }
            lines.append("  SHA-256:     \(certificate.sha256Fingerprint)")
        }
        if argument.lowercased() != "pem" {
            if let failure = tls.failure {
                lines.append(
                    failure.problems.isEmpty
                        ? "the handshake failed after this chain arrived: \(failure.reason)"
                        : "REJECTED: \(CertificateProblem.sentence(failure.problems))")
            } else if let report = tls.report {
                switch report.verification {
                case .verified(let how): lines.append("verified: \(how)")
                case .notVerified(let reason): lines.append("NOT verified: \(reason)")
                }
            }
        }
        emit(lines.map { DisplayLine(.output, $0) })
    }
}
