/// Reads binary protobuf one field at a time, for the hand decoders of the hot requests (`RequestFrames.swift`).
/// Only what those messages use is understood: varints and length-delimited fields. Anything else is `nil`
/// from the decoder, which then leaves the frame to the generated code and its error messages.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case bytes(Range<Int>)
    }

    struct Malformed: Error {}

    let frame: [UInt8]
    private var index: Int
    private let end: Int

    init(_ frame: [UInt8], range: Range<Int>? = nil) {
        self.frame = frame
        index = range?.lowerBound ?? 0
        end = range?.upperBound ?? frame.count
    }

    /// The next field number and value; nil at the end of the message.
    mutating func next() throws(Malformed) -> (field: UInt64, value: Value)? {
        guard index < end else { return nil }
        let key = try varint()
        let field = key >> 3
        guard field > 0 else { throw Malformed() }
        switch key & 7 {
        case 0:
            return (field, .varint(try varint()))
        case 2:
            let length = try varint()
            guard length <= UInt64(end - index) else { throw Malformed() }
            let start = index
            index += Int(length)
            return (field, .bytes(start..<index))
        default:
            throw Malformed()
        }
    }

    private mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end, shift < 64 {
            let byte = frame[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw Malformed()
    }

    /// The bytes of a length-delimited field as UTF-8 text; nil if they are not valid UTF-8.
    func string(_ range: Range<Int>) -> String? {
        let bytes = frame[range]
        // Ids and names are ASCII nearly always, and ASCII is valid UTF-8. `String(validating:as:)` is generic and
        // not specialized here: it looked up type metadata at run time for every string, 5% of the routing thread
        // at 40,000 contacts/s (perf).
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// A length-delimited field as UTF-8 text.
    func text(_ value: Value) throws(Malformed) -> String {
        guard let text = string(try value.bytes()) else { throw Malformed() }
        return text
    }
}

extension ProtobufReader.Value {
    /// A varint field read as `uint64`; throws for a length-delimited value in its place.
    func uint64() throws(ProtobufReader.Malformed) -> UInt64 {
        guard case .varint(let value) = self else { throw ProtobufReader.Malformed() }
        return value
    }

    /// A varint field read as `int32`: negative values arrive sign-extended to 64 bits and are truncated back.
    func int32() throws(ProtobufReader.Malformed) -> Int32 {
        Int32(truncatingIfNeeded: try uint64())
    }

    func bytes() throws(ProtobufReader.Malformed) -> Range<Int> {
        guard case .bytes(let range) = self else { throw ProtobufReader.Malformed() }
        return range
    }
}
