import Foundation

/// Lets the network thread put off the wake-up of the console's thread while it reads a burst
/// of replies, so that the burst is taken in one go, not one reply per wake-up.
public protocol WakeUpHolding: AnyObject, Sendable {
    /// Events posted from now on are queued without waking the taker.
    func holdWakeUp()
    /// Ends the hold: one wake-up for every event posted meanwhile.
    func releaseWakeUp()
}

/// A queue from the network threads to the console's main thread.
///
/// ### Why a pipe?
/// The main thread spends its time inside libedit, blocked in `poll` on the terminal. Posting
/// an event writes one byte to a pipe that the same `poll` watches, so a reply that arrives
/// while the user is typing wakes the editor at once, and nothing is printed from a network
/// thread (which would garble the line being edited).
public final class EventInbox<Event: Sendable>: WakeUpHolding, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [Event] = []
    /// The pipe holds its byte.
    private var isSignalled = false
    /// Holds in force (`holdWakeUp`); while any is, posting writes no byte.
    private var holds = 0
    private let readEnd: Int32
    private let writeEnd: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { preconditionFailure("pipe() failed: \(errno)") }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Becomes readable when events are waiting; for `poll`.
    public var fileDescriptor: Int32 { readEnd }

    /// ### Why one byte per batch?
    /// The pipe holds a byte only while events wait: the first event posted writes it, the
    /// taker that empties the queue reads it, both under the lock. So a burst of pipelined
    /// replies costs one `write(2)` and one wake-up, and looking for events when there are none
    /// (the console does before every line it reads) costs no system call at all. During a hold
    /// (the network thread reading a burst) no byte is written until the hold ends: a taker woken
    /// by the first reply of a burst would take it alone, wait again, and be woken for the next.
    public func post(_ event: Event) {
        lock.lock()
        defer { lock.unlock() }
        events.append(event)
        signalIfDue()
    }

    public func holdWakeUp() {
        lock.lock()
        defer { lock.unlock() }
        holds += 1
    }

    public func releaseWakeUp() {
        lock.lock()
        defer { lock.unlock() }
        holds = max(holds - 1, 0)
        signalIfDue()
    }

    /// Writes the byte if events wait, none is written and no hold is in force; call with the lock held.
    private func signalIfDue() {
        guard holds == 0, !isSignalled, !events.isEmpty else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        isSignalled = true
    }

    /// Takes every waiting event, oldest first.
    public func takeAll() -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        guard !events.isEmpty else { return [] }
        drainPipe()
        let taken = events
        events.removeAll()
        return taken
    }

    /// Takes the oldest event, leaving the rest (and the pipe readable if any remain).
    public func takeFirst() -> Event? {
        lock.lock()
        defer { lock.unlock() }
        guard !events.isEmpty else { return nil }
        let first = events.removeFirst()
        if events.isEmpty { drainPipe() }
        return first
    }

    /// Empties the pipe, if it holds its byte; call with the lock held.
    ///
    /// One `read(2)` empties it: it holds one byte at most (see `post`). Reading on until
    /// `EAGAIN` cost a second system call per batch.
    private func drainPipe() {
        guard isSignalled else { return }
        isSignalled = false
        var scratch = (UInt64(0), UInt64(0))
        let size = MemoryLayout.size(ofValue: scratch)
        while withUnsafeMutableBytes(of: &scratch, { read(readEnd, $0.baseAddress, $0.count) }) == size {}
    }

    public var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return events.isEmpty
    }
}
