/// An array whose every element starts on a 64-byte cache line, for the engine's records (agents, contacts, queues,
/// lanes).
///
/// `Array` puts its elements after a 32-byte header in memory malloc aligns to 16 bytes, so a contact record of
/// 128 bytes began 48 bytes into a line and spread over three lines, and a 264-byte agent record over five: every
/// record a decision touched cost a line more than its size needs (callgrind's cache simulation,
/// bench/README.md). Here the storage is aligned to 64 bytes and each element gets a whole number of lines.
///
/// A value type with copy-on-write, as `Array` is, with one difference: the copy happens in `makeUnique()`, which
/// the owner calls before each batch of writes (the engine, at the start of every command and timer run), not
/// at every write. `Array` checks its buffer's uniqueness at each write and the optimizer merges the checks of
/// consecutive writes; it cannot do so for a type of ours, and checking at each of a decision's record writes was
/// 3 % more instructions and 9 % more instruction-cache misses (callgrind). Debug builds assert the uniqueness at
/// every write, so a writer that forgot `makeUnique()` fails the tests.
/// Elements are read and written in place through addressors, so reading one field of a record copies
/// neither the record nor its reference-counted fields.
struct LineAlignedArray<Element>: RandomAccessCollection, MutableCollection {
    /// Unchecked: written only through a reference `makeUnique()` or `append` made unique, as `Array`'s buffer is.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(byteCount: Swift.max(capacity, 1) * LineAlignedArray.slotBytes, alignment: LineAlignedArray.lineBytes)
        }

        deinit {
            for index in 0..<count { element(index).deinitialize(count: 1) }
            base.deallocate()
        }

        @inline(__always)
        func element(_ index: Int) -> UnsafeMutablePointer<Element> {
            (base + index * LineAlignedArray.slotBytes).assumingMemoryBound(to: Element.self)
        }

        /// A storage of `capacity` holding copies of these elements. Out of line: the callers are the engine's
        /// every record write, and this is their rare path.
        @inline(never)
        func copy(capacity newCapacity: Int) -> Storage {
            let copy = Storage(capacity: newCapacity)
            for index in 0..<count { (copy.base + index * LineAlignedArray.slotBytes).initializeMemory(as: Element.self, to: element(index).pointee) }
            copy.count = count
            return copy
        }
    }

    private static var lineBytes: Int { 64 }
    /// Each element's room: its stride rounded up to whole lines.
    private static var slotBytes: Int { (MemoryLayout<Element>.stride + lineBytes - 1) / lineBytes * lineBytes }

    private var storage = Storage(capacity: 0) {
        didSet { base = storage.base }
    }
    /// `storage.base` and `storage.count`, kept in this value as well. Read from the class instance, they were
    /// loaded again at every access: a write through a record pointer might have changed them, as far as the
    /// optimizer knows. Held here, in the engine's exclusively accessed memory, the loads and the index checks of
    /// a function's consecutive accesses to one record merge (3 % of a decision's instructions, callgrind).
    private var base: UnsafeMutableRawPointer
    private var elementCount = 0

    init() { base = storage.base }

    var startIndex: Int { 0 }
    var endIndex: Int { elementCount }

    subscript(position: Int) -> Element {
        unsafeAddress { address(position) }
        unsafeMutableAddress { mutableAddress(position) }
    }

    /// Where the element is, for a wrapper's own addressors (`ContactRecords`); valid until the next `append`
    /// or `makeUnique()`.
    @inline(__always)
    func address(_ position: Int) -> UnsafePointer<Element> {
        checkIndex(position)
        return UnsafePointer(element(position))
    }

    @inline(__always)
    mutating func mutableAddress(_ position: Int) -> UnsafeMutablePointer<Element> {
        checkIndex(position)
        assert(isKnownUniquelyReferenced(&storage), "LineAlignedArray written while shared: call makeUnique() first")
        return element(position)
    }

    @inline(__always)
    private func element(_ index: Int) -> UnsafeMutablePointer<Element> {
        (base + index * Self.slotBytes).assumingMemoryBound(to: Element.self)
    }

    /// Gives this value storage of its own if a copy shares it; required before writing through the subscript.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy(capacity: storage.capacity) }
    }

    /// One unsigned comparison covers both ends.
    @inline(__always)
    private func checkIndex(_ position: Int) {
        precondition(UInt(bitPattern: position) < UInt(bitPattern: elementCount), "LineAlignedArray index out of range")
    }

    mutating func append(_ element: Element) {
        if elementCount == storage.capacity {
            storage = storage.copy(capacity: Swift.max(16, elementCount * 2))
        } else if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy(capacity: storage.capacity)
        }
        self.element(elementCount).initialize(to: element)
        elementCount += 1
        storage.count = elementCount
    }
}

/// Unchecked for `base`, a pointer into the storage the value holds: it is shared only as that storage is.
extension LineAlignedArray: @unchecked Sendable where Element: Sendable {}
