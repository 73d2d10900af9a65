import CResolv
import SMTPCore

extension DNSAnswer {
    /// Reads a DNS message (RFC 1035 §4.1) with libresolv's parser: the header's RCODE and TC
    /// bit, and the answer section's records. Names lose their final dot; the root is "".
    ///
    /// - Throws: `DNSQueryFailure` `.malformedResponse` when the bytes are no DNS message, or a
    ///   record cannot be read.
    public init(message: [UInt8]) throws(DNSQueryFailure) {
        var header = cresolv_header()
        guard cresolv_parse_header(message, Int32(message.count), &header) == 0 else {
            throw DNSQueryFailure(.malformedResponse, "the response is not a DNS message (\(message.count) bytes)")
        }
        var records: [DNSRecord] = []
        for index in 0..<Int(header.answer_count) {
            var record = cresolv_record()
            guard cresolv_parse_answer(message, Int32(message.count), Int32(index), &record) == 0 else {
                throw DNSQueryFailure(
                    .malformedResponse, "the response's answer \(index + 1) of \(header.answer_count) cannot be read")
            }
            records.append(DNSRecord(record))
        }
        self.init(
            responseCode: DNSResponseCode(Int(header.rcode)), records: records, isTruncated: header.is_truncated != 0)
    }
}

extension DNSRecord {
    fileprivate init(_ record: cresolv_record) {
        let name = Self.text(record.name)
        let target = Self.text(record.target)
        let data: Data
        switch DNSRecordType(rawValue: record.type) {
        case .a, .aaaa:
            let octets = withUnsafeBytes(of: record.address) { Array($0.prefix(Int(record.address_length))) }
            data = IPAddress(octets: octets).map(Data.address) ?? .other(type: record.type)
        case .mx:
            data = .mx(preference: record.preference, exchange: target)
        case .ptr:
            data = .ptr(target)
        case .cname:
            data = .cname(target)
        case nil:
            data = .other(type: record.type)
        }
        self.init(name: name, ttl: record.ttl, data: data)
    }

    /// A NUL-terminated name from libresolv, without a final dot; "." (the root) becomes "".
    private static func text<Tuple>(_ tuple: Tuple) -> String {
        let name = withUnsafeBytes(of: tuple) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return name.hasSuffix(".") ? String(name.dropLast()) : name
    }
}
