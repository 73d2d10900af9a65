/// Makes bytes from the network safe to show on a terminal.
///
/// ### Why escape at all?
/// A greeting is attacker-chosen text. Printed raw, `ESC ] 0 ;` retitles the window, `ESC [ 2 J`
/// clears it and a lone CR hides what came before. Every byte that is not printable UTF-8 is
/// therefore shown as a C-style escape (`\r`, `\e`, `\x7f`, `\xff`), and a literal backslash is
/// doubled so the escaping can be undone.
public enum VisibleText {
    public static func escape(_ bytes: some Collection<UInt8>) -> String {
        if let shown = bytes.withContiguousStorageIfAvailable(escape(contiguous:)) { return shown }
        return Array(bytes).withUnsafeBufferPointer(escape(contiguous:))
    }

    public static func escape(_ string: String) -> String {
        escape(string.utf8)
    }

    /// The octets escaped into one buffer: a `String` per escaped byte cost more than the line.
    private static func escape(contiguous octets: UnsafeBufferPointer<UInt8>) -> String {
        // Most lines (every line of most messages) are printable ASCII with no backslash: shown as they are.
        if octets.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) {
            return String(decoding: octets, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(octets.count + 16)
        var index = 0
        while index < octets.count {
            let byte = octets[index]
            if byte < 0x80 {
                appendASCII(byte, to: &output)
                index += 1
            } else if let length = scalarLength(in: octets, at: index) {
                output.append(contentsOf: octets[index..<(index + length)])
                index += length
            } else {
                // Not the start of a valid, visible UTF-8 sequence: this byte is named, and the
                // ones after it are looked at again on their own.
                appendHex(byte, to: &output)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The length of the UTF-8 sequence at `index` when it is one valid scalar (RFC 3629 §4: no
    /// overlong form, no surrogate, nothing past U+10FFFF) that is not a control; nil otherwise.
    private static func scalarLength(in octets: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let lead = octets[index]
        let length: Int
        var value: UInt32
        switch lead {
        case 0xC2...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (length, value) = (3, UInt32(lead & 0x0F))
        case 0xF0...0xF4: (length, value) = (4, UInt32(lead & 0x07))
        default: return nil
        }
        guard index + length <= octets.count else { return nil }
        for offset in 1..<length {
            let next = octets[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(next & 0x3F)
        }
        let lowest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= lowest, let scalar = Unicode.Scalar(value), !isControl(scalar) else { return nil }
        return length
    }

    /// The bytes `escape` was given: `\\`, `\t`, `\n`, `\r`, `\e`, `\0` and `\xHH` are decoded,
    /// everything else is taken as UTF-8. An unknown escape is kept as written.
    public static func unescape(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        // Most lines (a message's) have nothing escaped: their octets are the text's.
        guard bytes.contains(UInt8(ascii: "\\")) else { return bytes }
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

    private static func appendASCII(_ byte: UInt8, to output: inout [UInt8]) {
        let escaped: UInt8
        switch byte {
        case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
        case 0x09: escaped = UInt8(ascii: "t")
        case 0x0A: escaped = UInt8(ascii: "n")
        case 0x0D: escaped = UInt8(ascii: "r")
        case 0x1B: escaped = UInt8(ascii: "e")
        case 0x00: escaped = UInt8(ascii: "0")
        case 0x20..<0x7F:
            output.append(byte)
            return
        default:
            appendHex(byte, to: &output)
            return
        }
        output.append(UInt8(ascii: "\\"))
        output.append(escaped)
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

    private static func appendHex(_ byte: UInt8, to output: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        output.append(UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "x"))
        output.append(digits.utf8Start[Int(byte >> 4)])
        output.append(digits.utf8Start[Int(byte & 0x0F)])
    }
}
