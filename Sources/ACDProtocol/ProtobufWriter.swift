/// The few protobuf wire rules the hand encoders (events, hot replies) need. Proto3: a scalar at its default
/// value is left out, unless the field has explicit presence (`optional`) or is an element of a repeated field.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Bytes already serialized: a whole message, or fields of one.
    mutating func append(_ serialized: [UInt8]) {
        bytes.append(contentsOf: serialized)
    }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func tag(_ field: UInt64, wireType: UInt64) { varint(field << 3 | wireType) }

    mutating func uint64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(value)
    }

    mutating func int64(_ field: UInt64, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    /// A negative `int32` is written sign-extended to 64 bits, as protobuf requires.
    mutating func int32(_ field: UInt64, _ value: Int32, evenIfZero: Bool = false) {
        guard value != 0 || evenIfZero else { return }
        tag(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ field: UInt64, _ value: String, evenIfEmpty: Bool = false) {
        guard !value.isEmpty || evenIfEmpty else { return }
        tag(field, wireType: 2)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A nested message; written even when empty, as a set `oneof` member is. Written in place after a one-byte
    /// length, which moves the message along in the rare case it is 128 bytes or longer.
    mutating func message(_ field: UInt64, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, wireType: 2)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
        } else {
            var prefix = ProtobufWriter(capacity: 10)
            prefix.varint(UInt64(length))
            bytes.replaceSubrange(lengthAt..<lengthAt + 1, with: prefix.bytes)
        }
    }
}
