import SMTPCore

extension ServerSessionStateMachine {
    /// The 450 for a greylisted recipient: RFC 6647 §2.1 asks for a temporary failure, and says
    /// how long to wait, as Postfix's postgrey does ("Greylisted, see …", 4.7.1 here as Microsoft
    /// and Gmail send for policy deferrals).
    static func greylisted(_ address: String, isFirstAttempt: Bool, secondsLeft: Int) -> ServerReply {
        let wait = secondsLeft == 0 ? "now" : secondsLeft == 1 ? "in 1 second" : "in \(secondsLeft) seconds"
        let text =
            isFirstAttempt
            ? "<\(address)>: Greylisted, try again \(wait)"
            : "<\(address)>: Greylisted, retried too soon; try again \(wait)"
        return ServerReply(450, esc(4, 7, 1), text)
    }
}
