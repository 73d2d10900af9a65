import ArgumentParser
import Console
import SMTPClient
import SMTPCore

extension SASL.Mechanism: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument.uppercased())
    }
}

extension TLSProtocolVersion: ExpressibleByArgument {}

/// How a TLS handshake is made and what it trusts: the console's `--starttls` and `--tls`, and
/// replay's STARTTLS and implicit TLS, read them alike.
struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Trust the CAs in this PEM file instead of the system's.", valueName: "file"))
    var cafile: String?

    @Option(
        help: ArgumentHelp(
            "The name to send in SNI and to check the certificate against (default: HOST).", valueName: "name"))
    var sni: String?

    @Flag(help: "Complete the TLS handshake even if the certificate is not trusted (the console says why it is not).")
    var insecure = false

    @Option(
        help: ArgumentHelp(
            "Trust exactly the certificate with this SHA-256 fingerprint (as /cert and ehlo serve show it), whatever its chain and names; instead of --cafile and --insecure.",
            valueName: "sha256:hex"))
    var pin: String?

    @Option(
        help: ArgumentHelp(
            "A client certificate (PEM, leaf first) to offer when the server asks for one; needs --key.",
            valueName: "file"))
    var cert: String?

    @Option(help: ArgumentHelp("The private key (unencrypted PEM) of --cert.", valueName: "file"))
    var key: String?

    @Option(
        name: .customLong("tls-min"),
        help: ArgumentHelp(
            "The lowest TLS version to offer (default 1.0; the highest is always 1.3).",
            valueName: "version"))
    var tlsMin: TLSProtocolVersion?

    func validate() throws {
        if pin != nil, cafile != nil {
            throw ValidationError(
                "--pin and --cafile exclude each other: a pin trusts one certificate, and nothing else")
        }
        if pin != nil, insecure {
            throw ValidationError(
                "--pin and --insecure exclude each other: a pin that does not hold must stop the handshake")
        }
        if (cert == nil) != (key == nil) {
            throw ValidationError("--cert and --key go together: the certificate and its private key")
        }
        _ = try pinnedCertificate()
        // The files too: a path that cannot be used is a usage error, before anything connects.
        _ = try trustAndClientFiles()
    }

    /// The settings these options make; reads the files again (`validate()` checked them), now
    /// to keep the client certificate.
    func settings() throws -> TLSSettings {
        var settings = TLSSettings(caFile: cafile, serverName: sni, isInsecure: insecure)
        settings.pinnedCertificate = try pinnedCertificate()
        settings.minimumVersion = tlsMin ?? .defaultMinimum
        settings.clientCertificate = try trustAndClientFiles()
        return settings
    }

    private func pinnedCertificate() throws -> CertificateFingerprint? {
        do {
            return try pin.map(CertificateFingerprint.init(parsing:))
        } catch {
            throw ValidationError("--pin \(error)")
        }
    }

    /// Checks `--cafile` and loads `--cert` with `--key`; a file that cannot be used is a ValidationError.
    private func trustAndClientFiles() throws -> ClientCertificate? {
        do {
            if let cafile { try TLSFiles.checkCAFile(cafile) }
            guard let cert, let key else { return nil }
            return try ClientCertificate.load(certificateFile: cert, keyFile: key)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// TLS and AUTH on the command line.
struct SecurityOptions: ParsableArguments {
    @Flag(help: "After the greeting: EHLO, STARTTLS, the TLS handshake and EHLO again (refuses to go on in plaintext).")
    var starttls = false

    @Flag(help: "Implicit TLS from the first byte (RFC 8314); the port defaults to 465.")
    var tls = false

    @Flag(name: .customLong("no-tls"), help: "No TLS, though the profile asks for starttls or tls.")
    var noTLS = false

    @OptionGroup var handshake: TLSOptions

    @Option(
        help: ArgumentHelp(
            "Authenticate as NAME right after EHLO (and STARTTLS); the password comes from the terminal, --password-file or EHLO_PASSWORD.",
            valueName: "name"))
    var user: String?

    @Option(
        help: ArgumentHelp(
            "The SASL mechanism for --user: plain, login, cram-md5 or xoauth2 (default: one the server offers).",
            valueName: "mech"))
    var auth: SASL.Mechanism?

    @Option(
        help: ArgumentHelp(
            "Read the password (first line) from FILE, a pipe too, when there is no terminal; never give it on the command line.",
            valueName: "file"))
    var passwordFile: String?

    func validate() throws {
        if starttls, tls {
            throw ValidationError(
                "--starttls and --tls exclude each other: STARTTLS upgrades a plain connection, --tls starts with TLS")
        }
        if noTLS, starttls || tls {
            throw ValidationError("--no-tls excludes --starttls and --tls")
        }
    }

    var defaultPort: Int { tls ? 465 : 25 }

    func apply(to options: inout ConsoleOptions) throws {
        options.tlsMode = tls ? .implicit : (starttls ? .starttls : .none)
        options.tls = try handshake.settings()
        options.authUser = user
        options.authMechanism = auth
        options.passwordFile = passwordFile
    }
}
