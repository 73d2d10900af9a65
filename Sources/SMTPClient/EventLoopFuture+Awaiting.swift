import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// The future's value, awaited on the caller's executor.
    ///
    /// SwiftNIO's `get()` belongs to no actor and is compiled without SE-0461, so it runs on the
    /// global executor: a console on the event loop would leave it for another thread and come
    /// back, twice for every write it waits for. A continuation made here stays where its
    /// caller runs (`NonisolatedNonsendingByDefault`, Package.swift).
    public func completion() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            whenComplete { continuation.resume(with: $0) }
        }
    }
}
