import Foundation

/// Lets the network thread put off the wake-up of the console's thread while it reads a burst
/// of replies, so that the burst is taken in one go, not one reply per wake-up.
public protocol WakeUpHolding: AnyObject, Sendable {
    /// Events posted from now on are queued without waking the taker.
    func holdWakeUp()
    /// Ends the hold: one wake-up for every event posted meanwhile.
    func releaseWakeUp()
}

/// A queue from the network thread to the console.
///
/// ### Why a pipe?
/// At a terminal the console's thread spends its time inside libedit, blocked in `poll` on the
/// terminal. Posting an event writes one byte to a pipe that the same `poll` watches, so a reply
/// that arrives while the user is typing wakes the editor at once, and nothing is printed from
/// the network thread (which would garble the line being edited).
///
/// ### And a waiter?
/// A script's console runs on the network thread's event loop itself: while it waits for a
/// reply it is suspended, not blocked in `poll`, and the event is posted on the same thread.
/// Then `whenEventsArrive` leaves a closure that resumes it, called where the byte would be
/// written: no system call and no second thread between a reply and what follows it.
public final class EventInbox<Event: Sendable>: WakeUpHolding, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [Event] = []
    /// A byte was written (or is being written) for the events waiting; none is written for
    /// more until a taker takes them.
    private var isSignalled = false
    /// Bytes written, or about to be, that no taker has read yet.
    private var unreadBytes = 0
    /// Holds in force (`holdWakeUp`); while any is, posting writes no byte.
    private var holds = 0
    /// Called, once, instead of writing a byte for the next events (`whenEventsArrive`).
    private var waiter: (token: WaiterToken, resume: @Sendable () -> Void)?
    private var lastWaiterToken: UInt64 = 0
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
    /// taker that empties the queue reads it. So a burst of pipelined replies costs one
    /// `write(2)` and one wake-up, and looking for events when there are none (the console does
    /// before every line it reads) costs no system call at all. During a hold (the network thread
    /// reading a burst) no byte is written until the hold ends: a taker woken by the first reply
    /// of a burst would take it alone, wait again, and be woken for the next.
    ///
    /// ### Why is the byte written after the lock is released?
    /// The byte wakes the taker on the other core at once, and it takes the lock first thing:
    /// written under the lock, every reply of a lock-step session made the two threads meet on
    /// it, three `futex(2)` calls more. Written after, the byte may come after the taker has
    /// already taken the events it was for; `unreadBytes` counts it, and the taker that finds no
    /// events reads it then, so the pipe is never left readable for nothing.
    public func post(_ event: Event) {
        wake(enqueue(event))
    }

    /// The first half of `post`: queues the event and says how its taker is to be woken.
    func enqueue(_ event: Event) -> WakeUp {
        lock.lock()
        defer { lock.unlock() }
        events.append(event)
        return claimWakeUp()
    }

    /// How a taker is woken for the events waiting, if one is due to be.
    enum WakeUp {
        case none
        case byte
        case waiter(@Sendable () -> Void)
    }

    /// The second half of `post`, outside the lock.
    func wake(_ wakeUp: WakeUp) {
        switch wakeUp {
        case .none: break
        case .byte: writeWakeUpByte()
        case .waiter(let resume): resume()
        }
    }

    /// Names the closure one `whenEventsArrive` left, so that only its own wait takes it back.
    public struct WaiterToken: Hashable, Sendable {
        fileprivate let value: UInt64
    }

    /// Calls `resume` once events wait and no hold is in force: at once if they do now, else
    /// instead of the byte the next post would write. One waiter at a time: a new one replaces
    /// the last.
    @discardableResult
    public func whenEventsArrive(_ resume: @escaping @Sendable () -> Void) -> WaiterToken {
        lock.lock()
        lastWaiterToken += 1
        let token = WaiterToken(value: lastWaiterToken)
        waiter = (token, resume)
        let wakeUp = claimWakeUp()
        lock.unlock()
        wake(wakeUp)
        return token
    }

    /// Takes back the closure that `whenEventsArrive` left and named `token`, if it is still
    /// there: not one a later wait left in its place.
    public func cancelWaiter(_ token: WaiterToken) {
        lock.lock()
        defer { lock.unlock() }
        if waiter?.token == token { waiter = nil }
    }

    public func holdWakeUp() {
        lock.lock()
        defer { lock.unlock() }
        holds += 1
    }

    public func releaseWakeUp() {
        lock.lock()
        holds = max(holds - 1, 0)
        let wakeUp = claimWakeUp()
        lock.unlock()
        wake(wakeUp)
    }

    /// How the taker is to be woken for the events waiting, if no hold is in force: the waiter,
    /// if one is left, else a byte unless one is written already (it is counted as written:
    /// write it once the lock is released). Call with the lock held.
    private func claimWakeUp() -> WakeUp {
        guard holds == 0, !events.isEmpty else { return .none }
        if let waiter {
            self.waiter = nil
            return .waiter(waiter.resume)
        }
        guard !isSignalled else { return .none }
        isSignalled = true
        unreadBytes += 1
        return .byte
    }

    private func writeWakeUpByte() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Takes every waiting event, oldest first.
    public func takeAll() -> [Event] {
        lock.lock()
        let taken = events
        if !taken.isEmpty {
            events.removeAll()
            isSignalled = false
        }
        let unread = unreadBytes
        lock.unlock()
        if unread > 0 { drainPipe() }
        return taken
    }

    /// Takes the oldest event, leaving the rest (and the pipe readable if any remain).
    public func takeFirst() -> Event? {
        lock.lock()
        let first = events.isEmpty ? nil : events.removeFirst()
        if first != nil, events.isEmpty { isSignalled = false }
        let drains = events.isEmpty && unreadBytes > 0
        lock.unlock()
        if drains { drainPipe() }
        return first
    }

    /// Reads what the pipe holds of the bytes written for events taken; without the lock.
    ///
    /// One `read(2)` empties it: it holds a byte or two at most (see `post`). Reading on until
    /// `EAGAIN` cost a second system call per batch. A byte not written yet is read by a later
    /// taker (its write makes the pipe readable, which wakes one).
    private func drainPipe() {
        var scratch = (UInt64(0), UInt64(0))
        let count = withUnsafeMutableBytes(of: &scratch) { read(readEnd, $0.baseAddress, $0.count) }
        guard count > 0 else { return }
        lock.lock()
        unreadBytes = max(unreadBytes - count, 0)
        lock.unlock()
    }

    public var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return events.isEmpty
    }

    /// A closure of `whenEventsArrive` is waiting to be called.
    var hasWaiter: Bool {
        lock.lock()
        defer { lock.unlock() }
        return waiter != nil
    }
}
