import CEditLine
import Foundation

/// Direct, unbuffered terminal output and questions about the standard streams.
public enum Terminal {
    public static func write(_ text: String, to fd: Int32 = STDOUT_FILENO) {
        _ = writeAll(Array(text.utf8), to: fd)
    }

    /// Writes every byte, retrying interrupted and partial writes. Returns the errno of a failure.
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return errno
            }
            offset += n
        }
        return nil
    }

    public static var isInteractive: Bool {
        isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
    }

    public static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}

extension Terminal {
    public enum WaitResult { case readable, timedOut, interrupted }

    /// Waits for `fd` to become readable, at most `milliseconds` (-1: forever); Ctrl-C interrupts.
    public static func wait(forReadable fd: Int32, milliseconds: Int32) -> WaitResult {
        switch ceditline_wait_readable(fd, milliseconds) {
        case 1: return .readable
        case 0: return .timedOut
        default:
            _ = ceditline_take_interrupting_signal()
            return .interrupted
        }
    }
}
