/// Contact id to slot. Ids are sequential, so Fibonacci hashing spreads them evenly and linear probing stays
/// short; deletion shifts followers back instead of leaving tombstones. Cheaper than `Dictionary`, whose
/// seeded SipHash is the larger part of a lookup here.
struct ContactSlotTable {
    private var keys: [UInt64]
    private var values: [Int32]
    private var shift: UInt64
    private(set) var count = 0

    init() {
        keys = [UInt64](repeating: 0, count: 1024)
        values = [Int32](repeating: 0, count: 1024)
        shift = 64 - 10
    }

    private var mask: Int { keys.count - 1 }

    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    subscript(id: ContactID) -> Int32? {
        get {
            // 0 marks an empty cell; the engine never issues it, but a client may send it.
            guard id.rawValue != 0 else { return nil }
            var i = home(id.rawValue)
            while keys[i] != 0 {
                if keys[i] == id.rawValue { return values[i] }
                i = (i + 1) & mask
            }
            return nil
        }
        set {
            if let newValue { insert(id.rawValue, newValue) } else { remove(id.rawValue) }
        }
    }

    private mutating func insert(_ key: UInt64, _ value: Int32) {
        if (count + 1) * 4 > keys.count * 3 { grow() }
        var i = home(key)
        while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == 0 { count += 1 }
        keys[i] = key
        values[i] = value
    }

    private mutating func remove(_ key: UInt64) {
        var i = home(key)
        while keys[i] != key {
            if keys[i] == 0 { return }
            i = (i + 1) & mask
        }
        count -= 1
        // Backward-shift: move later entries of the probe run into the hole when that brings them no further
        // from their home slot.
        var hole = i
        var j = (i + 1) & mask
        while keys[j] != 0 {
            let ideal = home(keys[j])
            let distanceFromIdeal = (j - ideal) & mask
            let distanceToHole = (j - hole) & mask
            if distanceFromIdeal >= distanceToHole {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        keys[hole] = 0
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [Int32](repeating: 0, count: oldKeys.count * 2)
        shift -= 1
        count = 0
        for (key, value) in zip(oldKeys, oldValues) where key != 0 { insert(key, value) }
    }
}
