import Foundation
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
}
