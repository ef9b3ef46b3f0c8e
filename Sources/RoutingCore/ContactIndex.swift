import DequeModule

/// A value a `ContactIndex` holds, with one value set aside to mark an id that holds none, so that the window
/// needs no optional around each entry (an `Int32?` takes twice the bytes of an `Int32`).
public protocol ContactIndexValue {
    static var vacant: Self { get }
    var isVacant: Bool { get }
}

/// The engine's slot numbers are never negative.
extension Int32: ContactIndexValue {
    public static var vacant: Int32 { -1 }
    public var isVacant: Bool { self < 0 }
}

/// An optional reference costs no more than the reference: nil marks the vacant ids.
extension Optional: ContactIndexValue where Wrapped: AnyObject {
    public static var vacant: Self { nil }
    public var isVacant: Bool { self == nil }
}

/// Contact id to value: the engine's slot of each live contact, for the commands that name a contact (accept,
/// complete, abandon, ...), and the CRM store's open call cards, for every event it applies.
///
/// Ids are given in increasing order and most contacts leave within minutes, so the live ones are a window of
/// recent ids: an array indexed by `id - base` finds a value without hashing, and the contacts that arrived
/// together share cache lines (a hash table spreads them over megabytes, one cache miss per lookup: the CRM
/// store's hash table of open cards took 10 % of its thread's time, nearly all of it waiting on the first load of
/// each probe; bench/README.md, session 30). The window's front moves past ids that have left. A contact still live
/// once `windowLimit` newer ids have come (a callback kept for hours in a busy centre) moves to a hash table, so
/// the window's memory stays bounded whatever one contact's lifetime. Inlinable, so that the CRM store's use is
/// specialized as the engine's is.
public struct ContactIndex<Value: ContactIndexValue> {
    /// `window[i]` is the value of contact `base + i`, or vacant for an id that has left or never had one (a
    /// contact closed on arrival).
    @usableFromInline var window: Deque<Value> = []
    @usableFromInline var base: UInt64 = 0
    @usableFromInline var veterans = CheapHashTable<ContactID, Value>()
    @usableFromInline let windowLimit: Int
    @usableFromInline var storedCount = 0
    @inlinable public var count: Int { storedCount }

    @inlinable
    public init(windowLimit: Int = 1 << 21) {
        precondition(windowLimit > 0)
        self.windowLimit = windowLimit
    }

    @inlinable
    public subscript(id: ContactID) -> Value? {
        let id = id.rawValue
        if id >= base {
            let offset = id - base
            guard offset < UInt64(window.count) else { return nil }
            let value = window[Int(offset)]
            return value.isVacant ? nil : value
        }
        return veterans.count == 0 ? nil : veterans[ContactID(id)]
    }

    /// Records a new contact's value. Ids come in increasing order; an id below the window goes to the veterans.
    @inlinable
    public mutating func insert(_ id: ContactID, _ value: Value) {
        precondition(!value.isVacant && self[id] == nil, "contact \(id) indexed twice")
        storedCount += 1
        if window.isEmpty, id.rawValue > base { base = id.rawValue }
        guard id.rawValue >= base else {
            veterans[id] = value
            return
        }
        let offset = Int(id.rawValue - base)
        if offset < window.count {
            window[offset] = value
        } else {
            while window.count < offset { window.append(.vacant) }
            window.append(value)
        }
        while window.count > windowLimit {
            let oldest = window.removeFirst()
            if !oldest.isVacant { veterans[ContactID(base)] = oldest }
            base += 1
            dropLeftFront()
        }
    }

    @inlinable
    public mutating func remove(_ id: ContactID) {
        let raw = id.rawValue
        if raw >= base, raw - base < UInt64(window.count) {
            let offset = Int(raw - base)
            guard !window[offset].isVacant else { return }
            window[offset] = .vacant
            storedCount -= 1
            if offset == 0 { dropLeftFront() }
        } else if veterans[id] != nil {
            veterans[id] = nil
            storedCount -= 1
        }
    }

    @inlinable
    mutating func dropLeftFront() {
        while let first = window.first, first.isVacant {
            window.removeFirst()
            base += 1
        }
    }
}

extension ContactIndex: Sendable where Value: Sendable {}
