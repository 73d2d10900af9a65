/// `ehlo --mx DOMAIN[:PORT]`, `--mx-all` or `ehlo mx:DOMAIN[:PORT]`: the server is found from the
/// domain's MX records (RFC 5321 §5.1) instead of being named.
///
/// ### Why a port on a domain?
/// An MX record names hosts, not ports: mail goes to port 25 of each. `:PORT` is the port to use
/// on every host found, for a test setup (servers on 127.0.0.2:2525 and 127.0.0.3:2525) or a
/// submission port.
public struct MailDomainTarget: Hashable, Sendable {
    /// The mail domain, the part of an address after the @.
    public var domain: String
    /// The port on every MX host.
    public var port: Int
    /// `--mx-all`: try every MX host and address in order, as an MTA does, until one greets with
    /// 220; without it, only the most preferred host (each of its addresses) is tried.
    public var triesEveryExchanger: Bool

    public init(domain: String, port: Int, triesEveryExchanger: Bool) {
        self.domain = domain
        self.port = port
        self.triesEveryExchanger = triesEveryExchanger
    }
}
