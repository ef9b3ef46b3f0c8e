/// An ordered set with O(1) access to its largest element, and insert, remove and rank in O(log n + B + S), where B
/// is the bucket size and S the number of buckets in a block: no operation costs O(n), however deep one queue gets.
///
/// Queued contacts live here: the largest element is the next to serve, and the rank of a newcomer is the
/// position an IVR announces. Elements are kept in sorted buckets of at most `2 * bucketCapacity`, and the buckets in
/// blocks of at most `2 * blockCapacity`. A block keeps its buckets' maxima and sizes in arrays of their own, for
/// binary search and sums without touching the buckets' storage; the set keeps the blocks' maxima the same way, and
/// a Fenwick tree over the blocks' sizes answers "how many are larger" without walking them.
///
/// Until session 32 the buckets hung from the set directly, under a Fenwick tree over every bucket: a bucket split
/// or emptied shifted the others and rebuilt that tree, reading each bucket's size from its own storage. A queue a
/// few hundred thousand deep (a daemon falling behind its load) paid a cache miss per bucket every few dozen
/// contacts, 27 % of the routing thread's time (bench/README.md, session 32). A block splits or empties every
/// thousand or so operations, and rebuilding the tree over the blocks reads one contiguous array.
struct RankedSet<Element: Comparable> {
    /// Sorted runs of elements, in increasing order over the whole block.
    fileprivate struct Block {
        var buckets: [[Element]]
        /// `maxima[i] == buckets[i].last!`.
        var maxima: [Element]
        /// `sizes[i] == buckets[i].count`.
        var sizes: [Int32]
        /// The sum of `sizes`.
        var count: Int

        init(_ element: Element) {
            buckets = [[element]]
            maxima = [element]
            sizes = [1]
            count = 1
        }

        init(buckets: [[Element]], maxima: [Element], sizes: [Int32]) {
            self.buckets = buckets
            self.maxima = maxima
            self.sizes = sizes
            count = sizes.reduce(0) { $0 + Int($1) }
        }

        /// Inserts `element` and splits its bucket in two halves once it holds more than `2 * bucketCapacity`.
        mutating func insert(_ element: Element, bucketCapacity: Int) {
            let b = Swift.min(lowerBound(of: element, in: maxima), buckets.count - 1)
            let position = lowerBound(of: element, in: buckets[b])
            buckets[b].insert(element, at: position)
            sizes[b] += 1
            count += 1
            if position == buckets[b].count - 1 { maxima[b] = element }
            guard buckets[b].count > 2 * bucketCapacity else { return }
            let upper = Array(buckets[b][bucketCapacity...])
            buckets[b].removeSubrange(bucketCapacity...)
            maxima[b] = buckets[b].last!
            sizes[b] = Int32(bucketCapacity)
            buckets.insert(upper, at: b + 1)
            maxima.insert(upper.last!, at: b + 1)
            sizes.insert(Int32(upper.count), at: b + 1)
        }

        /// Removes `element` and any bucket it leaves empty; false when it is not here.
        mutating func remove(_ element: Element) -> Bool {
            let b = lowerBound(of: element, in: maxima)
            guard b < buckets.count else { return false }
            let position = lowerBound(of: element, in: buckets[b])
            guard position < buckets[b].count, buckets[b][position] == element else { return false }
            buckets[b].remove(at: position)
            sizes[b] -= 1
            count -= 1
            if buckets[b].isEmpty {
                buckets.remove(at: b)
                maxima.remove(at: b)
                sizes.remove(at: b)
            } else if position == buckets[b].count {
                maxima[b] = buckets[b].last!
            }
            return true
        }

        /// How many elements of the block are strictly larger than `element`. The buckets past `element`'s are
        /// counted from whichever end of the block is nearer: a newcomer to a queue is mostly the smallest.
        func countGreater(than element: Element) -> Int {
            let b = upperBound(of: element, in: maxima)
            guard b < buckets.count else { return 0 }
            let inBucket = buckets[b].count - upperBound(of: element, in: buckets[b])
            var after = 0
            if b < buckets.count / 2 {
                after = count
                for size in sizes[...b] { after -= Int(size) }
            } else {
                for size in sizes[(b + 1)...] { after += Int(size) }
            }
            return inBucket + after
        }

        /// Moves the upper half of the buckets into a block of their own, returned.
        mutating func splitOffUpperHalf() -> Block {
            let half = buckets.count / 2
            let upper = Block(buckets: Array(buckets[half...]), maxima: Array(maxima[half...]), sizes: Array(sizes[half...]))
            count -= upper.count
            buckets.removeSubrange(half...)
            maxima.removeSubrange(half...)
            sizes.removeSubrange(half...)
            return upper
        }
    }

    private let bucketCapacity: Int
    private let blockCapacity: Int
    private var blocks: [Block] = []
    /// `blockMaxima[i] == blocks[i].maxima.last!`.
    private var blockMaxima: [Element] = []
    /// Over the blocks' sizes, 1-based.
    private var fenwick: [Int] = [0]
    private(set) var count = 0

    /// Small capacities are for tests, to split and empty buckets and blocks with few elements.
    init(bucketCapacity: Int = 32, blockCapacity: Int = 32) {
        precondition(bucketCapacity > 0 && blockCapacity > 0)
        self.bucketCapacity = bucketCapacity
        self.blockCapacity = blockCapacity
    }

    var isEmpty: Bool { count == 0 }
    var max: Element? { blockMaxima.last }

