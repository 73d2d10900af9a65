import NIOCore

/// Runs a task's jobs on an event loop, as isolated to that loop's serial executor.
///
/// ### Why?
/// A continuation resumes its task on the task's executor: without a preference, the global
/// one. The console is an actor on an event loop, so each wait for a reply would end on a thread
/// of the global pool, which then hands the task back to the loop: two thread switches for
/// every reply, the very cost running on the loop removes. With this executor preferred
/// (`withTaskExecutorPreference`, SE-0417), a resumed continuation is queued on the loop itself,
/// and finds itself on the console's executor already.
final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let serial = loop.executor.asUnownedSerialExecutor()
        let task = asUnownedTaskExecutor()
        loop.execute {
            job.runSynchronously(isolatedTo: serial, taskExecutor: task)
        }
    }
}
