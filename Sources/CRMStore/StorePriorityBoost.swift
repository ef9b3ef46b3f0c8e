import Synchronization

/// Lets the routing thread raise an in-process CRM store that fell behind while at `ThreadPriority.idle`.
///
/// The store leaves `idle` for `catchingUp` itself once it takes a large backlog, but it must run to take one. On
/// a machine kept busy, by load or by the kernel writing back what an overloaded spell left, a thread at
/// `SCHED_IDLE` may not run for a long time; the lag then reached the daemon's limit and intake paused for 40 to
/// 80 ms (bench/README.md, session 23). The routing thread sees the lag grow at every turn, and raises the store's
/// thread from outside.
public final class StorePriorityBoost: Sendable {
    private let thread = Atomic<Int32>(0)
    private let idle = Atomic<Bool>(false)
    private let boosted = Atomic<Bool>(false)

    public init() {}

    /// Raises the store's thread to `catchingUp` if it is at `idle`; true if it did.
    @discardableResult
    public func boost() -> Bool {
        let id = thread.load(ordering: .acquiring)
        guard id != 0, idle.exchange(false, ordering: .acquiringAndReleasing) else { return false }
        ThreadPriority.catchingUp.apply(toThread: id)
        boosted.store(true, ordering: .releasing)
        return true
    }

    /// The store's thread says which thread it is when it starts, and 0 when it finishes.
    func register(thread id: Int32) {
        thread.store(id, ordering: .releasing)
    }

    /// The store's thread took `priority`.
    func noteApplied(_ priority: ThreadPriority) {
        idle.store(priority == .idle, ordering: .releasing)
    }

    /// Whether the daemon raised the store since the last call: it is at `catchingUp` now, whatever it chose last.
    func takeBoost() -> Bool {
        boosted.exchange(false, ordering: .acquiringAndReleasing)
    }
}
