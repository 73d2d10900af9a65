/// One line of what the console shows and records, in the notation of RFC 5321 Appendix D.
///
/// The plain form is `C: `/`S: ` for the wire, `#  ` annotations, `*  ` events and `!  `
/// warnings. Colour (added by the console) may decorate a line, never change its text.
public struct DisplayLine: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A line sent to the server.
        case client
        /// A line received from the server (already escaped).
        case server
        /// What a reply means.
        case annotation
        /// Connected, closed, timed out, TLS established.
        case event
        /// A rule broken by the user or the server.
        case warning
        /// Output of a console command (`/help`, `/state`); not part of the session.
        case output

        public var prefix: String {
            switch self {
            case .client: return "C: "
            case .server: return "S: "
            case .annotation: return "#  "
            case .event: return "*  "
            case .warning: return "!  "
            case .output: return ""
            }
        }
    }

    public var kind: Kind
    public var text: String
    /// For server lines: the reply's class, so the console can colour by it.
    public var replyClass: ReplyClass?

    public init(_ kind: Kind, _ text: String, replyClass: ReplyClass? = nil) {
        self.kind = kind
        self.text = text
        self.replyClass = replyClass
    }

    /// The plain form: prefix and text.
    public var plain: String { kind.prefix + text }
}
