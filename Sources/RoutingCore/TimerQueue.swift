import DequeModule
import HeapModule

/// Timers in (due, sequence) order. Nearly every timer is armed a fixed delay after the current time (a
/// queue's offer timeout, the gap to the next relaxation step, wrap-up), and time only moves forward, so all
/// timers sharing a delay form a FIFO that is already sorted. A small heap orders the FIFOs' heads: arming is
/// O(1), firing is O(log d) for d distinct delays, instead of O(log n) over every pending timer.
struct TimerQueue {
    private struct Head: Comparable {
        var due: Int64
        var sequence: UInt64
        var list: Int
        static func < (lhs: Head, rhs: Head) -> Bool { (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence) }
    }

    private var listByDelay = CheapHashTable<Int64, Int32>()
    private var lists: [Deque<TimerEntry>] = []
    private var delayOfList: [Int64] = []
    private var unusedLists: [Int] = []
    private var heads = Heap<Head>()
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
            lists.append(Deque())
            delayOfList.append(delay)
            listByDelay[delay] = Int32(list)
        }
        if lists[list].isEmpty { heads.insert(Head(due: entry.due, sequence: entry.sequence, list: list)) }
        lists[list].append(entry)
        count += 1
    }

    var min: TimerEntry? { heads.min.map { lists[$0.list].first! } }

    @discardableResult
    mutating func removeMin() -> TimerEntry? {
        guard let head = heads.min else { return nil }
        let entry = lists[head.list].removeFirst()
        if let next = lists[head.list].first {
            // One sift instead of a pop and a push: the list's next timer takes its place at the top.
            heads.replaceMin(with: Head(due: next.due, sequence: next.sequence, list: head.list))
        } else {
            heads.removeMin()
            listByDelay[delayOfList[head.list]] = nil
            unusedLists.append(head.list)
        }
        count -= 1
        return entry
    }
}
