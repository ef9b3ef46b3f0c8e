import CRMStore
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// The CRM store run on a thread of the daemon: the same `CRMStoreFollower` as `acdd crm-store`, connected over
/// `inproc://` endpoints of the daemon's own sockets, so that it never slows the routing thread (it falls behind
/// and catches up from the replay buffer instead).
final class InProcessCRMStore: Sendable {
    let progress = CRMStoreProgress()
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    init(database: CRMDatabase, eventsEndpoint: String, adminEndpoint: String, context: ZMQContext, logger: Logger) {
        let thread = Thread { [self] in
            defer { finished.store(true, ordering: .releasing) }
            do {
                let follower = try CRMStoreFollower(
                    database: database, eventsEndpoint: eventsEndpoint, adminEndpoint: adminEndpoint, context: context,
                    progress: progress, logger: logger)
                try follower.run(until: { stopped.load(ordering: .relaxed) })
            } catch {
                logger.critical("the CRM store stopped: \(error)")
            }
        }
        thread.name = "acdd-crm-store"
        thread.start()
    }

    var isRunning: Bool { !finished.load(ordering: .acquiring) }

    /// Asks the store to write what it holds and stop; waits for it.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        while isRunning { usleep(5_000) }
    }
}
