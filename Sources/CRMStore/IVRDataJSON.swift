/// The IVR data of a call card as a JSON object with its keys sorted, so that equal data gives equal text.
/// Written by hand, byte by byte: Foundation's `JSONEncoder` took a fifth of the store's time for a one-key
/// dictionary, and appending `String`s still took 7% of it.
enum IVRDataJSON {
    static func encode(_ data: [String: String]) -> String {
        var json: [UInt8] = []
        json.reserveCapacity(64)
        json.append(UInt8(ascii: "{"))
        if data.count == 1, let (key, value) = data.first {
            appendMember(key, value, to: &json)
        } else {
            for key in data.keys.sorted() {
                if json.count > 1 { json.append(UInt8(ascii: ",")) }
                appendMember(key, data[key]!, to: &json)
            }
        }
        json.append(UInt8(ascii: "}"))
        return String(decoding: json, as: UTF8.self)
    }

    private static func appendMember(_ key: String, _ value: String, to json: inout [UInt8]) {
        appendQuoted(key, to: &json)
        json.append(UInt8(ascii: ":"))
        appendQuoted(value, to: &json)
    }

    private static func appendQuoted(_ text: String, to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        defer { json.append(UInt8(ascii: "\"")) }
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            json.append(contentsOf: bytes)
            return true
        }
        if copied == true { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                json.append(UInt8(ascii: "\\"))
                json.append(byte)
            case UInt8(ascii: "\n"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): json.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let low = byte & 0xF
                json.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), UInt8(ascii: "0") + byte >> 4,
                    low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10,
                ])
            default:
                // UTF-8 bytes of non-ASCII characters pass through: JSON text is UTF-8.
                json.append(byte)
            }
        }
    }
}
