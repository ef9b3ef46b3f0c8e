/// The client's side of the hot path, written and read by hand for programs that talk to the daemon at its full
/// rate (the load generator, simulators): swift-protobuf's generated code spent a few microseconds per message
/// encoding each request and decoding each reply and offer, a fifth of the load generator's CPU at 40,000
/// contacts/s (perf), on the two cores the daemon needs. Each function agrees with the generated code; tests check.
public enum ClientFrames {
    /// A request that acts on one contact, with its field number in `AgentRequest`'s body (the daemon's decoder,
    /// `AgentRequestFrame`, reads them by these numbers too).
    public enum ContactAction: UInt64, Sendable {
        case accept = 7
        case decline = 8
        case complete = 9
        case endWrapUp = 10
    }

    /// `request` (a serialized request of any endpoint, with no request id) with `requestID` set. Every request
    /// message numbers its request id 1, and a field appended to a serialized message sets that field.
    public static func settingRequestID(_ requestID: String, in request: [UInt8]) -> [UInt8] {
        ProtobufWriter.bytes(capacity: request.count + requestID.utf8.count + 8) { writer in
            writer.append(request)
            writer.string(1, requestID)
        }
    }

    /// A serialized `AgentRequest` that accepts, declines, completes or ends the wrap-up of `contact`.
    public static func agentRequest(_ action: ContactAction, contact: UInt64, agent: String, requestID: String) -> [UInt8] {
        ProtobufWriter.bytes { writer in
            writer.string(1, requestID)
            writer.string(2, agent)
            writer.message(action.rawValue) { $0.uint64(1, contact) }
        }
    }

    /// Which member of its `body` a serialized reply holds (the member's field number), without decoding it; nil
    /// for a frame that is not a reply, or one without a body.
    public static func replyBodyField(_ reply: [UInt8]) -> UInt64? {
        var reader = ProtobufReader(reply)
        while let (field, _) = try? reader.next() {
            if field != 1 { return field }
        }
        return nil
    }

    /// The contact and the agent of a serialized `offered` event (the whole frame, or the part `range` of it, as
    /// `PublishedEvents.forEachEvent` gives); nil for any other event.
    public static func offer(in event: [UInt8], range: Range<Int>? = nil) -> (contactID: UInt64, agentID: String)? {
        var reader = ProtobufReader(event, range: range)
        // Sequence (1) and time (2) come first; the kind after them; the stream id (a fixed64, which the reader
        // does not take) last.
        while let (field, value) = try? reader.next() {
            guard field <= 2 else {
                guard field == 4, case .bytes(let range) = value else { return nil }
                return offered(reader.frame, range)
            }
        }
        return nil
    }

    private static func offered(_ frame: [UInt8], _ range: Range<Int>) -> (contactID: UInt64, agentID: String)? {
        var reader = ProtobufReader(frame, range: range)
        var contact: UInt64 = 0
        var agent = ""
        do {
            while let (field, value) = try reader.next() {
                switch field {
                case 1: contact = try value.uint64()
                case 2: agent = try reader.text(value)
                default: continue
                }
            }
        } catch {
            return nil
        }
        return (contact, agent)
    }
}
