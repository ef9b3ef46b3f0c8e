import RoutingCore

/// The replies to the hot requests (`RequestFrames.swift`) written by hand: byte for byte what the generated
/// encoder writes for `Acd_V1_AgentReply(requestID:events:)` and `Acd_V1_ContactReply(requestID:events:)`
/// (fields in number order, defaults left out), which the tests check. Each replaces what `bytes` holds: the
/// daemon writes its replies into storage it keeps from one request to the next.
public enum HotReplies {
    /// Ack, or the first refusal among the command's events.
    public static func agentReply(requestID: String, events: ArraySlice<Event>, into bytes: inout [UInt8]) {
        ProtobufWriter.write(into: &bytes) { writer in
            writer.string(1, requestID)
            for case .commandRejected(let code, let message) in events.lazy.map(\.kind) {
                writer.error(Acd_V1_AgentReply.errorField, code, message)
                return
            }
            writer.message(2) { _ in }
        }
    }

    /// The first of a refusal, the contact's `queued` (position and wait estimate) or `closed`; ack otherwise.
    public static func contactReply(requestID: String, events: ArraySlice<Event>, into bytes: inout [UInt8]) {
        ProtobufWriter.write(into: &bytes) { writer in
            writer.string(1, requestID)
            for event in events {
                switch event.kind {
                case .commandRejected(let code, let message):
                    writer.error(Acd_V1_ContactReply.errorField, code, message)
                    return
                case .queued(let id, _, _, let position, let estimate):
                    writer.message(2) {
                        $0.uint64(1, id.rawValue)
                        $0.int32(2, Int32(clamping: position))
                        if let estimate { $0.int32(3, Int32(clamping: estimate), evenIfZero: true) }
                    }
                    return
                case .closed(let id, _, _):
                    writer.message(3) { $0.uint64(1, id.rawValue) }
                    return
                default:
                    continue
                }
            }
            writer.message(6) { _ in }
        }
    }
}

/// The field number of `error` in each reply's body (acd.proto), for the hand-written replies and for clients that
/// read a reply's kind without decoding it (`ClientFrames.replyBodyField`).
extension Acd_V1_AgentReply {
    public static let errorField: UInt64 = 3
}

extension Acd_V1_ContactReply {
    public static let errorField: UInt64 = 4
}

extension ProtobufWriter {
    fileprivate mutating func error(_ field: UInt64, _ code: RejectionCode, _ message: String) {
        self.message(field) {
            $0.string(1, code.rawValue)
            $0.string(2, message)
        }
    }
}
