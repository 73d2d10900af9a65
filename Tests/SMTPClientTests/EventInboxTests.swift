import Foundation
import NIOPosix
import Testing

@testable import SMTPClient

/// The inbox's wake-up: its descriptor is readable exactly while events wait for the taker, and
/// a hold (the network thread reading a burst of replies) puts the wake-up off until its end.
@Suite struct EventInboxTests {
    private func isReadable(_ inbox: EventInbox<Int>) -> Bool {
        var descriptor = pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 1
    }

    @Test func aPostWakesTheTakerAndTakingEverythingEndsTheWakeUp() {
        let inbox = EventInbox<Int>()
        #expect(!isReadable(inbox))
        inbox.post(1)
        inbox.post(2)
        #expect(isReadable(inbox))
        #expect(inbox.takeAll() == [1, 2])
        #expect(!isReadable(inbox))
        #expect(inbox.takeAll() == [])
    }

    @Test func aHeldBurstWakesTheTakerOnceWhenTheHoldEnds() {
        let inbox = EventInbox<Int>()
        inbox.holdWakeUp()
        inbox.post(1)
        inbox.post(2)
        inbox.post(3)
        #expect(!isReadable(inbox))
        inbox.releaseWakeUp()
        #expect(isReadable(inbox))
        #expect(inbox.takeAll() == [1, 2, 3])
        #expect(!isReadable(inbox))
    }

    @Test func eventsTakenDuringAHoldLeaveNothingToWakeFor() {
        let inbox = EventInbox<Int>()
        inbox.holdWakeUp()
        inbox.post(1)
        #expect(inbox.takeAll() == [1])
        inbox.releaseWakeUp()
        #expect(!isReadable(inbox))
        inbox.post(2)
        #expect(isReadable(inbox))
    }

    @Test func takingTheFirstOfSeveralKeepsTheWakeUpForTheRest() {
        let inbox = EventInbox<Int>()
        inbox.post(1)
        inbox.post(2)
        #expect(inbox.takeFirst() == 1)
        #expect(isReadable(inbox))
        #expect(inbox.takeFirst() == 2)
        #expect(!isReadable(inbox))
    }

    /// A waiter (a script's console, suspended on the event loop) is called instead of the byte:
    /// once, for the first events, after a hold ends if one is in force; and at once if events
    /// wait already when it is left.
    @Test func aWaiterIsCalledOnceInsteadOfTheByte() {
        let inbox = EventInbox<Int>()
        let calls = Counter()
        inbox.whenEventsArrive { calls.add() }
        #expect(calls.value == 0)
        inbox.holdWakeUp()
        inbox.post(1)
        #expect(calls.value == 0)
        inbox.releaseWakeUp()
        #expect(calls.value == 1)
        inbox.post(2)
        #expect(calls.value == 1)
        #expect(isReadable(inbox))
        #expect(inbox.takeAll() == [1, 2])
        #expect(!isReadable(inbox))

        inbox.post(3)
        inbox.whenEventsArrive { calls.add() }
        #expect(calls.value == 2)
        #expect(inbox.takeAll() == [3])
        #expect(!isReadable(inbox))
    }

    @Test func aCancelledWaiterIsNotCalledAndTheByteIsWrittenAgain() {
        let inbox = EventInbox<Int>()
        let calls = Counter()
        let token = inbox.whenEventsArrive { calls.add() }
        inbox.cancelWaiter(token)
        inbox.post(1)
        #expect(calls.value == 0)
        #expect(isReadable(inbox))
        #expect(inbox.takeAll() == [1])
    }

    /// A wait that ends late takes back only its own closure, not the next wait's.
    @Test func cancellingAnEarlierWaitLeavesTheLaterWaiter() {
        let inbox = EventInbox<Int>()
        let calls = Counter()
        let earlier = inbox.whenEventsArrive { Issue.record("the replaced waiter was called") }
        inbox.whenEventsArrive { calls.add() }
        inbox.cancelWaiter(earlier)
        inbox.post(1)
        #expect(calls.value == 1)
        #expect(!isReadable(inbox))
    }

