import Foundation
import Logging
import Synchronization

/// Polls the customers table for changes on its own thread and hands them to the routing thread, which takes
/// them between requests without waiting: a CRM edit (or the store's own `last_agent_id` update) reaches
/// routing within one poll interval.
public final class CustomerDirectoryFeed: Sendable {
    private let pending = Mutex<[CustomerChanges]>([])
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts polling for changes after `revision`, every `intervalMilliseconds`.
    public init(database: CRMDatabase, after revision: Int64, intervalMilliseconds: Int = 1000, logger: Logger) {
        let thread = Thread { [self] in
            var seen = revision
            while !stopped.load(ordering: .relaxed) {
                do {
                    let changes = try database.customerChanges(since: seen)
                    if !changes.isEmpty { pending.withLock { $0.append(changes) } }
                    seen = max(seen, changes.revision)
                } catch {
                    logger.error("customer profiles not refreshed: \(error)")
                }
                var slept = 0
                while slept < intervalMilliseconds, !stopped.load(ordering: .relaxed) {
                    usleep(20_000)
                    slept += 20
                }
            }
            finished.store(true, ordering: .releasing)
        }
        thread.name = "acdd-customer-feed"
        thread.start()
    }

    /// The changes read since the last call; empty, without waiting, while the poller holds the lock.
    public func take() -> [CustomerChanges] {
        pending.withLockIfAvailable { changes in
            defer { changes.removeAll() }
            return changes
        } ?? []
    }

    /// Stops the poller and waits (at most a second) for it to finish.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        for _ in 0..<100 where !finished.load(ordering: .acquiring) { usleep(10_000) }
    }
}
