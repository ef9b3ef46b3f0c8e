import DequeModule

/// Contact id to slot, for the commands that name a contact (accept, complete, abandon, ...).
///
/// The engine gives ids in increasing order and most contacts leave within minutes, so the live ones are a
/// window of recent ids: an array indexed by `id - base` finds a slot without hashing, and the contacts that
/// arrived together share cache lines (a hash table spreads them over megabytes, one cache miss per lookup).
/// The window's front moves past ids that have left. A contact still live once `windowLimit` newer ids have
/// come (a callback kept for hours in a busy centre) moves to a hash table, so the window's memory stays
/// bounded whatever one contact's lifetime.
struct ContactIndex {
    /// `window[i]` is the slot of contact `base + i`, or `absent` for an id that has left or never had a slot
    /// (a contact closed on arrival).
    private var window: Deque<Int32> = []
    private var base: UInt64 = 0
    private var veterans = CheapHashTable<ContactID, Int32>()
    private let windowLimit: Int
    private(set) var count = 0

    private static let absent: Int32 = -1

    init(windowLimit: Int = 1 << 21) {
        precondition(windowLimit > 0)
        self.windowLimit = windowLimit
    }

    subscript(id: ContactID) -> Int32? {
        let id = id.rawValue
        if id >= base {
            let offset = id - base
            guard offset < UInt64(window.count) else { return nil }
            let slot = window[Int(offset)]
            return slot == Self.absent ? nil : slot
        }
        return veterans.count == 0 ? nil : veterans[ContactID(id)]
    }

    /// Records a new contact's slot. Ids come in increasing order; an id below the window goes to the veterans.
    mutating func insert(_ id: ContactID, slot: Int32) {
        precondition(slot >= 0 && self[id] == nil, "contact \(id) indexed twice")
        count += 1
        if window.isEmpty, id.rawValue > base { base = id.rawValue }
        guard id.rawValue >= base else {
            veterans[id] = slot
            return
        }
        let offset = Int(id.rawValue - base)
        if offset < window.count {
            window[offset] = slot
        } else {
            while window.count < offset { window.append(Self.absent) }
            window.append(slot)
        }
        while window.count > windowLimit {
            let oldest = window.removeFirst()
            if oldest != Self.absent { veterans[ContactID(base)] = oldest }
            base += 1
            dropLeftFront()
        }
    }

    mutating func remove(_ id: ContactID) {
        let raw = id.rawValue
        if raw >= base, raw - base < UInt64(window.count) {
            let offset = Int(raw - base)
            guard window[offset] != Self.absent else { return }
            window[offset] = Self.absent
            count -= 1
            if offset == 0 { dropLeftFront() }
        } else if veterans[id] != nil {
            veterans[id] = nil
            count -= 1
        }
    }

    private mutating func dropLeftFront() {
        while let first = window.first, first == Self.absent {
            window.removeFirst()
            base += 1
        }
    }
}

extension ContactIndex: Sendable {}
