/// Makes bytes from the network safe to show on a terminal.
///
/// ### Why escape at all?
/// A greeting is attacker-chosen text. Printed raw, `ESC ] 0 ;` retitles the window, `ESC [ 2 J`
/// clears it and a lone CR hides what came before. Every byte that is not printable UTF-8 is
/// therefore shown as a C-style escape (`\r`, `\e`, `\x7f`, `\xff`), and a literal backslash is
/// doubled so the escaping can be undone.
public enum VisibleText {
    public static func escape(_ bytes: some Collection<UInt8>) -> String {
        // Most lines (every line of most messages) are printable ASCII with no backslash: shown as they are.
        let plain = bytes.withContiguousStorageIfAvailable { octets in
            octets.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
                ? String(decoding: octets, as: UTF8.self) : nil
        }
        if let plain = plain ?? nil { return plain }
        var output = ""
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        var pending: [UInt8] = []
        while true {
            let next = pending.isEmpty ? iterator.next() : pending.removeFirst()
            guard let byte = next else { break }
            if byte < 0x80 {
                output += escapeASCII(byte)
                continue
            }
            // Decode one UTF-8 sequence by hand so invalid bytes can be named one by one.
            let length: Int
            switch byte {
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: length = 1
            }
            var sequence = [byte]
            while sequence.count < length, let more = pending.isEmpty ? iterator.next() : pending.removeFirst() {
                sequence.append(more)
                if more & 0xC0 != 0x80 { break }
            }
            if length > 1, sequence.count == length, sequence.dropFirst().allSatisfy({ $0 & 0xC0 == 0x80 }),
                let scalar = String(validating: sequence, as: UTF8.self)?.unicodeScalars.first,
                !isControl(scalar)
            {
                output.unicodeScalars.append(scalar)
            } else {
                output += hex(sequence[0])
                pending = Array(sequence.dropFirst()) + pending
            }
        }
        return output
    }

    public static func escape(_ string: String) -> String {
        escape(Array(string.utf8))
    }

    /// The bytes `escape` was given: `\\`, `\t`, `\n`, `\r`, `\e`, `\0` and `\xHH` are decoded,
    /// everything else is taken as UTF-8. An unknown escape is kept as written.
    public static func unescape(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < bytes.count else {
                output.append(byte)
                index += 1
                continue
            }
            switch bytes[index + 1] {
            case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "e"): output.append(0x1B)
            case UInt8(ascii: "0"): output.append(0x00)
            case UInt8(ascii: "x") where index + 3 < bytes.count:
                if let value = UInt8(String(decoding: bytes[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                    output.append(value)
                    index += 4
                    continue
                }
                output += [byte, bytes[index + 1]]
            default:
                output += [byte, bytes[index + 1]]
            }
            index += 2
        }
        return output
    }

    private static func escapeASCII(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "\\"): return "\\\\"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x1B: return "\\e"
        case 0x00: return "\\0"
        case 0x20..<0x7F: return String(UnicodeScalar(byte))
        default: return hex(byte)
        }
    }

    /// C1 controls, bidi controls (every Bidi_Control character of Unicode: U+061C, U+200E,
    /// U+200F, U+202A–U+202E, U+2066–U+2069), the zero-width characters, the line and paragraph
    /// separators and the byte order mark can also reorder, break or hide text.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F, 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x\(digits[Int(byte >> 4)])\(digits[Int(byte & 0xF)])"
    }
}