    /// Elements from largest to smallest.
    var descending: some Sequence<Element> {
        blocks.reversed().lazy.flatMap { $0.buckets.reversed().lazy.flatMap { $0.reversed() } }
    }

    mutating func insert(_ element: Element) {
        count += 1
        guard !blocks.isEmpty else {
            blocks = [Block(element)]
            blockMaxima = [element]
            rebuildFenwick()
            return
        }
        let k = Swift.min(lowerBound(of: element, in: blockMaxima), blocks.count - 1)
        blocks[k].insert(element, bucketCapacity: bucketCapacity)
        if element > blockMaxima[k] { blockMaxima[k] = element }
        guard blocks[k].buckets.count > 2 * blockCapacity else {
            addToFenwick(block: k, delta: 1)
            return
        }
        let upper = blocks[k].splitOffUpperHalf()
        blockMaxima[k] = blocks[k].maxima.last!
        blocks.insert(upper, at: k + 1)
        blockMaxima.insert(upper.maxima.last!, at: k + 1)
        rebuildFenwick()
    }

    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        let k = lowerBound(of: element, in: blockMaxima)
        guard k < blocks.count, blocks[k].remove(element) else { return false }
        count -= 1
        guard blocks[k].buckets.isEmpty else {
            if element == blockMaxima[k] { blockMaxima[k] = blocks[k].maxima.last! }
            addToFenwick(block: k, delta: -1)
            return true
        }
        blocks.remove(at: k)
        blockMaxima.remove(at: k)
        // The tree's entries below the last block's cover none of it: served from the top, a queue only drops one.
        if k == blocks.count { fenwick.removeLast() } else { rebuildFenwick() }
        return true
    }

    /// How many elements are strictly larger than `element` (whether or not it is in the set).
    func countGreater(than element: Element) -> Int {
        let k = upperBound(of: element, in: blockMaxima)
        guard k < blocks.count else { return 0 }
        return blocks[k].countGreater(than: element) + (count - prefixCount(throughBlock: k))
    }

    // MARK: Fenwick tree over block sizes (1-based internally).

    /// In the array it already has, from each block's size.
    private mutating func rebuildFenwick() {
        let size = blocks.count + 1
        if fenwick.count > size { fenwick.removeLast(fenwick.count - size) }
        while fenwick.count < size { fenwick.append(0) }
        fenwick.withUnsafeMutableBufferPointer { tree in
            tree.update(repeating: 0)
            for (k, block) in blocks.enumerated() {
                let i = k + 1
                tree[i] += block.count
                let parent = i + (i & -i)
                if parent < size { tree[parent] += tree[i] }
            }
        }
    }

    /// Inlined: every insert and remove calls it, mostly over a tree of one or two blocks (17 instructions a
    /// decision in the default scenario, `bench/callgrind-core.sh`).
    @inline(__always)
    private mutating func addToFenwick(block: Int, delta: Int) {
        var i = block + 1
        while i < fenwick.count {
            fenwick[i] += delta
            i += i & -i
        }
    }

    /// Number of elements in blocks `0...block`.
    private func prefixCount(throughBlock block: Int) -> Int {
        var i = block + 1
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
        if fenwick.count != blocks.count + 1 { problems.append("fenwick has \(fenwick.count) entries for \(blocks.count) blocks") }
        var total = 0
        var previous: Element?
        for (k, block) in blocks.enumerated() {
            if block.buckets.isEmpty { problems.append("empty block \(k)") }
            if block.buckets.count > 2 * blockCapacity { problems.append("block \(k) has \(block.buckets.count) buckets") }
            if block.maxima.count != block.buckets.count || block.sizes.count != block.buckets.count {
                problems.append("block \(k) keeps \(block.maxima.count) maxima and \(block.sizes.count) sizes for \(block.buckets.count) buckets")
                continue
            }
            if block.maxima.last != blockMaxima[k] { problems.append("stale maximum for block \(k)") }
            if block.count != block.sizes.reduce(0, { $0 + Int($1) }) { problems.append("stale size for block \(k)") }
            for (b, bucket) in block.buckets.enumerated() {
                if bucket.isEmpty { problems.append("empty bucket \(b) in block \(k)") }
                if bucket.count > 2 * bucketCapacity { problems.append("bucket \(b) in block \(k) holds \(bucket.count)") }
                if bucket.last != block.maxima[b] { problems.append("stale maximum for bucket \(b) in block \(k)") }
                if bucket.count != Int(block.sizes[b]) { problems.append("stale size for bucket \(b) in block \(k)") }
                for element in bucket {
                    if let previous, !(previous < element) { problems.append("elements out of order in bucket \(b) of block \(k)") }
                    previous = element
                }
                total += bucket.count
            }
            if fenwick.count == blocks.count + 1, prefixCount(throughBlock: k) != total {
                problems.append("fenwick prefix wrong at block \(k)")
            }
        }
        if total != count { problems.append("count \(count) != stored \(total)") }
        return problems
    }
}
extension RankedSet: Sendable where Element: Sendable {}
extension RankedSet.Block: Sendable where Element: Sendable {}

/// The first index of `sorted` whose element is not below `element`; `sorted.count` when all are.
private func lowerBound<Element: Comparable>(of element: Element, in sorted: [Element]) -> Int {
    var lo = 0
    var hi = sorted.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if sorted[mid] < element { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// The first index of `sorted` whose element is above `element`; `sorted.count` when none is.
private func upperBound<Element: Comparable>(of element: Element, in sorted: [Element]) -> Int {
    var lo = 0
    var hi = sorted.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if sorted[mid] <= element { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
