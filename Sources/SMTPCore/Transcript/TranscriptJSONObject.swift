import Foundation

/// One object of a JSON Lines transcript: every key any event has, each left out when nil.
/// `TranscriptFormatter` writes it; `TranscriptReader` reads back the keys a replay needs.
///
/// ### Why `JSONEncoder` and `JSONDecoder`, not `JSONSerialization`?
/// The same sorted keys and the same text, in a fraction of the time. `JSONSerialization` goes
/// through an `NSDictionary` and sorts its keys as `NSString`s: a recorded `/send` of 100,000
/// lines took 2.18 s to write (0.15 s as text), now 0.47 s. Reading built every value of every
/// object and cast each from `Any`: its replay took 1.76 s, now 0.85 s.
struct TranscriptJSONObject: Codable {
    var time: String?
    var type: String?
    // A header.
    var ehlo: String?
    var server: String?
    var redacted: Bool?
    var tls: String?
    var sni: String?
    var `protocol`: String?
    var proxy: String?
    var proxyFrom: String?
    // A client line, an annotation, an event or a warning.
    var line: String?
    // A reply.
    var lines: [String]?
    var code: Int?
    var meaning: String?
    var context: String?
    var next: [String]?
    var plain: String?
    var enhanced: String?
    var enhancedMeaning: String?
    var enhancedPlain: String?
    var causes: [String]?
    var answers: String?
    var recipient: String?
    var awaited: [String]?
    var latencyMs: Int?
    var warnings: [String]?

    init(time: Double, type: String) {
        self.init(stamp: RFC3339.format(time), type: type)
    }

    init(stamp: String, type: String) {
        time = stamp
        self.type = type
    }

    enum CodingKeys: String, CodingKey {
        case time, type, ehlo, server, redacted, tls, sni, `protocol`, proxy, line, lines, code, meaning, context
        case next, plain, enhanced, enhancedMeaning, enhancedPlain, causes, answers, recipient, awaited, latencyMs
        case warnings
        case proxyFrom = "proxy_from"
    }

    /// Reads what a replay uses: the type, a client's line, a reply's lines and a header's
    /// connection. Each key on its own: one of another type than the writer's (a file edited by
    /// hand) reads as absent rather than making the line unreadable.
    init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        func string(_ key: CodingKeys) -> String? { try? keys.decodeIfPresent(String.self, forKey: key) }
        type = string(.type)
        line = string(.line)
        lines = try? keys.decodeIfPresent([String].self, forKey: .lines)
        server = string(.server)
        tls = string(.tls)
        sni = string(.sni)
        `protocol` = string(.protocol)
        proxy = string(.proxy)
        proxyFrom = string(.proxyFrom)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()
}
