import CRMStore
import Logging
import ZeroMQ

/// The CRM store run on a thread of the daemon: the same `CRMStoreFollower` as `acdd crm-store`, taking the
/// engine's events from an `EventHandoff` instead of a subscription, and asking for replays over an `inproc://`
/// endpoint of the daemon's admin socket. It never slows the routing thread: it falls behind and catches up from
/// the replay buffer instead.
final class InProcessCRMStore: Sendable {
    let progress = CRMStoreProgress()
    let handoff: EventHandoff
    let boost = StorePriorityBoost()
    private let thread: BackgroundThread

    init(
        database: CRMDatabase, stream: UInt64, handoffCapacity: Int, adminEndpoint: String, context: ZMQContext,
        logger: Logger
    ) {
        let progress = self.progress
        let boost = self.boost
        let handoff = EventHandoff(capacity: handoffCapacity)
        self.handoff = handoff
        thread = BackgroundThread(name: "acdd-crm-store") { shouldStop in
            do {
                let follower = try CRMStoreFollower(
                    database: database, source: .handoff(handoff, stream: stream), adminEndpoint: adminEndpoint,
                    context: context, progress: progress, boost: boost, logger: logger)
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
