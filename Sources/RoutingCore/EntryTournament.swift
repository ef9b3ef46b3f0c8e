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
/// non-mutating method copies the struct, retaining and releasing its three arrays.
struct EntryTournament {
    /// Below every real key's order (whose sortable score bits are never all zero): a place with no key.
    static var vacant: UInt128 { 0 }

    /// A power of two; `nodes[capacity + p]` is the order of the key at position p (`vacant` if none), and
    /// `nodes[i]` the larger of `2i` and `2i + 1`. Orders alone, not whole keys, to halve the memory.
    private(set) var capacity: Int
    private var nodes: [UInt128]
    /// For each inner node, the position its order comes from: reading a winner touches one more cache line
    /// instead of one per level of a descent.
    private var winners: [Int32]
    /// When the owner of each handed-out position entered the queue; nondecreasing.
    private var entered: [Int64]
    /// The contact slot owning each position, or -1 once it is released.
    private var owners: [Int32]
    /// Positions handed out: the next one is `used`.
    private(set) var used = 0
    /// Positions with an owner.
    private(set) var owned = 0

    init(capacity: Int = 16) {
        self.capacity = capacity
        nodes = Array(repeating: Self.vacant, count: 2 * capacity)
        winners = Array(repeating: 0, count: capacity)
        entered = Array(repeating: 0, count: capacity)
        owners = Array(repeating: -1, count: capacity)
    }

    var isFull: Bool { used == capacity }

    /// The slot of the best contact queued, if any.
    var best: Int32? {
        mutating get { nodes[1] == Self.vacant ? nil : owners[Int(winner(of: 1))] }
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
        if nodes[capacity + p] != Self.vacant { update(p, to: Self.vacant) }
        owners[p] = -1
        owned -= 1
    }

    /// The slot of the best contact queued among entries that entered at or before `threshold`.
    mutating func best(enteredBy threshold: Int64) -> Int32? {
        var low = capacity
        var high = capacity + firstPosition(enteredAfter: threshold)
        var top = Self.vacant
        var topNode = 0
        while low < high {
            if low & 1 == 1 {
                if top < nodes[low] { (top, topNode) = (nodes[low], low) }
                low += 1
            }
            if high & 1 == 1 {
                high -= 1
                if top < nodes[high] { (top, topNode) = (nodes[high], high) }
            }
            low >>= 1
            high >>= 1
        }
        return top == Self.vacant ? nil : owners[Int(winner(of: topNode))]
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
        var moved: [(slot: Int32, position: Int32)] = []
        moved.reserveCapacity(owned)
        var newEntered = Array(repeating: Int64(0), count: newCapacity)
        var newOwners = Array(repeating: Int32(-1), count: newCapacity)
        var newNodes = Array(repeating: Self.vacant, count: 2 * newCapacity)
        var newWinners = Array(repeating: Int32(0), count: newCapacity)
        for p in 0..<used where owners[p] >= 0 {
            let q = moved.count
            newEntered[q] = entered[p]
            newOwners[q] = owners[p]
            newNodes[newCapacity + q] = nodes[capacity + p]
            moved.append((owners[p], Int32(q)))
        }
        newNodes.withUnsafeMutableBufferPointer { nodes in
            newWinners.withUnsafeMutableBufferPointer { winners in
                for i in stride(from: newCapacity - 1, through: 1, by: -1) { _ = Self.settle(i, nodes, winners, capacity: newCapacity) }
            }
        }
        capacity = newCapacity
        nodes = newNodes
        winners = newWinners
        entered = newEntered
        owners = newOwners
        used = moved.count
        return moved
    }

    /// Every owned position with its owner and the order of the key there (nil when not queued), in entry order.
    var ownedPositions: [(position: Int32, slot: Int32, order: UInt128?)] {
        (0..<used).compactMap { p in
            guard owners[p] >= 0 else { return nil }
            let order = nodes[capacity + p]
            return (Int32(p), owners[p], order == Self.vacant ? nil : order)
        }
    }

    /// Checks the structure's own invariants; used by `RoutingEngine.invariantViolations()`.
    func structuralProblems() -> [String] {
        var problems: [String] = []
        if (0..<used).contains(where: { $0 > 0 && entered[$0 - 1] > entered[$0] }) { problems.append("entries out of entry order") }
        if owners[..<used].filter({ $0 >= 0 }).count != owned { problems.append("owned count \(owned) is wrong") }
        if (used..<capacity).contains(where: { owners[$0] >= 0 || nodes[capacity + $0] != Self.vacant }) {
            problems.append("a position past the last handed out is in use")
        }
        if (0..<used).contains(where: { owners[$0] < 0 && nodes[capacity + $0] != Self.vacant }) {
            problems.append("a released position holds a key")
        }
        if (1..<capacity).contains(where: { nodes[$0] != Swift.max(nodes[2 * $0], nodes[2 * $0 + 1]) }) {
            problems.append("tournament node out of date")
        }
        if (1..<capacity).contains(where: { nodes[$0] != Self.vacant && nodes[capacity + Int(winners[$0])] != nodes[$0] }) {
            problems.append("tournament winner out of date")
        }
        return problems
    }

    /// Sets a position and replays the matches above it, stopping where a node keeps its winner. Runs on the
    /// raw buffers: through the arrays, each step paid a uniqueness check and bounds checks on two arrays.
    private mutating func update(_ position: Int, to order: UInt128) {
        let capacity = self.capacity
        nodes.withUnsafeMutableBufferPointer { nodes in
            winners.withUnsafeMutableBufferPointer { winners in
                var i = capacity + position
                nodes[i] = order
                i >>= 1
                while i >= 1, Self.settle(i, nodes, winners, capacity: capacity) { i >>= 1 }
            }
        }
    }

    /// Makes inner node `i` the larger of its children; false if it already was (so nothing above changes).
    private static func settle(
        _ i: Int, _ nodes: UnsafeMutableBufferPointer<UInt128>, _ winners: UnsafeMutableBufferPointer<Int32>, capacity: Int
    ) -> Bool {
        let child = nodes[2 * i] < nodes[2 * i + 1] ? 2 * i + 1 : 2 * i
        let won = child >= capacity ? Int32(child - capacity) : winners[child]
        if nodes[i] == nodes[child], winners[i] == won { return false }
        nodes[i] = nodes[child]
        winners[i] = won
        return true
    }

    /// The position a node's order comes from.
    private func winner(of node: Int) -> Int32 {
        node >= capacity ? Int32(node - capacity) : winners[node]
    }

    private func isPresent(_ order: UInt128) -> Bool { order != Self.vacant }


    /// The first position at or after `start` holding a key; `used` if none. Climbs to the first right sibling
    /// whose subtree holds a key, then descends to its leftmost key: O(log n) whatever lies vacant between.
    private func firstQueuedPosition(from start: Int) -> Int {
        guard start < used else { return used }
        var i = capacity + start
        if isPresent(nodes[i]) { return start }
        while true {
            if i & 1 == 0, isPresent(nodes[i + 1]) {
                i += 1
                break
            }
            i >>= 1
            if i <= 1 { return used }
        }
        while i < capacity { i = isPresent(nodes[2 * i]) ? 2 * i : 2 * i + 1 }
        return Swift.min(i - capacity, used)
    }

    /// The first handed-out position whose owner entered after `threshold`; `used` if none.
    private func firstPosition(enteredAfter threshold: Int64) -> Int {
        var low = 0
        var high = used
        while low < high {
            let mid = (low + high) / 2
            if entered[mid] <= threshold { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension EntryTournament: Sendable {}
