extension LabMailboxTable {
    /// The words by which the practice server's greeting says what it is.
    public static let greetingMarker = "ehlo practice server"

    /// The practice server's domain, if `greeting` is its 220 (`<domain> ESMTP ehlo practice server ready`).
    public static func practiceDomain(greeting: SMTPReply) -> String? {
        guard greeting.code == 220, let text = greeting.texts.first, text.contains(greetingMarker) else { return nil }
        return text.split(separator: " ").first.map(String.init)
    }
}
