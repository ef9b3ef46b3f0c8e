import Foundation
import Synchronization

/// A named thread running a loop until asked to stop, that says when it has finished: the shape of the CRM's
/// background work (the customer feed, the in-process store), which must never hold up the routing thread.
public final class BackgroundThread: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts `body`, which should return soon after its argument returns true.
    public init(name: String, body: @escaping @Sendable (_ shouldStop: () -> Bool) -> Void) {
        let thread = Thread { [self] in
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
