/// A message as the practice server stored it: the trace headers it added (RFC 5321 §4.4:
/// Return-Path, Received) and the content with the dot-stuffing removed (§4.5.2), lines ending
/// in LF as a Maildir keeps them.
public struct StoredMessage: Hashable, Sendable {
    /// The server's queue id, as its Received: header gives it.
    public let id: String
    public let sender: String
    public let recipients: [String]
    /// Every octet as stored.
    public let octets: [UInt8]
    /// The server's number of the session that sent it.
    public let session: Int
    /// When it was stored, in seconds since 1970.
    public let time: Double

    public init(id: String, sender: String, recipients: [String], octets: [UInt8], session: Int = 0, time: Double = 0) {
        self.id = id
        self.sender = sender
        self.recipients = recipients
        self.octets = octets
        self.session = session
        self.time = time
    }

    /// The message's lines as stored, without their LF.
    public var lines: [ArraySlice<UInt8>] {
        var lines = octets.split(separator: 0x0A, omittingEmptySubsequences: false)
        if octets.last == 0x0A { lines.removeLast() }
        return lines
    }

    /// The value of the first header field called `name` (case-insensitive), unfolded; nil if none.
    public func header(_ name: String) -> String? {
        let wanted = Array((name + ":").lowercased().utf8)
        var value: [UInt8]?
        for line in lines {
            if line.isEmpty { break }
            if var found = value {
                // RFC 5322 §2.2.3: a line starting with white space continues the field.
                guard line.first == 0x20 || line.first == 0x09 else { break }
                found += [0x20] + line.drop { $0 == 0x20 || $0 == 0x09 }
                value = found
                continue
            }
            if line.count >= wanted.count, line.prefix(wanted.count).map(Self.lowercased) == wanted {
                value = Array(line.dropFirst(wanted.count).drop { $0 == 0x20 || $0 == 0x09 })
            }
        }
        return value.map { VisibleText.escape($0) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }
}

/// What `/mailbox` shows: the stored messages listed, or one shown line by line.
public enum MailboxRenderer {
    /// `/mailbox`: one line per message, oldest first.
    public static func list(_ messages: [StoredMessage]) -> [String] {
        guard !messages.isEmpty else {
            return [
                "The practice server has stored no message yet: send one (MAIL FROM, RCPT TO:<student@…>, DATA, "
                    + "the message, a line holding only .), then /mailbox again."
            ]
        }
        var lines = ["Messages the practice server stored (\(messages.count)); /mailbox N shows one as stored:"]
        let width = String(messages.count).count
        for (index, message) in messages.enumerated() {
            let number = String(index + 1)
            let recipients = message.recipients.map { "<\(VisibleText.escape($0))>" }.joined(separator: ", ")
            let subject = message.header("Subject").map { ", Subject: \($0)" } ?? ""
            lines.append(
                "  " + String(repeating: " ", count: width - number.count) + number
                    + "  from <\(VisibleText.escape(message.sender))> to \(recipients), \(message.octets.count) octets"
                    + subject)
        }
        return lines
    }

    /// `/mailbox N`: the message exactly as stored, each line escaped for the terminal (a tab is
    /// shown as the spaces to the next multiple of 8, as a terminal would).
    public static func show(_ message: StoredMessage, number: Int) -> [String] {
        [
            "Message \(number), id \(message.id), \(message.octets.count) octets as stored "
                + "(the server added Return-Path:, Delivered-To: and Received:; the dots that stuffing added are gone):"
        ]
            + message.lines.map { "  " + expandingTabs($0) }
    }

    private static func expandingTabs(_ line: ArraySlice<UInt8>) -> String {
        var text = ""
        for (index, piece) in line.split(separator: 0x09, omittingEmptySubsequences: false).enumerated() {
            if index > 0 { text += String(repeating: " ", count: 8 - text.count % 8) }
            text += VisibleText.escape(piece)
        }
        return text
    }
}
