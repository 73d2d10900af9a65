import NIOConcurrencyHelpers
import NIOCore

/// How a wait for events ended.
public enum AwaitOutcome: Sendable {
    case arrived
    case timedOut
    /// The loop shut down (or is shutting down): nothing will arrive, so waiting again is vain.
    case loopShutDown
}

extension EventInbox {
    /// Waits, suspended, at most `milliseconds` for events to arrive (see `whenEventsArrive`).
    /// For a taker that runs on `eventLoop` and so must not block it (a script's console); the
    /// time limit is a callback scheduled there.
    public func awaitEvents(on eventLoop: any EventLoop, milliseconds: Int64) async -> AwaitOutcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<AwaitOutcome, Never>) in
            let wait = PendingWait(inbox: self, continuation)
            // A callback, not a scheduled task: no promise and future to make for every reply.
            guard
                let timer = try? eventLoop.scheduleCallback(
                    in: .milliseconds(milliseconds), handler: WaitTimeout(wait: wait))
            else {
                // Refused: the loop is closing, and nothing will arrive. (On a loop already shut
                // down SwiftNIO drops the callback with an error message instead: no taker waits
                // there, as its own code could no longer run.)
                wait.end(.loopShutDown)
                return
            }
            let token = whenEventsArrive {
                // Ended first: cancelling calls `didCancelScheduledCallback` at once, which
                // would end the wait as one that saw nothing.
                wait.end(.arrived)
                timer.cancel()
            }
            wait.waiterLeft(token)
        }
    }
}

/// A wait for events that ends once: when they arrive, when its time is up, or when its loop
/// shuts down.
private final class PendingWait<Event: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<AwaitOutcome, Never>?
        var token: EventInbox<Event>.WaiterToken?
    }

    private let inbox: EventInbox<Event>
    private let state: NIOLockedValueBox<State>

    init(inbox: EventInbox<Event>, _ continuation: CheckedContinuation<AwaitOutcome, Never>) {
        self.inbox = inbox
        self.state = NIOLockedValueBox(State(continuation: continuation))
    }

    /// The closure that ends the wait when events arrive is left, under `token`; it is taken
    /// back at once if the wait already ended.
    func waiterLeft(_ token: EventInbox<Event>.WaiterToken) {
        let hasEnded = state.withLockedValue { state in
            state.token = token
            return state.continuation == nil
        }
        if hasEnded { inbox.cancelWaiter(token) }
    }

    /// Resumes the waiting task, the first time only. Unless the events arrived, takes back the
    /// closure left for them, so that the next post writes its byte.
    func end(_ outcome: AwaitOutcome) {
        let (continuation, token) = state.withLockedValue { state in
            defer { state.continuation = nil }
            return (state.continuation, state.token)
        }
        guard let continuation else { return }
        if outcome != .arrived, let token { inbox.cancelWaiter(token) }
        continuation.resume(returning: outcome)
    }
}

/// The end of a `PendingWait` whose time is up, or whose loop shut down first.
private struct WaitTimeout<Event: Sendable>: NIOScheduledCallbackHandler, Sendable {
    let wait: PendingWait<Event>

    func handleScheduledCallback(eventLoop: some EventLoop) {
        wait.end(.timedOut)
    }

    /// The arrival of events cancels the callback only once it has ended the wait, so a cancel
    /// that still ends it is the loop's shutdown.
    func didCancelScheduledCallback(eventLoop: some EventLoop) {
        wait.end(.loopShutDown)
    }
}