    @Test func anAwaitEndsWhenAnEventArrives() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let inbox = EventInbox<Int>()
        // Posted from the loop a little later, as the network thread would.
        loop.scheduleTask(in: .milliseconds(20)) { inbox.post(1) }
        #expect(await inbox.awaitEvents(on: loop, milliseconds: 30_000) == .arrived)
        #expect(inbox.takeAll() == [1])
        // Already waiting (and their byte written, no waiter being left): at once.
        inbox.post(2)
        #expect(await inbox.awaitEvents(on: loop, milliseconds: 30_000) == .arrived)
        #expect(inbox.takeAll() == [2])
        #expect(!isReadable(inbox))
        try await group.shutdownGracefully()
    }

    /// When its time is up the wait takes its closure back: the next post writes the byte.
    @Test func anAwaitThatTimesOutLeavesTheByteToTheNextPost() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = EventInbox<Int>()
        #expect(await inbox.awaitEvents(on: group.next(), milliseconds: 20) == .timedOut)
        inbox.post(1)
        #expect(isReadable(inbox))
        try await group.shutdownGracefully()
    }

    /// The loop shuts down while a wait is pending: the wait ends and says so (a taker must not
    /// wait again), it is not left suspended for ever.
    @Test(.timeLimit(.minutes(1))) func anAwaitEndsWhenItsLoopShutsDown() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let inbox = EventInbox<Int>()
        let waiting = Task { await inbox.awaitEvents(on: loop, milliseconds: 600_000) }
        // Until the wait is in place: its timeout scheduled, its closure left with the inbox.
        while !inbox.hasWaiter { try await Task.sleep(for: .milliseconds(5)) }
        try await group.shutdownGracefully()
        #expect(await waiting.value == .loopShutDown)
    }

    /// The interleaving the racing test below can only hope for: the taker takes the events
    /// between the poster's queuing and its byte. The late byte wakes the taker, who finds
    /// nothing, reads it, and leaves the descriptor quiet.
    @Test func aByteWrittenAfterItsEventsWereTakenIsReadByTheNextTake() {
        let inbox = EventInbox<Int>()
        let wakeUp = inbox.enqueue(1)
        guard case .byte = wakeUp else {
            Issue.record("the first event's byte is due")
            return
        }
        #expect(inbox.takeAll() == [1])
        inbox.wake(wakeUp)
        #expect(isReadable(inbox))
        #expect(inbox.takeAll() == [])
        #expect(!isReadable(inbox))
        inbox.post(2)
        #expect(isReadable(inbox))
        #expect(inbox.takeAll() == [2])
        #expect(!isReadable(inbox))
    }

    /// The byte is written after the lock is released, so a taker may take the events before
    /// their byte arrives; the byte is read by the next taker, and once everything is taken and
    /// the poster is done, the descriptor is not left readable (which would wake the console for
    /// nothing, over and over, until the next event).
    @Test func aRacingPosterAndTakerLoseNoEventAndLeaveNoStrayWakeUp() {
        let inbox = EventInbox<Int>()
        let count = 64 * 300
        let poster = Thread {
            for value in 0..<count {
                if value % 64 == 0 { inbox.holdWakeUp() }
                inbox.post(value)
                if value % 64 == 63 { inbox.releaseWakeUp() }
            }
        }
        poster.start()
        var taken: [Int] = []
        while taken.count < count {
            var descriptor = pollfd(fd: inbox.fileDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 100)
            taken += inbox.takeAll()
        }
        #expect(taken == Array(0..<count))
        // The poster's last write may still be on its way: one more take reads it.
        while poster.isExecuting { usleep(1000) }
        _ = inbox.takeAll()
        #expect(!isReadable(inbox))
        #expect(inbox.takeAll() == [])
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
