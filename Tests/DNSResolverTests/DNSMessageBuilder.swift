/// DNS messages as bytes (RFC 1035 §4.1), built by hand so that the parser meets exactly what a
/// server could send: compression pointers, the root name, wrong lengths.
enum DNSMessageBuilder {
    /// A name as labels, ending in the root label.
    static func name(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    /// A pointer to the name at `offset` (RFC 1035 §4.1.4); 12 is the question's name.
    static func pointer(_ offset: Int = 12) -> [UInt8] {
        [0xC0 | UInt8(offset >> 8), UInt8(offset & 0xff)]
    }

    static func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }

    struct Answer {
        var owner: [UInt8] = DNSMessageBuilder.pointer()
        var type: Int
        var ttl: UInt32 = 300
        var data: [UInt8]

        static func mx(_ preference: Int, _ exchange: [UInt8]) -> Answer {
            Answer(type: 15, data: u16(preference) + exchange)
        }

        static func a(_ octets: [UInt8]) -> Answer { Answer(type: 1, data: octets) }
        static func aaaa(_ octets: [UInt8]) -> Answer { Answer(type: 28, data: octets) }
        static func ptr(_ target: [UInt8]) -> Answer { Answer(type: 12, data: target) }
        static func cname(_ target: [UInt8]) -> Answer { Answer(type: 5, data: target) }
    }

    /// A response: header, the question, the answers.
    static func response(
        id: Int = 0x1234, rcode: Int = 0, truncated: Bool = false, question: String, type: Int,
        answers: [Answer] = []
    ) -> [UInt8] {
        // QR, RD and RA set (a recursive resolver's answer), AA clear.
        let flags = 0x8180 | (truncated ? 0x0200 : 0) | rcode
        var bytes = u16(id) + u16(flags) + u16(1) + u16(answers.count) + u16(0) + u16(0)
        bytes += name(question) + u16(type) + u16(1)
        for answer in answers {
            bytes += answer.owner + u16(answer.type) + u16(1)
            bytes += [
                UInt8(answer.ttl >> 24 & 0xff), UInt8(answer.ttl >> 16 & 0xff), UInt8(answer.ttl >> 8 & 0xff),
                UInt8(answer.ttl & 0xff),
            ]
            bytes += u16(answer.data.count) + answer.data
        }
        return bytes
    }

    /// The response to a query as libresolv sends it: its ID and question copied, then `answers`.
    static func reply(to query: [UInt8], rcode: Int = 0, answers: [Answer] = []) -> [UInt8] {
        var bytes = Array(query.prefix(2)) + u16(0x8180 | rcode) + u16(1) + u16(answers.count) + u16(0) + u16(0)
        bytes += query.dropFirst(12)
        for answer in answers {
            bytes += answer.owner + u16(answer.type) + u16(1) + [0, 0, 1, 44] + u16(answer.data.count) + answer.data
        }
        return bytes
    }

    /// The question's name and type in a query.
    static func question(of query: [UInt8]) -> (name: String, type: Int)? {
        var index = 12
        var labels: [String] = []
        while index < query.count, query[index] != 0 {
            let length = Int(query[index])
            guard index + 1 + length <= query.count else { return nil }
            labels.append(String(decoding: query[(index + 1)..<(index + 1 + length)], as: UTF8.self))
            index += 1 + length
        }
        guard index + 2 < query.count else { return nil }
        return (labels.joined(separator: "."), Int(query[index + 1]) << 8 | Int(query[index + 2]))
    }
}
