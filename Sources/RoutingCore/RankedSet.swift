/// An ordered set with O(1) access to its largest element, O(log n + B) insert and remove, and
/// O(log n) rank, where B is the bucket size.
///
/// Queued contacts live here: the largest element is the next to serve, and the rank of a newcomer is the
/// position an IVR announces. Elements are kept in sorted buckets of at most `2 * bucketSize`; a Fenwick tree
/// over bucket counts answers "how many are larger" without walking the buckets.
struct RankedSet<Element: Comparable> {
    private static var bucketSize: Int { 32 }

    private var buckets: [[Element]] = []
    /// `maxima[i] == buckets[i].last!`: binary search over buckets without touching their storage.
    private var maxima: [Element] = []
    private var fenwick: [Int] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }
    var max: Element? { maxima.last }

    /// Elements from largest to smallest.
    var descending: some Sequence<Element> { buckets.reversed().lazy.flatMap { $0.reversed() } }

    mutating func insert(_ element: Element) {
        count += 1
        guard !buckets.isEmpty else {
            buckets = [[element]]
            maxima = [element]
            rebuildFenwick()
            return
        }
        let b = Swift.min(bucketIndex(for: element), buckets.count - 1)
        let position = Self.lowerBound(of: element, in: buckets[b])
        buckets[b].insert(element, at: position)
        if position == buckets[b].count - 1 { maxima[b] = element }
        if buckets[b].count > 2 * Self.bucketSize {
            let upper = Array(buckets[b][Self.bucketSize...])
            buckets[b].removeSubrange(Self.bucketSize...)
            maxima[b] = buckets[b].last!
            buckets.insert(upper, at: b + 1)
            maxima.insert(upper.last!, at: b + 1)
            rebuildFenwick()
        } else {
            addToFenwick(bucket: b, delta: 1)
        }
    }

    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        let b = bucketIndex(for: element)
        guard b < buckets.count else { return false }
        let position = Self.lowerBound(of: element, in: buckets[b])
        guard position < buckets[b].count, buckets[b][position] == element else { return false }
        count -= 1
        buckets[b].remove(at: position)
        if buckets[b].isEmpty {
            buckets.remove(at: b)
            maxima.remove(at: b)
            rebuildFenwick()
        } else {
            if position == buckets[b].count { maxima[b] = buckets[b].last! }
            addToFenwick(bucket: b, delta: -1)
        }
        return true
    }

    /// How many elements are strictly larger than `element` (whether or not it is in the set).
    func countGreater(than element: Element) -> Int {
        guard !buckets.isEmpty else { return 0 }
        var lo = 0
        var hi = maxima.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if maxima[mid] <= element { lo = mid + 1 } else { hi = mid }
        }
        // Buckets before `lo` hold only elements <= element; bucket `lo` (if any) straddles.
        guard lo < buckets.count else { return 0 }
        let bucket = buckets[lo]
        var l = 0
        var h = bucket.count
        while l < h {
            let mid = (l + h) / 2
            if bucket[mid] <= element { l = mid + 1 } else { h = mid }
        }
        return (bucket.count - l) + (count - prefixCount(throughBucket: lo))
    }

    /// The first bucket whose maximum is >= `element`; `buckets.count` when every element is smaller.
    private func bucketIndex(for element: Element) -> Int {
        var lo = 0
        var hi = maxima.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if maxima[mid] < element { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private static func lowerBound(of element: Element, in bucket: [Element]) -> Int {
        var lo = 0
        var hi = bucket.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if bucket[mid] < element { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: Fenwick tree over bucket sizes (1-based internally).

    /// In the array it already has: a fresh one each time a bucket split or emptied was memory to fetch anew.
    private mutating func rebuildFenwick() {
        let size = buckets.count + 1
        if fenwick.count > size { fenwick.removeLast(fenwick.count - size) }
        while fenwick.count < size { fenwick.append(0) }
        fenwick.withUnsafeMutableBufferPointer { tree in
            tree.update(repeating: 0)
            for (b, bucket) in buckets.enumerated() {
                let i = b + 1
                tree[i] += bucket.count
                let parent = i + (i & -i)
                if parent < size { tree[parent] += tree[i] }
            }
        }
    }

    private mutating func addToFenwick(bucket: Int, delta: Int) {
        var i = bucket + 1
        while i < fenwick.count {
            fenwick[i] += delta
            i += i & -i
        }
    }

    /// Number of elements in buckets `0...bucket`.
    private func prefixCount(throughBucket bucket: Int) -> Int {
        var i = bucket + 1
        var sum = 0
        while i > 0 {
            sum += fenwick[i]
            i -= i & -i
        }
        return sum
    }

    /// Checks the structure's own invariants; used by `RoutingEngine.verifyInvariants()`.
    func structuralProblems() -> [String] {
        var problems: [String] = []
        var total = 0
        var previous: Element?
        for (index, bucket) in buckets.enumerated() {
            if bucket.isEmpty { problems.append("empty bucket \(index)") }
            if bucket.last != maxima[index] { problems.append("stale maximum for bucket \(index)") }
            for element in bucket {
                if let previous, !(previous < element) { problems.append("elements out of order in bucket \(index)") }
                previous = element
            }
            total += bucket.count
            if prefixCount(throughBucket: index) != total { problems.append("fenwick prefix wrong at bucket \(index)") }
        }
        if total != count { problems.append("count \(count) != stored \(total)") }
        return problems
    }
}
extension RankedSet: Sendable where Element: Sendable {}
