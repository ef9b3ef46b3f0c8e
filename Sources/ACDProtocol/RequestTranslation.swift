import RoutingCore

/// What a contacts-endpoint request asks the daemon to do.
public enum ContactRequestAction: Sendable {
    case command(Command)
    case status(ContactID)
}

/// What an agents-endpoint request asks: a core command, or a heartbeat the daemon itself tracks.
public enum AgentRequestAction: Sendable {
    case command(Command)
    case heartbeat(AgentID)
}

/// What an admin request asks: a core command, a reload of the rule files, statistics, a replay of events, or
/// noting how far a CRM store has written.
public enum AdminRequestAction: Sendable {
    case command(Command)
    case reloadRules
    case statistics(tenant: String?)
    case replayEvents(from: UInt64, maxEvents: Int)
    case storeProgress(store: String, stream: UInt64, writtenThrough: UInt64)
}

extension ProtocolError {
    static func invalidField(_ message: String) -> ProtocolError { ProtocolError(code: "invalid_field", message: message) }
    static let emptyBody = ProtocolError(code: "empty_request", message: "the request has no body")
}

extension Channel {
    init(wire: Acd_V1_Channel) throws(ProtocolError) {
        switch wire {
        case .voice: self = .voice
        case .chat: self = .chat
        case .email: self = .email
        case .callback: self = .callback
        case .unspecified, .UNRECOGNIZED: throw .invalidField("channel must be VOICE, CHAT, EMAIL or CALLBACK")
        }
    }
}

extension ContactSubmission {
    /// A submission from its wire fields, checked as every decoder of `SubmitContact` must.
    static func fromWire(
        tenant: String, queue: String, channel: Acd_V1_Channel, profile: CustomerProfile, requiredSkills: [String: Int32],
        priority: Int32, ivrData: [String: String], callbackNumber: String, externalID: String
    ) throws(ProtocolError) -> ContactSubmission {
        guard !tenant.isEmpty, !queue.isEmpty else { throw .invalidField("submit needs tenant and queue") }
        return ContactSubmission(
            tenant: tenant, queue: queue, channel: try Channel(wire: channel), profile: profile,
            // `mapValues` allocates new storage even for an empty dictionary, which nearly every submission has.
            requiredSkills: requiredSkills.isEmpty ? [:] : requiredSkills.mapValues(Int.init), priority: Int(priority), ivrData: ivrData,
            callbackNumber: callbackNumber.nilIfEmpty, externalID: externalID.nilIfEmpty)
    }
}

extension Acd_V1_ContactRequest {
    /// The action, with `profile` (read from the CRM by the daemon) attached to a submission.
    public func action(profile: CustomerProfile) throws(ProtocolError) -> ContactRequestAction {
        switch body {
        case .submit(let submit)?:
            return .command(.submit(try .fromWire(
                tenant: submit.tenant, queue: submit.queue, channel: submit.channel, profile: profile,
                requiredSkills: submit.requiredSkills, priority: submit.priority, ivrData: submit.ivrData,
                callbackNumber: submit.callbackNumber, externalID: submit.externalID)))
        case .cancel(let ref)?: return .command(.cancel(ContactID(ref.contactID)))
        case .abandon(let ref)?: return .command(.abandon(ContactID(ref.contactID)))
        case .status(let ref)?: return .status(ContactID(ref.contactID))
        case .requestCallback(let callback)?:
            return .command(.requestCallback(ContactID(callback.contactID), number: callback.number))
        case nil: throw .emptyBody
        }
    }
}

extension Acd_V1_AgentRequest {
    public func action() throws(ProtocolError) -> AgentRequestAction {
        guard !agentID.isEmpty else { throw .invalidField("agent_id is required") }
        let agent = AgentID(agentID)
        switch body {
        case .login?: return .command(.login(agent))
        case .logout(let logout)?: return .command(.logout(agent, force: logout.force))
        case .ready?: return .command(.ready(agent))
        case .notReady(let notReady)?: return .command(.notReady(agent, reason: notReady.reason))
        case .accept(let ref)?: return .command(.accept(agent, ContactID(ref.contactID)))
        case .decline(let ref)?: return .command(.decline(agent, ContactID(ref.contactID)))
        case .complete(let ref)?: return .command(.complete(agent, ContactID(ref.contactID)))
        case .endWrapUp(let ref)?: return .command(.endWrapUp(agent, ContactID(ref.contactID)))
        case .heartbeat?: return .heartbeat(agent)
        case nil: throw .emptyBody
        }
    }
}

extension Acd_V1_AdminRequest {
    public func action() throws(ProtocolError) -> AdminRequestAction {
        switch body {
        case .addAgent(let profile)?:
            guard !profile.agentID.isEmpty else { throw .invalidField("agent_id is required") }
            return .command(.addAgent(AgentProfile(wire: profile)))
        case .removeAgent(let ref)?: return .command(.removeAgent(AgentID(ref.agentID)))
        case .setSkills(let set)?: return .command(.setSkills(AgentID(set.agentID), skills: set.skills.mapValues(Int.init)))
        case .reloadRules?: return .reloadRules
        case .statistics(let request)?: return .statistics(tenant: request.tenant.nilIfEmpty)
        case .replayEvents(let replay)?: return .replayEvents(from: replay.fromSequence, maxEvents: Int(replay.maxEvents))
        case .storeProgress(let progress)?:
            guard !progress.store.isEmpty else { throw .invalidField("store is required") }
            return .storeProgress(store: progress.store, stream: progress.streamID, writtenThrough: progress.writtenThrough)
        case nil: throw .emptyBody
        }
    }
}

extension AgentProfile {
    public init(wire profile: Acd_V1_AgentProfile) {
        self.init(
            id: AgentID(profile.agentID), name: profile.name, tenant: profile.tenant,
            team: profile.team.nilIfEmpty, skills: profile.skills.mapValues(Int.init),
            capacity: profile.hasCapacity ? ChannelCapacity(
                voice: Int(profile.capacity.voice), chat: Int(profile.capacity.chat),
                email: Int(profile.capacity.email), callback: Int(profile.capacity.callback)) : nil)
    }
}

extension Acd_V1_AgentProfile {
    public init(_ profile: AgentProfile) {
        self.init()
        agentID = profile.id.rawValue
        name = profile.name
        tenant = profile.tenant
        team = profile.team ?? ""
        skills = profile.skills.mapValues { Int32(clamping: $0) }
        if let capacity = profile.capacity {
            self.capacity = .with {
                $0.voice = Int32(clamping: capacity[.voice])
                $0.chat = Int32(clamping: capacity[.chat])
                $0.email = Int32(clamping: capacity[.email])
                $0.callback = Int32(clamping: capacity[.callback])
            }
        }
    }
}
