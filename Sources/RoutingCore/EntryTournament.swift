/// The contacts of one lane in the order they entered its queue, with the best key over any such prefix.
///
/// A contact reaches relaxation step k once it has waited `stepStarts[k]`, so the contacts an agent of ring k
/// may take are exactly the entries older than `now - stepStarts[k]`: a prefix of this order. A tournament
/// (max segment tree) over the entries answers "best key in that prefix" in O(log n), so a contact never
/// moves when it reaches a step; before, each step cost a remove, an insert and a timer per contact.
///
/// Each waiting contact owns one position from entering the queue until it is answered or leaves; the key
/// there is present only while the contact is queued (not while it is offered or holding for its preferred
/// agent), so a contact coming back takes its old place. Positions are handed out in entry order and never
/// reused; when they run out, `compact()` renumbers the owned ones and tells the engine where they went.
///
/// The queries are `mutating` for the reason given in Matching.swift: called on `lanes[l].entries`, a
/// non-mutating method copies the struct, retaining and releasing each of its arrays.
struct EntryTournament {
    /// Below every real key's order (whose sortable score bits are never all zero): a place with no key.
    static var vacant: UInt128 { 0 }

    /// Positions come in blocks of 16 (256 bytes of orders, four cache lines read in a row); the tournament is
    /// over the blocks' best orders. A binary tournament over the positions themselves had one node per level in
    /// a line of its own: vacating a lane's best contact replayed about a dozen levels, half of them misses in the
    /// second-level cache. Over blocks the tree is 16 times smaller (8 KB for 4,096 places) and stays cached.
    private static var blockShift: Int { 4 }
    private static var blockSize: Int { 1 << blockShift }

    /// A power of two, at least a block; positions are `0..<capacity`.
    private(set) var capacity: Int
    /// The order of the key at each position, `vacant` if none.
    private var orders: [UInt128]
    /// When the owner of each handed-out position entered the queue; nondecreasing.
    private var entered: [Int64]
    /// `entered` at the first position of each block handed out: a search for an instant looks through these
    /// (2 KB for 4,096 places, cached) and then one block, not through the whole of `entered`.
    private var blockEntered: [Int64]
    /// The contact slot owning each position, or -1 once it is released.
    private var owners: [Int32]
    /// The tournament: `nodes[blockCount + b]` is the best order in block b, `nodes[i]` the larger of `2i` and
    /// `2i + 1`; `winners[i]` the position that order is at (meaningless while `nodes[i]` is vacant).
    private var nodes: [UInt128]
    private var winners: [Int32]
    /// Positions handed out: the next one is `used`.
    private(set) var used = 0
    /// Positions with an owner.
    private(set) var owned = 0

    init(capacity: Int = 16) {
        var rounded = Self.blockSize
        while rounded < capacity { rounded *= 2 }
        self.capacity = rounded
        orders = Array(repeating: Self.vacant, count: rounded)
        entered = Array(repeating: 0, count: rounded)
        blockEntered = Array(repeating: 0, count: rounded >> Self.blockShift)
        owners = Array(repeating: -1, count: rounded)
        nodes = Array(repeating: Self.vacant, count: 2 * (rounded >> Self.blockShift))
        winners = Array(repeating: 0, count: 2 * (rounded >> Self.blockShift))
    }

    var isFull: Bool { used == capacity }

    private var blockCount: Int { capacity >> Self.blockShift }

    /// The slot of the best contact queued, if any.
    var best: Int32? {
        mutating get { nodes[1] == Self.vacant ? nil : owners[Int(winners[1])] }
    }

    /// Hands the next position to `slot`, which entered at `enteredAt` (no earlier than any owner before it).
    /// The caller compacts first when `isFull`.
    mutating func reserve(for slot: Int32, enteredAt: Int64) -> Int32 {
        precondition(used < capacity, "compact the entries before reserving")
        precondition(used == 0 || entered[used - 1] <= enteredAt, "entries must be reserved in entry order")
        let position = used
        used += 1
        owned += 1
        entered[position] = enteredAt
        if position & (Self.blockSize - 1) == 0 { blockEntered[position >> Self.blockShift] = enteredAt }
        owners[position] = slot
        return Int32(position)
    }

    /// Makes `key` the queued contact at `position`.
    mutating func place(_ key: QueuedKey, at position: Int32) {
        update(Int(position), to: key.order)
    }

    /// The contact at `position` stays the owner but is no longer queued (offered, or holding).
    mutating func vacate(_ position: Int32) {
        update(Int(position), to: Self.vacant)
    }

    /// The owner leaves the queue for good.
    mutating func release(_ position: Int32) {
        let p = Int(position)
        if orders[p] != Self.vacant { update(p, to: Self.vacant) }
        owners[p] = -1
        owned -= 1
    }

