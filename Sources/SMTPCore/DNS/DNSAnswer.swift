/// The record types ehlo asks for (RFC 1035 §3.2.2, RFC 3596 §2.1).
public enum DNSRecordType: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case a = 1
    case cname = 5
    case ptr = 12
    case mx = 15
    case aaaa = 28

    public var description: String {
        switch self {
        case .a: return "A"
        case .cname: return "CNAME"
        case .ptr: return "PTR"
        case .mx: return "MX"
        case .aaaa: return "AAAA"
        }
    }
}

/// The RCODE of a response (RFC 1035 §4.1.1; the names are those of the IANA registry,
/// RFC 6895 §2.3), with what it means for the question asked.
public enum DNSResponseCode: Hashable, Sendable, CustomStringConvertible {
    case noError
    case formatError
    case serverFailure
    /// NXDOMAIN: the name does not exist (RFC 8020: nor does anything below it).
    case nameError
    case notImplemented
    case refused
    case other(Int)

    public init(_ value: Int) {
        switch value {
        case 0: self = .noError
        case 1: self = .formatError
        case 2: self = .serverFailure
        case 3: self = .nameError
        case 4: self = .notImplemented
        case 5: self = .refused
        default: self = .other(value)
        }
    }

    /// The registry's mnemonic: NOERROR, SERVFAIL, NXDOMAIN, …
    public var description: String {
        switch self {
        case .noError: return "NOERROR"
        case .formatError: return "FORMERR"
        case .serverFailure: return "SERVFAIL"
        case .nameError: return "NXDOMAIN"
        case .notImplemented: return "NOTIMP"
        case .refused: return "REFUSED"
        case .other(let value): return "RCODE \(value)"
        }
    }

    /// What the code says, in words, after "the DNS server answered NXDOMAIN: ".
    public var meaning: String {
        switch self {
        case .noError: return "no error"
        case .formatError: return "it could not read the question"
        case .serverFailure:
            return
                "it could not get an answer (the domain's own name servers failed or disagree, or DNSSEC validation failed)"
        case .nameError: return "the name does not exist"
        case .notImplemented: return "it does not do this kind of query"
        case .refused: return "it refuses to answer this question (to this client, or for this domain)"
        case .other: return "an error ehlo does not know"
        }
    }
}

/// One resource record of an answer section (RFC 1035 §4.1.3), with the data ehlo reads.
public struct DNSRecord: Hashable, Sendable {
    public enum Data: Hashable, Sendable {
        /// RFC 1035 §3.3.9. `exchange` is "" for the root, as in a null MX (RFC 7505 §3).
        case mx(preference: UInt16, exchange: String)
        case address(IPAddress)
        case ptr(String)
        case cname(String)
        /// A type ehlo does not read (a signature, say), by number.
        case other(type: UInt16)
    }

    /// The owner name, without the final dot.
    public let name: String
    public let ttl: UInt32
    public let data: Data

    public init(name: String, ttl: UInt32 = 3600, data: Data) {
        self.name = name
        self.ttl = ttl
        self.data = data
    }
}

/// A DNS server's response: its code and its answer section.
public struct DNSAnswer: Hashable, Sendable {
    public let responseCode: DNSResponseCode
    public let records: [DNSRecord]
    /// TC: the response was cut short and not retried over TCP.
    public let isTruncated: Bool

    public init(responseCode: DNSResponseCode, records: [DNSRecord], isTruncated: Bool = false) {
        self.responseCode = responseCode
        self.records = records
        self.isTruncated = isTruncated
    }

    /// The MX records, as in the answer.
    public var mailExchangers: [(preference: UInt16, exchange: String)] {
        records.compactMap {
            if case .mx(let preference, let exchange) = $0.data { return (preference, exchange) }
            return nil
        }
    }

    /// The addresses of A and AAAA records, as in the answer.
    public var addresses: [IPAddress] {
        records.compactMap {
            if case .address(let address) = $0.data { return address }
            return nil
        }
    }

    /// The names of PTR records, as in the answer.
    public var pointerNames: [String] {
        records.compactMap {
            if case .ptr(let name) = $0.data { return name }
            return nil
        }
    }

    /// The CNAME chain the server followed (RFC 1034 §3.6.2), as (alias, canonical name) pairs.
    public var aliases: [(alias: String, canonical: String)] {
        records.compactMap {
            if case .cname(let target) = $0.data { return ($0.name, target) }
            return nil
        }
    }
}

/// Why a question got no response to read.
public struct DNSQueryFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// No response within the resolver's timeouts and attempts.
        case timedOut
        /// The server's port is closed (an ICMP port unreachable).
        case refusedConnection
        /// The question cannot be asked (a name longer than DNS allows).
        case badQuestion
        /// The response could not be parsed.
        case malformedResponse
        case other
    }

    public let kind: Kind
    /// The sentence to show, after "no answer for example.test: ".
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// What one question gave: a response (whatever its code), or none.
public typealias DNSResult = Result<DNSAnswer, DNSQueryFailure>

extension Result where Success == DNSAnswer, Failure == DNSQueryFailure {
    /// Why there is nothing to use in this result, in words (nil when the answer has records of
    /// `type`): "NXDOMAIN: the name does not exist", "no A record", "no answer within 5 s".
    public func problem(for type: DNSRecordType) -> String? {
        switch self {
        case .failure(let failure):
            return failure.description
        case .success(let answer):
            guard answer.responseCode == .noError else {
                return "\(answer.responseCode): \(answer.responseCode.meaning)"
            }
            let hasRecords =
                switch type {
                case .a, .aaaa: !answer.addresses.isEmpty
                case .mx: !answer.mailExchangers.isEmpty
                case .ptr: !answer.pointerNames.isEmpty
                case .cname: !answer.aliases.isEmpty
                }
            return hasRecords ? nil : "no \(type) record"
        }
    }
}
