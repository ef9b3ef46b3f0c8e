/// The writer's cards of contacts still in progress, by contact id. Every event of a contact looks its card up,
/// about eleven times per contact; a `Dictionary` hashed each id with its seeded SipHash, 2,500 instructions per
/// contact (callgrind on `acd-bench crm --anonymous`). Contact ids are the engine's own counter, not input an
/// attacker chooses, so a multiplicative hash spreads them well enough. Open addressing with linear probing;
/// a removal shifts the entries after it back, so that no tombstones build up.
struct OpenCardTable {
    private var keys: [UInt64]
    private var cards: [CallCard?]
    private(set) var count = 0
    /// 64 minus log2 of the capacity: the hash's top bits pick the home slot.
    private var shift: UInt64

    init() {
        keys = Array(repeating: 0, count: 16)
        cards = Array(repeating: nil, count: 16)
        shift = 60
    }

    private var mask: Int { keys.count - 1 }

    private func home(_ contact: UInt64) -> Int { Int(truncatingIfNeeded: (contact &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// The slot holding `contact`, or the empty slot where it would go.
    private func slot(of contact: UInt64) -> Int {
        var i = home(contact)
        while cards[i] != nil, keys[i] != contact { i = (i + 1) & mask }
        return i
    }

    subscript(contact: UInt64) -> CallCard? {
        get { cards[slot(of: contact)] }
        set {
            let i = slot(of: contact)
            switch (cards[i], newValue) {
            case (nil, let card?):
                keys[i] = contact
                cards[i] = card
                count += 1
                if count * 2 > keys.count { grow() }
            case (_?, let card?):
                cards[i] = card
            case (_?, nil):
                remove(at: i)
            case (nil, nil):
                break
            }
        }
    }

    mutating func removeAll() {
        self = OpenCardTable()
    }

    private mutating func remove(at removed: Int) {
        cards[removed] = nil
        count -= 1
        // Backward shift: an entry after the hole moves into it unless its home lies in the cyclic range
        // (hole, entry], where the probe that finds it would not pass the hole.
        var hole = removed
        var i = (removed + 1) & mask
        while let card = cards[i] {
            let homeSlot = home(keys[i])
            let distanceToHome = (i - homeSlot) & mask
            let distanceToHole = (i - hole) & mask
            if distanceToHome >= distanceToHole {
                keys[hole] = keys[i]
                cards[hole] = card
                cards[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldCards = cards
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        cards = Array(repeating: nil, count: oldKeys.count * 2)
        shift -= 1
        for (key, card) in zip(oldKeys, oldCards) {
            guard let card else { continue }
            let i = slot(of: key)
            keys[i] = key
            cards[i] = card
        }
    }
}
