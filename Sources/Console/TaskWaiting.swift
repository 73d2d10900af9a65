import Foundation
import NIOConcurrencyHelpers

/// Runs `operation` as a task while the calling thread (the process's main thread) waits for it.
///
/// ehlo's commands stay synchronous: `ehlo serve` blocks SIGINT and SIGTERM before any other
/// thread exists, so that every thread inherits the mask and `sigwait` gets the signal. An
/// asynchronous `main` would start the concurrency runtime's threads before that.
public func waitForTask<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
    let result = NIOLockedValueBox<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await operation()
        result.withLockedValue { $0 = value }
        done.signal()
    }
    done.wait()
    guard let value = result.withLockedValue({ $0 }) else { preconditionFailure("the task ended without a result") }
    return value
}
