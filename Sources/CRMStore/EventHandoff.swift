import RoutingCore
import Synchronization

/// The events of the daemon's engine, passed as they are from the routing thread to the CRM store running on a
/// thread of the same process: no encoding, no socket, no decoding on the way. The routing thread never waits for
/// the store: once `capacity` events are waiting, what comes next is dropped here, and the store fetches it again
/// from the daemon's replay buffer, as any subscriber that missed events does.
public final class EventHandoff: Sendable {
    private let waiting = Mutex<[Event]>([])
    private let dropped = Atomic<UInt64>(0)
    private let latest = Atomic<UInt64>(0)
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Events the store was too far behind to be handed: it fetches them from the replay buffer, or counts them
    /// lost once they have left it.
    public var droppedEvents: UInt64 { dropped.load(ordering: .relaxed) }
    /// The sequence number of the last event offered, handed or dropped.
    public var latestSequence: UInt64 { latest.load(ordering: .relaxed) }

    /// Called by the routing thread with the events of one turn of its loop, in sequence order. Leaves `events`
    /// empty, with storage to reuse. When the store has taken every event before, the two arrays trade places and
    /// no event is copied.
    public func hand(_ events: inout [Event]) {
        guard let last = events.last?.sequence else { return }
        let taken = waiting.withLock { put(&events, into: &$0) }
        settle(&events, through: last, taken: taken)
    }

    /// Hands `events` only if the store has taken all it was handed before, and the lock is free: the two arrays
    /// then trade places and no event is copied; true is returned and `events` comes back empty, with storage to
    /// reuse. Otherwise `events` stay with the caller, which adds its next turn's to them and tries again, and
    /// false is returned; past `capacity` events kept so, they are dropped as `hand` drops them. The store takes
    /// every few milliseconds and the routing thread hands every turn: appending each turn's events behind those
    /// waiting copied every event once more and released the originals, about 2,600 of the routing thread's
    /// instructions per contact (callgrind, bench/README.md, session 19). The lock is only tried: the store runs at
    /// `SCHED_IDLE`, and preempted inside its short critical section it may not run again until a CPU has nothing
    /// else to do.
    @discardableResult
    public func handIfTaken(_ events: inout [Event]) -> Bool {
        guard let last = events.last?.sequence else { return true }
        let traded = waiting.withLockIfAvailable { waiting -> Bool in
            guard waiting.isEmpty else { return false }
            swap(&waiting, &events)
            return true
        } ?? false
        if traded {
            latest.store(last, ordering: .relaxed)
        } else if events.count >= capacity {
            settle(&events, through: last, taken: false)
        }
        return traded
    }

    /// Under the lock: whether `events` fit beside those waiting; if so they join them.
    private func put(_ events: inout [Event], into waiting: inout [Event]) -> Bool {
        guard waiting.count + events.count <= capacity else { return false }
        if waiting.isEmpty {
            swap(&waiting, &events)
        } else {
            waiting.append(contentsOf: events)
        }
        return true
    }

    private func settle(_ events: inout [Event], through last: UInt64, taken: Bool) {
        if !taken { dropped.add(UInt64(events.count), ordering: .relaxed) }
        latest.store(last, ordering: .relaxed)
        events.removeAll(keepingCapacity: true)
    }

    /// Moves every waiting event into `buffer`, which must be empty; its storage is kept for the next events.
    func take(into buffer: inout [Event]) {
        precondition(buffer.isEmpty)
        waiting.withLock { swap(&$0, &buffer) }
    }
}
