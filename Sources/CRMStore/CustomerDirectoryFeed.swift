import Foundation
import Logging
import Synchronization

/// Polls the customers table for changes on its own thread and hands them to the routing thread, which takes
/// them between requests without waiting: a CRM edit (or the store's own `last_agent_id` update) reaches
/// routing within one poll interval.
public final class CustomerDirectoryFeed: Sendable {
    private final class Mailbox: Sendable {
        let changes = Mutex<[CustomerChanges]>([])
    }

    private let mailbox = Mailbox()
    private let poller: BackgroundThread

    /// Starts polling for changes after `revision`, every `intervalMilliseconds`.
    public init(database: CRMDatabase, after revision: Int64, intervalMilliseconds: Int = 1000, logger: Logger) {
        let mailbox = self.mailbox
        poller = BackgroundThread(name: "acdd-customer-feed") { shouldStop in
            var seen = revision
            while !shouldStop() {
                do {
                    let changes = try database.customerChanges(since: seen)
                    if !changes.isEmpty { mailbox.changes.withLock { $0.append(changes) } }
                    seen = max(seen, changes.revision)
                } catch {
                    logger.error("customer profiles not refreshed: \(error)")
                }
                var slept = 0
                while slept < intervalMilliseconds, !shouldStop() {
                    usleep(20_000)
                    slept += 20
                }
            }
        }
    }

    /// The changes read since the last call; empty, without waiting, while the poller holds the lock.
    public func take() -> [CustomerChanges] {
        mailbox.changes.withLockIfAvailable { changes in
            defer { changes.removeAll() }
            return changes
        } ?? []
    }

    /// Stops the poller and waits (at most a second) for it to finish.
    public func stop() {
        poller.stop(waitingAtMost: .seconds(1))
    }
}
