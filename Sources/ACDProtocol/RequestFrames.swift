import RoutingCore

// The requests every contact and every offer make (submit, accept, complete...) decoded by hand from binary
// protobuf, straight into what the daemon needs, without building the generated message: with the reply encoder,
// the generated code was about a quarter of the routing thread's time at 24,000 contacts/s (bench/README.md).
// A frame these decoders do not take (JSON, a rarer request, a field they do not know, a field repeated, text
// that is not UTF-8, a missing agent id...) gives nil, and the daemon hands it to the generated decoder, which
// gives the same answer or the error.

/// A binary `AgentRequest` of the hot kinds.
public struct AgentRequestFrame: Sendable {
    public var requestID: String
    public var agentID: AgentID
    public var action: AgentRequestAction

    public init?(binary frame: [UInt8]) {
        do {
            let reader = ProtobufReader(frame)
            let envelope = try RequestEnvelope(reader, bodyFields: 3...11, withAgentID: true)
            guard !envelope.agentID.isEmpty else { return nil }
            let agent = AgentID(envelope.agentID)
            let body = envelope.body
            switch body.field {
            case 3 where body.range.isEmpty: action = .command(.login(agent))
            case 5 where body.range.isEmpty: action = .command(.ready(agent))
            case 11 where body.range.isEmpty: action = .heartbeat(agent)
            default:
                // Logout and not-ready carry fields worth the generated decoder's checks.
                guard let contactAction = ClientFrames.ContactAction(rawValue: body.field) else { return nil }
                let contact = try reader.contactRef(body.range)
                switch contactAction {
                case .accept: action = .command(.accept(agent, contact))
                case .decline: action = .command(.decline(agent, contact))
                case .complete: action = .command(.complete(agent, contact))
                case .endWrapUp: action = .command(.endWrapUp(agent, contact))
                }
            }
            requestID = envelope.requestID
            agentID = agent
        } catch {
            return nil
        }
    }
}

/// A binary `ContactRequest` of the hot kinds: a submission, or a cancel or abandon.
public struct ContactRequestFrame: Sendable {
    public enum Body: Sendable {
        case submit(Submit)
        case cancel(ContactID)
        case abandon(ContactID)
    }

    /// `SubmitContact`'s fields as they came.
    public struct Submit: Sendable {
        public var tenant = ""
        public var channel = Acd_V1_Channel.unspecified
        public var queue = ""
        public var customerID = ""
        public var ani = ""
        public var ivrData: [String: String] = [:]
        public var requiredSkills: [String: Int32] = [:]
        public var priority: Int32 = 0
        public var callbackNumber = ""
        public var externalID = ""
    }

    public var requestID: String
    public var body: Body

    public init?(binary frame: [UInt8]) {
        do {
            let reader = ProtobufReader(frame)
            // Status and callbacks (fields 5 and 6) are left to the generated decoder.
            let envelope = try RequestEnvelope(reader, bodyFields: 2...4, withAgentID: false)
            let range = envelope.body.range
            switch envelope.body.field {
            case 2: body = .submit(try Self.submit(reader, range))
            case 3: body = .cancel(try reader.contactRef(range))
            default: body = .abandon(try reader.contactRef(range))
            }
            requestID = envelope.requestID
        } catch {
            return nil
        }
    }

    /// The command (every hot contact request is one), with `profile` (read from the CRM by the daemon)
    /// attached to a submission.
    public func command(profile: CustomerProfile) throws(ProtocolError) -> Command {
        switch body {
        case .submit(let submit):
            return .submit(try .fromWire(
                tenant: submit.tenant, queue: submit.queue, channel: submit.channel, profile: profile,
                requiredSkills: submit.requiredSkills, priority: submit.priority, ivrData: submit.ivrData,
                callbackNumber: submit.callbackNumber, externalID: submit.externalID))
        case .cancel(let id): return .cancel(id)
        case .abandon(let id): return .abandon(id)
        }
    }

    private static func submit(_ outer: ProtobufReader, _ range: Range<Int>) throws(ProtobufReader.Malformed) -> Submit {
        var reader = ProtobufReader(outer.frame, range: range)
        var submit = Submit()
        while let (field, value) = try reader.next() {
            switch field {
            case 1: submit.tenant = try reader.text(value)
            case 2:
                // An enum value this build does not know stays UNRECOGNIZED, as the generated decoder keeps it.
                submit.channel = Acd_V1_Channel(rawValue: Int(try value.int32())) ?? .unspecified
            case 3: submit.queue = try reader.text(value)
            case 4: submit.customerID = try reader.text(value)
            case 5: submit.ani = try reader.text(value)
            case 6:
                let (key, entry) = try reader.mapEntry(try value.bytes())
                submit.ivrData[key] = try entry.map { value throws(ProtobufReader.Malformed) in try reader.text(value) } ?? ""
            case 7:
                let (key, entry) = try reader.mapEntry(try value.bytes())
                submit.requiredSkills[key] = try entry?.int32() ?? 0
            case 8: submit.priority = try value.int32()
            case 9: submit.callbackNumber = try reader.text(value)
            case 10: submit.externalID = try reader.text(value)
            default: throw ProtobufReader.Malformed()
            }
        }
        return submit
    }
}

/// The layer every request shares: its id (field 1), an agent request's agent id (field 2), and the one field of
/// its `oneof` body. Any other field, or a body given twice or not at all, is `Malformed`: the frame is left to
/// the generated decoder.
private struct RequestEnvelope {
    var requestID = ""
    var agentID = ""
    var body: (field: UInt64, range: Range<Int>)

    init(_ frame: ProtobufReader, bodyFields: ClosedRange<UInt64>, withAgentID: Bool) throws(ProtobufReader.Malformed) {
        var reader = frame
        var body: (field: UInt64, range: Range<Int>)?
        while let (field, value) = try reader.next() {
            if field == 1 {
                requestID = try reader.text(value)
            } else if field == 2, withAgentID {
                agentID = try reader.text(value)
            } else if bodyFields.contains(field), body == nil {
                body = (field, try value.bytes())
            } else {
                throw ProtobufReader.Malformed()
            }
        }
        guard let body else { throw ProtobufReader.Malformed() }
        self.body = body
    }
}

extension ProtobufReader {
    /// A `ContactRef` in `range`: field 1, the contact id; nothing else.
    fileprivate func contactRef(_ range: Range<Int>) throws(Malformed) -> ContactID {
        var reader = ProtobufReader(frame, range: range)
        var id: UInt64 = 0
        while let (field, value) = try reader.next() {
            guard field == 1 else { throw Malformed() }
            id = try value.uint64()
        }
        return ContactID(id)
    }

    /// A map entry in `range`: key (field 1, text) and value (field 2), either possibly absent.
    fileprivate func mapEntry(_ range: Range<Int>) throws(Malformed) -> (String, Value?) {
        var reader = ProtobufReader(frame, range: range)
        var key = ""
        var entry: Value?
        while let (field, value) = try reader.next() {
            switch field {
            case 1: key = try reader.text(value)
            case 2: entry = value
            default: throw Malformed()
            }
        }
        return (key, entry)
    }
}
