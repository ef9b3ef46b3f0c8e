#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A key the engine's own tables (and the CRM store's open cards) can hash without `Hasher`.
public protocol CheapHashable {
    var cheapHash: UInt64 { get }
    /// Identity as the table sees it; for strings, the same UTF-8 bytes.
    func isSameKey(as other: Self) -> Bool
}

extension String: CheapHashable {
    /// A multiply-xorshift over the UTF-8 bytes, eight at a time.
    public var cheapHash: UInt64 {
        if let hash = utf8.withContiguousStorageIfAvailable(Self.hashBytes) { return hash }
        return Array(utf8).withUnsafeBufferPointer(Self.hashBytes)
    }

    public func isSameKey(as other: String) -> Bool {
        // Only called when the byte hashes are equal: `==` answers for the same bytes, and its fast path (two
        // words for a short ASCII string) is cheaper than comparing them.
        if self == other { return true }
        return hasSameUTF8(as: other)
    }

    /// Whether both hold the same UTF-8 bytes; `==` also equates canonically equivalent spellings. (`isSameKey`
    /// may answer with `==` because a table calls it only for keys whose byte hashes are equal.)
    public func hasSameUTF8(as other: String) -> Bool {
        // The same representation (one small string's bytes, or one heap storage) holds the same bytes: the usual
        // case on the hot paths, which compare an id with the one it was copied from. Two words, against about
        // ninety instructions through the byte comparison below.
        if unsafeBitCast(self, to: (UInt64, UInt64).self) == unsafeBitCast(other, to: (UInt64, UInt64).self) { return true }
        guard utf8.count == other.utf8.count else { return false }
        let same = utf8.withContiguousStorageIfAvailable { mine in
            other.utf8.withContiguousStorageIfAvailable { theirs in
                mine.count == 0 || memcmp(mine.baseAddress!, theirs.baseAddress!, mine.count) == 0
            }
        }
        return (same ?? nil) ?? utf8.elementsEqual(other.utf8)
    }

