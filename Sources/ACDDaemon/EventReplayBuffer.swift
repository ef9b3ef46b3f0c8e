/// The most recent published events, already encoded, so that a subscriber that missed some (it was slow, it
/// joined late, it restarted) can fetch them again by sequence number. A ring: the oldest event makes room for the
/// newest once `capacity` is reached.
struct EventReplayBuffer {
    private var ring: [[UInt8]] = []
    private let capacity: Int
    /// Sequence number of the event at `ring[start]`.
    private var oldest: UInt64 = 1
    private var start = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        ring.reserveCapacity(min(capacity, 1 << 16))
    }

    /// The sequence number of the newest event held; 0 when none was published yet.
    var lastSequence: UInt64 { oldest + UInt64(ring.count) - 1 }
    var oldestSequence: UInt64 { oldest }

    /// Stores the next event, whose sequence number must be `lastSequence + 1`.
    mutating func append(_ payload: [UInt8]) {
        if ring.count < capacity {
            ring.append(payload)
        } else {
            ring[start] = payload
            start = (start + 1) % capacity
            oldest += 1
        }
    }

    /// Up to `limit` events from `sequence` on, or from the oldest held when `sequence` is older than that.
    func events(from sequence: UInt64, limit: Int) -> [[UInt8]] {
        guard sequence > 0, sequence <= lastSequence, limit > 0 else { return [] }
        let first = Int(max(sequence, oldest) - oldest)
        let count = min(limit, ring.count - first)
        return (first..<first + count).map { ring[(start + $0) % ring.count] }
    }
}
