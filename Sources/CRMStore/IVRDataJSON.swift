/// The IVR data of a call card as a JSON object with its keys sorted, so that equal data gives equal text.
/// Written by hand: Foundation's `JSONEncoder` took a fifth of the store's time for a one-key dictionary.
enum IVRDataJSON {
    static func encode(_ data: [String: String]) -> String {
        var json = "{"
        for (index, key) in data.keys.sorted().enumerated() {
            if index > 0 { json += "," }
            appendQuoted(key, to: &json)
            json += ":"
            appendQuoted(data[key]!, to: &json)
        }
        json += "}"
        return json
    }

    private static func appendQuoted(_ text: String, to json: inout String) {
        json += "\""
        defer { json += "\"" }
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            json += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case "\u{0}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
    }
}
