import Foundation

/// `--password-file FILE`: the secret on its first line.
///
/// FILE may be a regular file or a pipe: a named FIFO, or `<(pass show mail)`, whose password
/// manager may ask for its own passphrase first. So the file is opened without waiting for a
/// writer and read as its octets come, up to the first LF, and never past `maximumLength`
/// (`/dev/zero` has no first line). What has not come within the wait is reported, not waited
/// for without end: a script must not hang on a FIFO that nobody opens.
///
/// `@unchecked Sendable`: it goes to a pool thread and back, one `read` at a time, each awaited
/// before the next; nothing else touches it.
final class PasswordFile: @unchecked Sendable {
    enum ReadError: Error, Equatable {
        /// open(2), poll(2) or read(2) failed: its errno.
        case system(Int32)
        /// Nothing at all came: an empty file, or a pipe whose writer closed without a word (a
        /// password manager that failed).
        case empty
        case emptyFirstLine
        case notUTF8
        case tooLong
    }

    /// Longer than any password, and than an OAuth 2 bearer token (XOAUTH2) of a few kilobytes.
    static let maximumLength = 64 * 1024

    let path: String
    private let descriptor: Int32
    private var octets: [UInt8] = []
    private var isAtEnd = false

    /// Opens FILE for reading; a FIFO with no writer yet is opened at once all the same
    /// (`O_NONBLOCK`), to be waited for by `read(waitingAtMost:)`.
    init(path: String) throws(ReadError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(errno) }
    }

    deinit { close(descriptor) }

    /// The first line (without its CR LF or LF), once it has come, or nil when nothing more came
    /// within `milliseconds`. Blocks for at most that long: it is called on a pool thread.
    ///
    /// A FIFO opened with no writer reads as at its end, so `poll(2)` is asked first: on Linux it
    /// waits until a writer has connected and written, or has closed. (Where it reports the end
    /// at once instead, such a FIFO reads as empty.)
    func read(waitingAtMost milliseconds: Int) throws(ReadError) -> String? {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !isAtEnd, !octets.contains(0x0A) {
            guard octets.count <= Self.maximumLength else { throw .tooLong }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return nil }
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, Int32(clamping: (deadline - now + 999_999) / 1_000_000))
            if ready < 0 {
                guard errno == EINTR else { throw .system(errno) }
                continue
            }
            guard ready > 0 else { return nil }
            guard request.revents & Int16(POLLNVAL) == 0 else { throw .system(EBADF) }
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                guard errno == EAGAIN || errno == EINTR else { throw .system(errno) }
            } else if count == 0 {
                isAtEnd = true
            } else {
                octets += buffer[..<count]
            }
        }
        var line = octets.prefix { $0 != 0x0A }
        if line.last == 0x0D { line.removeLast() }
        guard line.count <= Self.maximumLength else { throw .tooLong }
        guard !octets.isEmpty else { throw .empty }
        guard !line.isEmpty else { throw .emptyFirstLine }
        guard let text = String(validating: line, as: UTF8.self) else { throw .notUTF8 }
        return text
    }
}

extension PasswordFile.ReadError {
    /// Why, in the system's words where the system said ("No such file or directory").
    var reason: String {
        switch self {
        case .system(let code): String(cString: strerror(code))
        case .empty: "it is empty"
        case .emptyFirstLine: "its first line is empty"
        case .notUTF8: "it is not UTF-8"
        case .tooLong: "it has no line end in its first \(PasswordFile.maximumLength / 1024) KiB"
        }
    }
}
