/// `mx:DOMAIN[:PORT]` in place of a host on the command line: the server is found from the
/// domain's MX records.
///
/// `mx:2525` still names the host `mx` on port 2525, as it always did: a mail domain is never
/// all digits (no top-level domain is), so a port after `mx:` cannot be one.
public enum MailDomainArgument {
    public static let scheme = "mx:"

    /// The `DOMAIN[:PORT]` after `mx:`, or nil when `text` names a host (`mx.example.test`,
    /// `mx:2525`).
    public static func domain(in text: String) -> String? {
        guard text.lowercased().hasPrefix(scheme) else { return nil }
        let rest = String(text.dropFirst(scheme.count))
        guard !rest.isEmpty, !rest.allSatisfy(\.isASCIIDigit) else { return nil }
        return rest
    }
}
