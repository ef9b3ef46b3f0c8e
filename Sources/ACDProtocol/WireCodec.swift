import SwiftProtobuf

/// How a message was encoded; a reply goes back in the encoding of its request.
public enum WireEncoding: Sendable, Hashable {
    case binary
    case json

    /// The encoding a frame that could not be decoded looks like, to answer it in kind.
    public static func guess(_ frame: [UInt8]) -> WireEncoding {
        frame.first { $0 > 0x20 } == UInt8(ascii: "{") ? .json : .binary
    }
}

public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// Stable code for the error reply: `malformed_message`.
    public var code: String
    public var message: String
    public var description: String { "\(code): \(message)" }
}

public enum WireCodec {
    /// Decodes binary protobuf, or proto3 JSON when the frame starts with `{` (optionally after whitespace).
    /// Binary never starts with `{`: that byte would be a group field, and no message here has one.
    public static func decode<M: SwiftProtobuf.Message>(_ frame: [UInt8], as type: M.Type) throws(ProtocolError) -> (M, WireEncoding) {
        let firstVisible = frame.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        if frame.first == UInt8(ascii: "{") || (firstVisible == UInt8(ascii: "{") && (try? M(serializedBytes: frame)) == nil) {
            do {
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = false
                return (try M(jsonUTF8Bytes: frame, options: options), .json)
            } catch {
                throw ProtocolError(code: "malformed_message", message: "invalid JSON for \(M.protoMessageName): \(error)")
            }
        }
        do {
            return (try M(serializedBytes: frame), .binary)
        } catch {
            throw ProtocolError(code: "malformed_message", message: "invalid protobuf for \(M.protoMessageName): \(error)")
        }
    }

    public static func encode<M: SwiftProtobuf.Message>(_ message: M, as encoding: WireEncoding) -> [UInt8] {
        switch encoding {
        case .binary:
            // Serializing a fully typed message can only fail for unset required fields, which proto3 has none of.
            return (try? message.serializedBytes()) ?? []
        case .json:
            return (try? message.jsonUTF8Bytes()) ?? []
        }
    }
}