    /// The slot of the best contact queued among entries that entered at or before `threshold`.
    mutating func best(enteredBy threshold: Int64) -> Int32? {
        let end = firstPosition(enteredAfter: threshold)
        if end == used { return best }
        let fullBlocks = end >> Self.blockShift
        var top = Self.vacant
        var topPosition: Int32 = 0
        var low = blockCount
        var high = blockCount + fullBlocks
        while low < high {
            if low & 1 == 1 {
                if top < nodes[low] { (top, topPosition) = (nodes[low], winners[low]) }
                low += 1
            }
            if high & 1 == 1 {
                high -= 1
                if top < nodes[high] { (top, topPosition) = (nodes[high], winners[high]) }
            }
            low >>= 1
            high >>= 1
        }
        for p in (fullBlocks << Self.blockShift)..<end where top < orders[p] { (top, topPosition) = (orders[p], Int32(p)) }
        return top == Self.vacant ? nil : owners[Int(topPosition)]
    }

    /// Slots of the contacts queued at the positions whose owners entered in `(after, through]`, in entry order.
    mutating func queued(enteredAfter after: Int64, through: Int64) -> [Int32] {
        var slots: [Int32] = []
        let end = firstPosition(enteredAfter: through)
        var p = firstQueuedPosition(from: firstPosition(enteredAfter: after))
        while p < end {
            slots.append(owners[p])
            p = firstQueuedPosition(from: p + 1)
        }
        return slots
    }

    /// When the first contact still queued that entered after `threshold` entered, if any: the next instant a
    /// prefix gains a key.
    mutating func firstQueuedEntry(after threshold: Int64) -> Int64? {
        let p = firstQueuedPosition(from: firstPosition(enteredAfter: threshold))
        return p < used ? entered[p] : nil
    }

    /// Renumbers the owned positions 0..<owned in the same order, growing the capacity if more than half are
    /// owned, and returns each owner's new position.
    mutating func compact() -> [(slot: Int32, position: Int32)] {
        // At most half owned after compaction, so that the next one is at least half a capacity away.
        var newCapacity = capacity
        while owned * 2 > newCapacity { newCapacity *= 2 }
        if newCapacity > capacity {
            // The new places come after the old ones, so growing is appending them vacant.
            let added = newCapacity - capacity
            entered += repeatElement(0, count: added)
            owners += repeatElement(-1, count: added)
            orders += repeatElement(Self.vacant, count: added)
            capacity = newCapacity
            blockEntered = Array(repeating: 0, count: blockCount)
            nodes = Array(repeating: Self.vacant, count: 2 * blockCount)
            winners = Array(repeating: 0, count: 2 * blockCount)
        }
        // In place: an owner only moves to a lower position, one no later owner still needs.
        var moved: [(slot: Int32, position: Int32)] = []
        moved.reserveCapacity(owned)
        for p in 0..<used where owners[p] >= 0 {
            let q = moved.count
            (entered[q], owners[q], orders[q]) = (entered[p], owners[p], orders[p])
            moved.append((owners[q], Int32(q)))
        }
        for p in moved.count..<used { (entered[p], owners[p], orders[p]) = (0, -1, Self.vacant) }
        used = moved.count
        for b in 0..<((used + Self.blockSize - 1) >> Self.blockShift) { blockEntered[b] = entered[b << Self.blockShift] }
        rebuild()
        return moved
    }

    /// Every owned position with its owner and the order of the key there (nil when not queued), in entry order.
    var ownedPositions: [(position: Int32, slot: Int32, order: UInt128?)] {
        (0..<used).compactMap { p in
            guard owners[p] >= 0 else { return nil }
            return (Int32(p), owners[p], orders[p] == Self.vacant ? nil : orders[p])
        }
    }

    /// Checks the structure's own invariants; used by `RoutingEngine.invariantViolations()`.
    func structuralProblems() -> [String] {
        var problems: [String] = []
        if (0..<used).contains(where: { $0 > 0 && entered[$0 - 1] > entered[$0] }) { problems.append("entries out of entry order") }
        if stride(from: 0, to: used, by: Self.blockSize).contains(where: { blockEntered[$0 >> Self.blockShift] != entered[$0] }) {
            problems.append("a block's first entry time is out of date")
        }
        if owners[..<used].filter({ $0 >= 0 }).count != owned { problems.append("owned count \(owned) is wrong") }
        if (used..<capacity).contains(where: { owners[$0] >= 0 || orders[$0] != Self.vacant }) {
            problems.append("a position past the last handed out is in use")
        }
        if (0..<used).contains(where: { owners[$0] < 0 && orders[$0] != Self.vacant }) {
            problems.append("a released position holds a key")
        }
        for b in 0..<blockCount {
            let block = orders[(b << Self.blockShift)..<((b + 1) << Self.blockShift)]
            let leaf = blockCount + b
            if nodes[leaf] != block.max()! { problems.append("block \(b)'s best order out of date") }
            if nodes[leaf] != Self.vacant, orders[Int(winners[leaf])] != nodes[leaf] || Int(winners[leaf]) >> Self.blockShift != b {
                problems.append("block \(b)'s winner out of date")
            }
        }
        if (1..<blockCount).contains(where: { nodes[$0] != Swift.max(nodes[2 * $0], nodes[2 * $0 + 1]) }) {
            problems.append("tournament node out of date")
        }
        if (1..<blockCount).contains(where: { nodes[$0] != Self.vacant && orders[Int(winners[$0])] != nodes[$0] }) {
            problems.append("tournament winner out of date")
        }
        return problems
    }