    /// Ids and names are mostly short: a few loads of up to eight bytes, overlapping at the end, instead of a
    /// loop over each byte (about 40 instructions for a 10-byte id with FNV-1a). The length is mixed in, so the
    /// overlap cannot make two lengths collide; any hash of the bytes will do, as a collision costs a probe.
    private static func hashBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let raw = UnsafeRawBufferPointer(bytes)
        let count = raw.count
        var hash = 0xCBF2_9CE4_8422_2325 ^ UInt64(count)
        if count >= 8 {
            var offset = 0
            while offset + 8 < count {
                hash = mix(hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            hash = mix(hash ^ raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        } else if count >= 4 {
            let low = UInt64(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let high = UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            hash = mix(hash ^ (high << 32 | low))
        } else if count > 0 {
            hash = mix(hash ^ (UInt64(raw[0]) << 16 | UInt64(raw[count >> 1]) << 8 | UInt64(raw[count - 1])))
        }
        return hash
    }

    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        let product = value &* 0x9E37_79B9_7F4A_7C15
        return product ^ (product >> 29)
    }
}

/// The table mixes the bits itself, so an integer is its own hash.
extension Int64: CheapHashable {
    public var cheapHash: UInt64 { UInt64(bitPattern: self) }
    public func isSameKey(as other: Int64) -> Bool { self == other }
}

extension Int32: CheapHashable {
    public var cheapHash: UInt64 { UInt64(UInt32(bitPattern: self)) }
    public func isSameKey(as other: Int32) -> Bool { self == other }
}

/// Contact ids are sequential: the golden-ratio mixing spreads them evenly over the table.
extension ContactID: CheapHashable {
    public var cheapHash: UInt64 { rawValue }
    public func isSameKey(as other: ContactID) -> Bool { self == other }
}

extension AgentID: CheapHashable {
    public var cheapHash: UInt64 { rawValue.cheapHash }
    public func isSameKey(as other: AgentID) -> Bool { rawValue.isSameKey(as: other.rawValue) }
}

/// Keys to values (the engine's: slot numbers), for the lookups every command makes (contact id, agent id,
/// tenant, queue, timer delay) and for every event the CRM store applies (its open cards by contact id).
///
/// `Dictionary` hashes with SipHash seeded per process; with the table lookups of a routing cycle that was about
/// an eighth of its instructions (callgrind, bench/README.md). Keys here are agent ids, tenant and queue names
/// from the rules and the admin interface (a submission can look up a name, never add one), and the engine's own
/// contact ids, so an unseeded hash is enough: a collision costs a probe. Keys are compared by their bytes: two
/// spellings of the same text in different Unicode normal forms are two ids. Open addressing, linear probing,
/// deletion by shifting followers back (no tombstones), load at most 3/4. Inlinable, so that another module's use
/// is specialized as the engine's is.
public struct CheapHashTable<Key: CheapHashable, Value> {
    /// Hash, value and key side by side: a lookup touches one cache line, not one per array.
    @usableFromInline
    struct Entry {
        @usableFromInline var hash: UInt64
        @usableFromInline var value: Value
        @usableFromInline var key: Key

        @inlinable
        init(hash: UInt64, value: Value, key: Key) {
            self.hash = hash
            self.value = value
            self.key = key
        }
    }

    @usableFromInline var entries: [Entry?]
    /// 64 minus log2 of the capacity.
    @usableFromInline var shift: UInt64 = 60
    @usableFromInline var storedCount = 0
    @inlinable public var count: Int { storedCount }

    @inlinable
    public init() {
        entries = Array(repeating: nil, count: 16)
    }

    @inlinable
    var mask: Int { entries.count - 1 }

    /// The high bits of the hash times the golden ratio: sequential ids (and a string hash's low bits) would
    /// otherwise crowd together.
    @inlinable @inline(__always)
    func home(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inlinable
    public subscript(key: Key) -> Value? {
        get {
            let hash = key.cheapHash
            var i = home(hash)
            while let stored = entries[i] {
                if stored.hash == hash, stored.key.isSameKey(as: key) { return stored.value }
                i = (i + 1) & mask
            }
            return nil
        }
        set {
            if let newValue { insert(key, key.cheapHash, newValue) } else { remove(key) }
        }
    }

    /// Every value, in no particular order.
    @inlinable
    public var values: [Value] {
        entries.compactMap { $0?.value }
    }

    /// Every key with its value, in no particular order.
    @inlinable
    public var keysAndValues: [(key: Key, value: Value)] {
        entries.compactMap { $0.map { (key: $0.key, value: $0.value) } }
    }

    /// Replaces the value of `key` if the table holds it, in one probe; false, changing nothing, if it does not.
    @inlinable @discardableResult
    public mutating func replaceValue(of key: Key, with value: Value) -> Bool {
        let hash = key.cheapHash
        var i = home(hash)
        while let stored = entries[i] {
            if stored.hash == hash, stored.key.isSameKey(as: key) {
                entries[i]!.value = value
                return true
            }
            i = (i + 1) & mask
        }
        return false
    }

    @inlinable
    mutating func insert(_ key: Key, _ hash: UInt64, _ value: Value) {
        if (count + 1) * 4 > entries.count * 3 { grow() }
        var i = home(hash)
        while let stored = entries[i] {
            if stored.hash == hash, stored.key.isSameKey(as: key) {
                entries[i]!.value = value
                return
            }
            i = (i + 1) & mask
        }
        entries[i] = Entry(hash: hash, value: value, key: key)
        storedCount += 1
    }

    @inlinable
    mutating func remove(_ key: Key) {
        let hash = key.cheapHash
        var i = home(hash)
        while true {
            guard let stored = entries[i] else { return }
            if stored.hash == hash, stored.key.isSameKey(as: key) { break }
            i = (i + 1) & mask
        }
        storedCount -= 1
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

    @inlinable
    mutating func grow() {
        let old = entries
        entries = Array(repeating: nil, count: old.count * 2)
        shift -= 1
        storedCount = 0
        for case let entry? in old { insert(entry.key, entry.hash, entry.value) }
    }
}

extension CheapHashTable: Sendable where Key: Sendable, Value: Sendable {}
extension CheapHashTable.Entry: Sendable where Key: Sendable, Value: Sendable {}
