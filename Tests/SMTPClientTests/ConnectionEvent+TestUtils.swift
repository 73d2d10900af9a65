@testable import SMTPClient

extension ConnectionEvent {
    /// The failure of a `.tlsFailed` event, else nil.
    var failure: ConnectionError? {
        if case .tlsFailed(let error) = self { return error }
        return nil
    }

    /// The report of a `.tlsEstablished` event, else nil.
    var report: TLSReport? {
        if case .tlsEstablished(let report) = self { return report }
        return nil
    }
}
