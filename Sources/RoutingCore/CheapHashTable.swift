#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A key the engine's own tables can hash without `Hasher`.
protocol CheapHashable {
    var cheapHash: UInt64 { get }
    /// Identity as the table sees it; for strings, the same UTF-8 bytes.
    func isSameKey(as other: Self) -> Bool
}

extension String: CheapHashable {
    /// FNV-1a over the UTF-8 bytes.
    var cheapHash: UInt64 {
        if let hash = utf8.withContiguousStorageIfAvailable(Self.fnv1a) { return hash }
        return Array(utf8).withUnsafeBufferPointer(Self.fnv1a)
    }

    func isSameKey(as other: String) -> Bool {
        // Only called when the byte hashes are equal: `==` answers for the same bytes, and its fast path (two
        // words for a short ASCII string) is cheaper than comparing them.
        if self == other { return true }
        return hasSameUTF8(as: other)
    }

    /// Whether both hold the same UTF-8 bytes; `==` also equates canonically equivalent spellings.
    func hasSameUTF8(as other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        let same = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0
            }
        }
        return (same ?? nil) ?? utf8.elementsEqual(other.utf8)
    }

    private static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}

/// The table mixes the bits itself, so an integer is its own hash.
extension Int64: CheapHashable {
    var cheapHash: UInt64 { UInt64(bitPattern: self) }
    func isSameKey(as other: Int64) -> Bool { self == other }
}

/// Contact ids are sequential: the golden-ratio mixing spreads them evenly over the table.
extension ContactID: CheapHashable {
    var cheapHash: UInt64 { rawValue }
    func isSameKey(as other: ContactID) -> Bool { self == other }
}

extension AgentID: CheapHashable {
    var cheapHash: UInt64 { rawValue.cheapHash }
    func isSameKey(as other: AgentID) -> Bool { rawValue.isSameKey(as: other.rawValue) }
}

/// Keys to slot numbers, for the lookups every command makes (contact id, agent id, tenant, queue, timer delay).
///
/// `Dictionary` hashes with SipHash seeded per process; with the table lookups of a routing cycle that was about
/// an eighth of its instructions (callgrind, bench/README.md). Keys here are agent ids, tenant and queue names
/// from the rules and the admin interface (a submission can look up a name, never add one), so FNV-1a is
/// enough: a collision costs a probe. Keys are compared by their bytes: two spellings of the same text in
/// different Unicode normal forms are two ids. Open addressing, linear probing, deletion by shifting followers
/// back (no tombstones), load at most 3/4.
struct CheapHashTable<Key: CheapHashable> {
    /// Hash, value and key side by side: a lookup touches one cache line, not one per array.
    fileprivate struct Entry {
        var hash: UInt64
        var slot: Int32
        var key: Key
    }

    private var entries: [Entry?]
    /// 64 minus log2 of the capacity.
    private var shift: UInt64 = 60
    private(set) var count = 0

    init() {
        entries = Array(repeating: nil, count: 16)
    }

    private var mask: Int { entries.count - 1 }

    /// The high bits of the hash times the golden ratio: FNV-1a's low bits depend only on the low bits of each byte.
    @inline(__always)
    private func home(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    subscript(key: Key) -> Int32? {
        get {
            let hash = key.cheapHash
            var i = home(hash)
            while let stored = entries[i] {
                if stored.hash == hash, stored.key.isSameKey(as: key) { return stored.slot }
                i = (i + 1) & mask
            }
            return nil
        }
        set {
            if let newValue { insert(key, key.cheapHash, newValue) } else { remove(key) }
        }
    }

    /// Every value, in no particular order.
    var values: [Int32] {
        entries.compactMap { $0?.slot }
    }

    private mutating func insert(_ key: Key, _ hash: UInt64, _ value: Int32) {
        if (count + 1) * 4 > entries.count * 3 { grow() }
        var i = home(hash)
        while let stored = entries[i] {
            if stored.hash == hash, stored.key.isSameKey(as: key) {
                entries[i]!.slot = value
                return
            }
            i = (i + 1) & mask
        }
        entries[i] = Entry(hash: hash, slot: value, key: key)
        count += 1
    }

    private mutating func remove(_ key: Key) {
        let hash = key.cheapHash
        var i = home(hash)
        while true {
            guard let stored = entries[i] else { return }
            if stored.hash == hash, stored.key.isSameKey(as: key) { break }
            i = (i + 1) & mask
        }
        count -= 1
        // Move later entries of the probe run into the hole when that brings them no further from home.
        var hole = i
        var j = (i + 1) & mask
        while let later = entries[j] {
            let distanceFromHome = (j - home(later.hash)) & mask
            let distanceToHole = (j - hole) & mask
            if distanceFromHome >= distanceToHole {
                entries[hole] = later
                hole = j
            }
            j = (j + 1) & mask
        }
        entries[hole] = nil
    }

    private mutating func grow() {
        let old = entries
        entries = Array(repeating: nil, count: old.count * 2)
        shift -= 1
        count = 0
        for case let entry? in old { insert(entry.key, entry.hash, entry.slot) }
    }
}

extension CheapHashTable: Sendable where Key: Sendable {}
extension CheapHashTable.Entry: Sendable where Key: Sendable {}
