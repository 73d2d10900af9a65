import ArgumentParser
import Console
import SMTPClient

extension SASL.Mechanism: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument.uppercased())
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
            "Read the password (first line) from FILE when there is no terminal; never give it on the command line.",
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

    func apply(to options: inout ConsoleOptions) {
        options.tlsMode = tls ? .implicit : (starttls ? .starttls : .none)
        options.tls = TLSSettings(caFile: cafile, serverName: sni, isInsecure: insecure)
        options.authUser = user
        options.authMechanism = auth
        options.passwordFile = passwordFile
    }
}
