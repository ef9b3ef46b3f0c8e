import DequeModule
import HeapModule

/// Timers in (due, sequence) order. Nearly every timer is armed a fixed delay after the current time (a
/// queue's offer timeout, the gap to the next relaxation step, wrap-up), and time only moves forward, so all
/// timers sharing a delay form a FIFO that is already sorted. A small heap orders the FIFOs' heads: arming is
/// O(1), firing is O(log d) for d distinct delays, instead of O(log n) over every pending timer.
///
/// The FIFOs keep their timers in fixed-size segments drawn from a pool they share. An offer timer stays until it
/// is due even when the offer was answered at once, so a daemon holds offer-timeout × rate of them: 3 million at
/// 100,000 contacts/s and 30 s. In one growing buffer per FIFO, each doubling copied the whole FIFO into fresh
/// memory on the routing thread (tens of megabytes, a stall of milliseconds with its page faults) whenever the rate
/// passed its last peak, and the buffer never gave memory back. A segment emptied by firing is reused by the next
/// timer armed, so the steady state neither allocates nor copies, and the pool keeps at most `pooledSegments`.
struct TimerQueue {
    private struct Head: Comparable {
        var due: Int64
        var sequence: UInt64
        var list: Int
        static func < (lhs: Head, rhs: Head) -> Bool { (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence) }
    }

    /// One delay's timers: `count` of them, the oldest at `first` in the first of its segments.
    private struct List {
        var segments = Deque<Int32>()
        var first = 0
        var count = 0
    }

    static let segmentCapacity = 512
    /// Empty segments kept for reuse past which they are freed: 4 MiB of timers.
    static let pooledSegments = 256

    private var listByDelay = CheapHashTable<Int64, Int32>()
    private var lists: [List] = []
    private var delayOfList: [Int64] = []
    private var unusedLists: [Int] = []
    private var heads = Heap<Head>()
    /// Each segment holds at most `segmentCapacity` timers, appended at its end and read from `List.first` on.
    private var segments: [[TimerEntry]] = []
    /// Empty segments with their storage, ready for the next timers.
    private var pooled: [Int32] = []
    /// Segment numbers whose storage was freed.
    private var vacant: [Int32] = []
    private(set) var count = 0

    /// `delay` must be `entry.due` minus the current time, and the current time must never go back.
    mutating func insert(_ entry: TimerEntry, delay: Int64) {
        let list: Int
        if let existing = listByDelay[delay] {
            list = Int(existing)
        } else if let reused = unusedLists.popLast() {
            list = reused
            delayOfList[list] = delay
            listByDelay[delay] = Int32(list)
        } else {
            list = lists.count
            lists.append(List())
            delayOfList.append(delay)
            listByDelay[delay] = Int32(list)
        }
        if lists[list].count == 0 { heads.insert(Head(due: entry.due, sequence: entry.sequence, list: list)) }
        let end = lists[list].first + lists[list].count
        if end == lists[list].segments.count * Self.segmentCapacity { lists[list].segments.append(takeSegment()) }
        segments[Int(lists[list].segments[lists[list].segments.count - 1])].append(entry)
        lists[list].count += 1
        count += 1
    }

    /// When the earliest timer is due.
    var nextDue: Int64? { heads.min?.due }

    @discardableResult
    mutating func removeMin() -> TimerEntry? {
        guard let head = heads.min else { return nil }
        let list = head.list
        let segment = Int(lists[list].segments[0])
        let entry = segments[segment][lists[list].first]
        lists[list].first += 1
        lists[list].count -= 1
        count -= 1
        if lists[list].count == 0 || lists[list].first == Self.segmentCapacity {
            lists[list].segments.removeFirst()
            lists[list].first = 0
            giveBack(segment)
        }
        if lists[list].count == 0 {
            heads.removeMin()
            listByDelay[delayOfList[list]] = nil
            unusedLists.append(list)
            return entry
        }
        // One sift instead of a pop and a push: the list's next timer takes its place at the top.
        let next = segments[Int(lists[list].segments[0])][lists[list].first]
        heads.replaceMin(with: Head(due: next.due, sequence: next.sequence, list: list))
        return entry
    }

    /// Segments allocated and not freed, in use or pooled: what the timers' storage holds.
    var allocatedSegments: Int { segments.count - vacant.count }

    private mutating func takeSegment() -> Int32 {
        if let segment = pooled.popLast() { return segment }
        var storage: [TimerEntry] = []
        storage.reserveCapacity(Self.segmentCapacity)
        if let segment = vacant.popLast() {
            segments[Int(segment)] = storage
            return segment
        }
        segments.append(storage)
        return Int32(segments.count - 1)
    }

    private mutating func giveBack(_ segment: Int) {
        if pooled.count < Self.pooledSegments {
            segments[segment].removeAll(keepingCapacity: true)
            pooled.append(Int32(segment))
        } else {
            segments[segment] = []
            vacant.append(Int32(segment))
        }
    }
}
