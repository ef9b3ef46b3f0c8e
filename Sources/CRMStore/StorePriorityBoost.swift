#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Lets the routing thread raise an in-process CRM store that fell behind while at `ThreadPriority.idle`, and
/// keeps how long the store has run at another priority than `idle`, competing with routing for the CPU.
///
/// The store leaves `idle` for `paced` itself once it takes a large backlog, but it must run to take one. On
/// a machine kept busy, by load or by the kernel writing back what an overloaded spell left, a thread at
/// `SCHED_IDLE` may not run for a long time; the lag then reached the daemon's limit and intake paused for 40 to
/// 80 ms (bench/README.md, session 23). The routing thread sees the lag grow at every turn, and raises the store's
/// thread from outside.
public final class StorePriorityBoost: Sendable {
    private let thread = Atomic<Int32>(0)
    private let idle = Atomic<Bool>(false)
    private let boosted = Atomic<Bool>(false)
    /// When the store last left `idle` (monotonic nanoseconds), 0 while it is at `idle`; and the time of the
    /// spells away from `idle` that have ended. Atomics, not a lock: the store at `SCHED_IDLE`, preempted while
    /// holding one, would hold up the routing thread reading the statistics.
    private let competingSince = Atomic<UInt64>(0)
    private let competedNanoseconds = Atomic<UInt64>(0)

    public init() {}

    /// Raises the store's thread to `paced` if it is at `idle`; true if it did.
    @discardableResult
    public func boost() -> Bool {
        let id = thread.load(ordering: .acquiring)
        guard id != 0, idle.exchange(false, ordering: .acquiringAndReleasing) else { return false }
        ThreadPriority.paced.apply(toThread: id)
        startCompeting()
        boosted.store(true, ordering: .releasing)
        return true
    }

    /// How long the store has run at another priority than `idle`, the spell under way included: 0 while the
    /// machine's spare CPU is enough for it, growing when it has to compete with routing to keep up.
    public var competingMilliseconds: UInt64 {
        let since = competingSince.load(ordering: .acquiring)
        let current = since == 0 ? 0 : monotonicNanoseconds() &- since
        return (competedNanoseconds.load(ordering: .acquiring) + current) / 1_000_000
    }

    /// The store's thread says which thread it is when it starts, and 0 when it finishes.
    func register(thread id: Int32) {
        thread.store(id, ordering: .releasing)
    }

    /// The store's thread took `priority`.
    func noteApplied(_ priority: ThreadPriority) {
        if priority == .idle {
            let since = competingSince.exchange(0, ordering: .acquiringAndReleasing)
            if since != 0 { competedNanoseconds.add(monotonicNanoseconds() &- since, ordering: .releasing) }
        } else {
            startCompeting()
        }
        idle.store(priority == .idle, ordering: .releasing)
    }

    private func startCompeting() {
        _ = competingSince.compareExchange(expected: 0, desired: monotonicNanoseconds(), ordering: .acquiringAndReleasing)
    }

    /// Whether the daemon raised the store since the last call: it is at `paced` now, whatever it chose last.
    func takeBoost() -> Bool {
        boosted.exchange(false, ordering: .acquiringAndReleasing)
    }
}
