/// The most recent published events, already encoded, so that a subscriber that missed some (it was slow, it
/// joined late, it restarted) can fetch them again by sequence number: the last `capacity` of them, the oldest
/// making room for the newest. The daemon doubles the capacity rather than drop an event the in-process CRM store
/// has not written yet.
///
/// Their bytes sit one after the other in a single ring of memory, which the outbox sends from: an array per
/// event cost an allocation when it was encoded, a free when the ring dropped it, and reference counting on the
/// way through the outbox (bench/README.md). An event's bytes never wrap around the ring's end; when the ring
/// has no room for the newest event and still holds fewer than `capacity`, it grows and packs the events it holds.
///
/// Only the routing thread uses it: its state skips Swift's run-time exclusivity checks, which were a tenth of
/// `append`'s instructions.
final class EventReplayBuffer {
    @exclusivity(unchecked) private(set) var capacity: Int
    /// Where each held event's bytes are, oldest first from `spans[start]`, a ring of at most `capacity` spans.
    @exclusivity(unchecked) private var spans: [Span] = []
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private(set) var count = 0
    /// Sequence number of the event at `spans[start]`.
    @exclusivity(unchecked) private(set) var oldestSequence: UInt64 = 1

    @exclusivity(unchecked) private var bytes: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var byteCapacity: Int
    /// Where the next event's bytes go, unless they do not fit before the end or before the oldest event's.
    @exclusivity(unchecked) private var head = 0
    /// Whether the newest events lie before the oldest in memory, the ring having wrapped to its start.
    @exclusivity(unchecked) private var wrapped = false

    private struct Span {
        var offset: Int
        var count: Int
    }

    /// Room for this many bytes per event from the start, so that a daemon under load does not stop to grow the
    /// ring (the events a busy daemon publishes take 20 to 110 bytes). Pages are only resident once written.
    static let initialBytesPerEvent = 128
    /// A larger ring starts at this size and grows as it fills: a very large `capacity` must not reserve more
    /// memory than the machine has.
    static let largestInitialByteCapacity = 1 << 28

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        byteCapacity = min(max(capacity, 512) * Self.initialBytesPerEvent, Self.largestInitialByteCapacity)
        bytes = .allocate(byteCount: byteCapacity, alignment: 16)
        spans.reserveCapacity(min(capacity, 1 << 16))
    }

    deinit { bytes.deallocate() }

    /// The sequence number of the newest event held; 0 when none was published yet.
    var lastSequence: UInt64 { oldestSequence + UInt64(count) - 1 }
    /// Whether the next `append` drops the oldest event.
    var isFull: Bool { count == capacity }

    /// Stores the next event, whose sequence number is `lastSequence + 1`.
    func append(_ payload: UnsafeRawBufferPointer) {
        if isFull { dropOldest() }
        let offset: Int
        if let free = placement(for: payload.count) {
            offset = free
        } else {
            grow(toFit: payload.count)
            offset = head
        }
        if let source = payload.baseAddress { (bytes + offset).copyMemory(from: source, byteCount: payload.count) }
        if offset < head { wrapped = true }
        head = offset + payload.count
        let slot = slot(count)
        if slot == spans.count {
            spans.append(Span(offset: offset, count: payload.count))
        } else {
            spans[slot] = Span(offset: offset, count: payload.count)
        }
        count += 1
    }

    /// The bytes of a held event (`oldestSequence...lastSequence`), valid until the next `append`.
    func payload(of sequence: UInt64) -> UnsafeRawBufferPointer {
        precondition(sequence >= oldestSequence && sequence <= lastSequence, "event \(sequence) is not held")
        let span = spans[slot(Int(sequence - oldestSequence))]
        return UnsafeRawBufferPointer(start: bytes + span.offset, count: span.count)
    }

    /// Up to `limit` events from `sequence` on, or from the oldest held when `sequence` is older than that.
    func events(from sequence: UInt64, limit: Int) -> [[UInt8]] {
        guard sequence > 0, sequence <= lastSequence, limit > 0 else { return [] }
        let first = max(sequence, oldestSequence)
        let taken = min(UInt64(limit), lastSequence - first + 1)
        return (first..<first + taken).map { Array(payload(of: $0)) }
    }

    /// The index in `spans` of the held event `position` places after the oldest (or of the next, at `count`).
    @inline(__always)
    private func slot(_ position: Int) -> Int {
        let index = start + position
        return index < capacity ? index : index - capacity
    }

    /// Where `length` bytes fit without dropping an event, or nil.
    private func placement(for length: Int) -> Int? {
        // An empty ring has its head at 0 (`dropOldest` and `grow` see to it).
        guard count > 0 else { return length <= byteCapacity ? 0 : nil }
        let oldest = spans[start].offset
        if wrapped { return length <= oldest - head ? head : nil }
        if length <= byteCapacity - head { return head }
        return length <= oldest ? 0 : nil
    }

    private func dropOldest() {
        let oldest = spans[start].offset
        start = slot(1)
        count -= 1
        oldestSequence += 1
        if count == 0 {
            head = 0
            wrapped = false
        } else if wrapped, spans[start].offset < oldest {
            wrapped = false
        }
    }

    /// Holds twice as many events from now on; the ones held stay.
    func doubleCapacity() {
        spans = (0..<count).map { spans[slot($0)] }
        start = 0
        capacity *= 2
    }

    /// Moves the held events, in order, to the start of a larger ring with room for `length` more bytes after them.
    private func grow(toFit length: Int) {
        var held = 0
        for position in 0..<count { held += spans[slot(position)].count }
        var newCapacity = byteCapacity * 2
        while newCapacity < held + length { newCapacity *= 2 }
        let newBytes = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        var cursor = 0
        for position in 0..<count {
            let slot = slot(position)
            newBytes.advanced(by: cursor).copyMemory(from: bytes + spans[slot].offset, byteCount: spans[slot].count)
            spans[slot].offset = cursor
            cursor += spans[slot].count
        }
        bytes.deallocate()
        bytes = newBytes
        byteCapacity = newCapacity
        head = cursor
        wrapped = false
    }
}
