/// The few protobuf wire rules the hand encoders (events, hot replies) need. Proto3: a scalar at its default
/// value is left out, unless the field has explicit presence (`optional`) or is an element of a repeated field.
///
/// Writes through a pointer into scratch memory on the stack, then copies the result into an array of exactly its
/// size: appending byte by byte to an array checked its uniqueness and capacity for every byte, and encoding the
/// events of one contact took about 20,000 instructions (callgrind on the daemon, bench/README.md). Every write
/// checks the room left; one that does not fit is skipped and the whole message written again into twice the
/// room, so a low estimate of the size costs time, never correctness.
struct ProtobufWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count = 0
    private var overflowed = false

    /// A writer into `capacity` bytes at `base`, which the caller owns; see `written`.
    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// The bytes written, or nil when they did not fit: the caller writes them again into more room.
    var written: UnsafeRawBufferPointer? {
        overflowed ? nil : UnsafeRawBufferPointer(start: base, count: count)
    }

    /// The bytes `body` writes. `body` may run more than once (when `capacity` is too small), so it must write
    /// the same every time.
    static func bytes(capacity estimate: Int = 256, _ body: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var bytes: [UInt8] = []
        write(into: &bytes, capacity: estimate, body)
        return bytes
    }

    /// As `bytes(capacity:_:)`, in place of what `bytes` holds: into storage the caller reuses, no array is
    /// allocated once it has room.
    static func write(into bytes: inout [UInt8], capacity estimate: Int = 256, _ body: (inout ProtobufWriter) -> Void) {
        var capacity = max(estimate, 16)
        while true {
            let fitted = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { scratch -> Bool in
                var writer = ProtobufWriter(base: scratch.baseAddress!, capacity: scratch.count)
                body(&writer)
                guard let written = writer.written else { return false }
                bytes.replaceSubrange(bytes.indices, with: written)
                return true
            }
            if fitted { return }
            capacity *= 2
        }
    }

    /// Whether `length` more bytes fit; when they do not, the message is marked for writing again.
    @inline(__always)
    private mutating func hasRoom(for length: Int) -> Bool {
        if capacity - count >= length { return true }
        overflowed = true
        return false
    }

    /// Bytes already serialized: a whole message, or fields of one.
    mutating func append(_ serialized: [UInt8]) {
        serialized.withUnsafeBufferPointer { append($0) }
    }

    @inline(__always)
    private mutating func append(_ source: UnsafeBufferPointer<UInt8>) {
        guard let start = source.baseAddress, hasRoom(for: source.count) else { return }
        (base + count).initialize(from: start, count: source.count)
        count += source.count
    }

    @inline(__always)
    private static func varintLength(_ value: UInt64) -> Int {
        (64 - (value | 1).leadingZeroBitCount + 6) / 7
    }

    /// Writes `value` at `offset`, where `varintLength(value)` bytes are known to be free.
    @inline(__always)
    private func write(varint value: UInt64, at offset: Int) -> Int {
        var value = value
        var offset = offset
        while value >= 0x80 {
            base[offset] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            offset += 1
        }
        base[offset] = UInt8(value)
        return offset + 1
    }

    @inline(__always)
    private mutating func varint(_ value: UInt64) {
        guard hasRoom(for: Self.varintLength(value)) else { return }
        count = write(varint: value, at: count)
    }

    @inline(__always)
    private mutating func tag(_ field: UInt64, wireType: UInt64) { varint(field << 3 | wireType) }

    @inline(__always)
    mutating func uint64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(value)
    }

    @inline(__always)
    mutating func int64(_ field: UInt64, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    /// A negative `int32` is written sign-extended to 64 bits, as protobuf requires.
    @inline(__always)
    mutating func int32(_ field: UInt64, _ value: Int32, evenIfZero: Bool = false) {
        guard value != 0 || evenIfZero else { return }
        tag(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    @inline(__always)
    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 1)
        withUnsafeBytes(of: value.littleEndian) { append($0.assumingMemoryBound(to: UInt8.self)) }
    }

    @inline(__always)
    mutating func string(_ field: UInt64, _ value: String, evenIfEmpty: Bool = false) {
        guard !value.isEmpty || evenIfEmpty else { return }
        tag(field, wireType: 2)
        let written = value.utf8.withContiguousStorageIfAvailable { utf8 in
            varint(UInt64(utf8.count))
            append(utf8)
            return true
        }
        guard written == nil else { return }
        let utf8 = Array(value.utf8)
        varint(UInt64(utf8.count))
        append(utf8)
    }

    /// A nested message; written even when empty, as a set `oneof` member is. Written in place after a one-byte
    /// length, which moves the message along in the rare case it is 128 bytes or longer.
    @inline(__always)
    mutating func message(_ field: UInt64, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, wireType: 2)
        guard hasRoom(for: 1) else { return }
        let lengthAt = count
        count += 1
        body(&self)
        guard !overflowed else { return }
        let length = count - lengthAt - 1
        let prefixLength = Self.varintLength(UInt64(length))
        if prefixLength > 1 {
            guard hasRoom(for: prefixLength - 1) else { return }
            // Raw copy: the two ranges overlap, which `copyMemory` allows.
            UnsafeMutableRawPointer(base + lengthAt + prefixLength).copyMemory(from: base + lengthAt + 1, byteCount: length)
            count += prefixLength - 1
        }
        _ = write(varint: UInt64(length), at: lengthAt)
    }
}
