/// The contact slots an agent holds (offered, connected or in wrap-up), in the order it got them.
///
/// Most agents hold one to three contacts. Those live in the agent's record itself: in an array they had a
/// buffer of their own, a cache miss more on each completion (callgrind, bench/README.md), and every append or
/// removal paid a uniqueness check. An agent with more (chats, emails) keeps the rest in `spilled`.
struct AgentWork: Sequence {
    private var inlineCount: Int32 = 0
    private var first: Int32 = -1
    private var second: Int32 = -1
    private var third: Int32 = -1
    private var spilled: [Int32] = []

    private static var inlineCapacity: Int { 3 }

    var count: Int { Int(inlineCount) + spilled.count }
    var isEmpty: Bool { inlineCount == 0 }
    var indices: Range<Int> { 0..<count }

    subscript(index: Int) -> Int32 {
        get {
            switch index {
            case 0: first
            case 1: second
            case 2: third
            default: spilled[index - Self.inlineCapacity]
            }
        }
        set {
            switch index {
            case 0: first = newValue
            case 1: second = newValue
            case 2: third = newValue
            default: spilled[index - Self.inlineCapacity] = newValue
            }
        }
    }

    mutating func append(_ slot: Int32) {
        if inlineCount < Self.inlineCapacity {
            self[Int(inlineCount)] = slot
            inlineCount += 1
        } else {
            spilled.append(slot)
        }
    }

    /// Removes `slot`, keeping the others in order.
    mutating func remove(_ slot: Int32) {
        guard let index = indices.first(where: { self[$0] == slot }) else { return }
        let last = count - 1
        for i in index..<last { self[i] = self[i + 1] }
        if last >= Self.inlineCapacity {
            spilled.removeLast()
        } else {
            self[last] = -1
            inlineCount -= 1
        }
    }

    func makeIterator() -> Iterator { Iterator(work: self) }

    struct Iterator: IteratorProtocol {
        fileprivate let work: AgentWork
        fileprivate var index = 0

        mutating func next() -> Int32? {
            guard index < work.count else { return nil }
            defer { index += 1 }
            return work[index]
        }
    }
}
