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
        var reader = ProtobufReader(frame)
        var requestID = ""
        var agentID = ""
        var body: (field: UInt64, range: Range<Int>)?
        do {
            while let (field, value) = try reader.next() {
                switch field {
                case 1: requestID = try Self.text(reader, value)
                case 2: agentID = try Self.text(reader, value)
                case 3...11:
                    guard body == nil else { return nil }
                    body = (field, try value.bytes())
                default: return nil
                }
            }
            guard !agentID.isEmpty, let body else { return nil }
            let agent = AgentID(agentID)
            switch body.field {
            case 3 where body.range.isEmpty: action = .command(.login(agent))
            case 5 where body.range.isEmpty: action = .command(.ready(agent))
            case 11 where body.range.isEmpty: action = .heartbeat(agent)
            case 7: action = .command(.accept(agent, try Self.contactRef(reader, body.range)))
            case 8: action = .command(.decline(agent, try Self.contactRef(reader, body.range)))
            case 9: action = .command(.complete(agent, try Self.contactRef(reader, body.range)))
            case 10: action = .command(.endWrapUp(agent, try Self.contactRef(reader, body.range)))
            default: return nil  // logout and not-ready carry fields worth the generated decoder's checks
            }
            self.requestID = requestID
            self.agentID = agent
        } catch {
            return nil
        }
    }

    fileprivate static func text(_ reader: ProtobufReader, _ value: ProtobufReader.Value) throws(ProtobufReader.Malformed) -> String {
        guard let text = reader.string(try value.bytes()) else { throw ProtobufReader.Malformed() }
        return text
    }

    /// A `ContactRef`: field 1, the contact id; nothing else.
    fileprivate static func contactRef(_ outer: ProtobufReader, _ range: Range<Int>) throws(ProtobufReader.Malformed) -> ContactID {
        var reader = ProtobufReader(outer.frame, range: range)
        var id: UInt64 = 0
        while let (field, value) = try reader.next() {
            guard field == 1 else { throw ProtobufReader.Malformed() }
            id = try value.uint64()
        }
        return ContactID(id)
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
        var reader = ProtobufReader(frame)
        var requestID = ""
        var body: (field: UInt64, range: Range<Int>)?
        do {
            while let (field, value) = try reader.next() {
                switch field {
                case 1: requestID = try AgentRequestFrame.text(reader, value)
                case 2, 3, 4:
                    guard body == nil else { return nil }
                    body = (field, try value.bytes())
                default: return nil  // status and callbacks, or a field these decoders do not know
                }
            }
            guard let body else { return nil }
            switch body.field {
            case 2: self.body = .submit(try Self.submit(reader, body.range))
            case 3: self.body = .cancel(try AgentRequestFrame.contactRef(reader, body.range))
            default: self.body = .abandon(try AgentRequestFrame.contactRef(reader, body.range))
            }
            self.requestID = requestID
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
            case 1: submit.tenant = try AgentRequestFrame.text(reader, value)
            case 2:
                // An enum value this build does not know stays UNRECOGNIZED, as the generated decoder keeps it.
                submit.channel = Acd_V1_Channel(rawValue: Int(try value.int32())) ?? .unspecified
            case 3: submit.queue = try AgentRequestFrame.text(reader, value)
            case 4: submit.customerID = try AgentRequestFrame.text(reader, value)
            case 5: submit.ani = try AgentRequestFrame.text(reader, value)
            case 6:
                let (key, entry) = try mapEntry(reader, try value.bytes())
                submit.ivrData[key] = try entry.map { value throws(ProtobufReader.Malformed) in try AgentRequestFrame.text(reader, value) } ?? ""
            case 7:
                let (key, entry) = try mapEntry(reader, try value.bytes())
                submit.requiredSkills[key] = try entry?.int32() ?? 0
            case 8: submit.priority = try value.int32()
            case 9: submit.callbackNumber = try AgentRequestFrame.text(reader, value)
            case 10: submit.externalID = try AgentRequestFrame.text(reader, value)
            default: throw ProtobufReader.Malformed()
            }
        }
        return submit
    }

    /// A map entry: key (field 1, text) and value (field 2), either possibly absent.
    private static func mapEntry(_ outer: ProtobufReader, _ range: Range<Int>) throws(ProtobufReader.Malformed) -> (String, ProtobufReader.Value?) {
        var reader = ProtobufReader(outer.frame, range: range)
        var key = ""
        var entry: ProtobufReader.Value?
        while let (field, value) = try reader.next() {
            switch field {
            case 1: key = try AgentRequestFrame.text(reader, value)
            case 2: entry = value
            default: throw ProtobufReader.Malformed()
            }
        }
        return (key, entry)
    }
}
