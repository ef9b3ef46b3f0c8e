import CRMStore
import Logging
import ZeroMQ

/// The CRM store run on a thread of the daemon: the same `CRMStoreFollower` as `acdd crm-store`, connected over
/// `inproc://` endpoints of the daemon's own sockets, so that it never slows the routing thread (it falls behind
/// and catches up from the replay buffer instead).
final class InProcessCRMStore: Sendable {
    let progress = CRMStoreProgress()
    private let thread: BackgroundThread

    init(database: CRMDatabase, eventsEndpoint: String, adminEndpoint: String, context: ZMQContext, logger: Logger) {
        let progress = self.progress
        thread = BackgroundThread(name: "acdd-crm-store") { shouldStop in
            do {
                let follower = try CRMStoreFollower(
                    database: database, eventsEndpoint: eventsEndpoint, adminEndpoint: adminEndpoint, context: context,
                    progress: progress, logger: logger)
                try follower.run(until: shouldStop)
            } catch {
                logger.critical("the CRM store stopped: \(error)")
            }
        }
    }

    var isRunning: Bool { thread.isRunning }

    /// Asks the store to write what it holds and stop; waits for it.
    func stop() {
        thread.stop()
    }
}
