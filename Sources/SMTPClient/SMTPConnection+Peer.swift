import NIOCore

extension SMTPConnection {
    /// The peer's IP address as connected (`192.0.2.25`, `2001:db8::25`), for `/dns`; nil over a
    /// UNIX-domain socket.
    public var remoteIPAddress: String? {
        guard case .tcp = address.endpoint else { return nil }
        return channel.remoteAddress?.ipAddress
    }
}