    /// Sets a position, settles its block's best, and replays the matches above the block while they change.
    /// Runs on the raw buffers: through the arrays, each step paid a uniqueness check and bounds checks.
    private mutating func update(_ position: Int, to order: UInt128) {
        let leaf = blockCount + position >> Self.blockShift
        orders.withUnsafeMutableBufferPointer { orders in
            nodes.withUnsafeMutableBufferPointer { nodes in
                winners.withUnsafeMutableBufferPointer { winners in
                    orders[position] = order
                    if nodes[leaf] < order {
                        (nodes[leaf], winners[leaf]) = (order, Int32(position))
                    } else if Int(winners[leaf]) == position, nodes[leaf] != order {
                        // The block's best went down: it is among the block's other orders.
                        Self.settleBlock(leaf - (nodes.count >> 1), orders, nodes, winners)
                    } else {
                        return
                    }
                    var i = leaf >> 1
                    while i >= 1, Self.settle(i, nodes, winners) { i >>= 1 }
                }
            }
        }
    }

    /// Recomputes every block's best and the tournament above them.
    private mutating func rebuild() {
        orders.withUnsafeMutableBufferPointer { orders in
            nodes.withUnsafeMutableBufferPointer { nodes in
                winners.withUnsafeMutableBufferPointer { winners in
                    let blocks = nodes.count >> 1
                    for b in 0..<blocks { Self.settleBlock(b, orders, nodes, winners) }
                    for i in stride(from: blocks - 1, through: 1, by: -1) { _ = Self.settle(i, nodes, winners) }
                }
            }
        }
    }

    /// Makes block b's leaf its best order and that order's position (the first position when all are vacant).
    private static func settleBlock(
        _ b: Int, _ orders: UnsafeMutableBufferPointer<UInt128>, _ nodes: UnsafeMutableBufferPointer<UInt128>,
        _ winners: UnsafeMutableBufferPointer<Int32>
    ) {
        let first = b << blockShift
        var best = first
        for p in (first + 1)..<(first + blockSize) where orders[best] < orders[p] { best = p }
        let leaf = (nodes.count >> 1) + b
        (nodes[leaf], winners[leaf]) = (orders[best], Int32(best))
    }

    /// Makes inner node `i` the larger of its children; false if it already was (so nothing above changes).
    private static func settle(_ i: Int, _ nodes: UnsafeMutableBufferPointer<UInt128>, _ winners: UnsafeMutableBufferPointer<Int32>) -> Bool {
        let child = nodes[2 * i] < nodes[2 * i + 1] ? 2 * i + 1 : 2 * i
        if nodes[i] == nodes[child], winners[i] == winners[child] { return false }
        (nodes[i], winners[i]) = (nodes[child], winners[child])
        return true
    }

    private func isPresent(_ order: UInt128) -> Bool { order != Self.vacant }

    /// The first position at or after `start` holding a key; `used` if none. Looks through the rest of start's
    /// block, then climbs to the first right sibling whose subtree holds a key and descends to its leftmost
    /// block: O(log n) whatever lies vacant between.
    private func firstQueuedPosition(from start: Int) -> Int {
        guard start < used else { return used }
        let block = start >> Self.blockShift
        for p in start..<((block + 1) << Self.blockShift) where isPresent(orders[p]) { return Swift.min(p, used) }
        var i = blockCount + block
        while true {
            if i & 1 == 0, isPresent(nodes[i + 1]) {
                i += 1
                break
            }
            i >>= 1
            if i <= 1 { return used }
        }
        while i < blockCount { i = isPresent(nodes[2 * i]) ? 2 * i : 2 * i + 1 }
        let first = (i - blockCount) << Self.blockShift
        for p in first..<(first + Self.blockSize) where isPresent(orders[p]) { return Swift.min(p, used) }
        return used
    }

    /// The first handed-out position whose owner entered after `threshold`; `used` if none.
    private func firstPosition(enteredAfter threshold: Int64) -> Int {
        // The first block whose first owner entered after the threshold: the position is in the block before.
        var low = 0
        var high = (used + Self.blockSize - 1) >> Self.blockShift
        while low < high {
            let mid = (low + high) / 2
            if blockEntered[mid] <= threshold { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return 0 }
        high = Swift.min(low << Self.blockShift, used)
        low = (low - 1) << Self.blockShift
        while low < high {
            let mid = (low + high) / 2
            if entered[mid] <= threshold { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension EntryTournament: Sendable {}
