import Foundation
import Synchronization

/// A named thread running a loop until asked to stop, that says when it has finished: the shape of the CRM's
/// background work (the customer feed, the in-process store), which must never hold up the routing thread.
/// On Linux it runs at a lower priority (nice 10) than the routing thread: on a busy machine the scheduler then
/// gives the routing thread the CPU first, and the store catches up from the replay buffer when load drops.
public final class BackgroundThread: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts `body`, which should return soon after its argument returns true.
    public init(name: String, body: @escaping @Sendable (_ shouldStop: () -> Bool) -> Void) {
        let thread = Thread { [self] in
            #if os(Linux)
            // On Linux the nice value is per thread, and `who` 0 names the calling thread alone.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            #endif
            body { stopRequested.load(ordering: .relaxed) }
            finished.store(true, ordering: .releasing)
        }
        thread.name = name
        thread.start()
    }

    public var isRunning: Bool { !finished.load(ordering: .acquiring) }

    /// Asks the loop to stop and waits for it to finish: at most `timeout`, or for as long as it takes.
    public func stop(waitingAtMost timeout: Duration? = nil) {
        stopRequested.store(true, ordering: .relaxed)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while isRunning, deadline.map({ ContinuousClock.now < $0 }) ?? true { usleep(5_000) }
    }
}
