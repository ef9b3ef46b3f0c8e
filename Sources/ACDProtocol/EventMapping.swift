import RoutingCore

extension Acd_V1_Event {
    /// The wire form of a core event.
    public init(_ event: Event, streamID: UInt64 = 0) {
        self.init()
        sequence = event.sequence
        atMs = event.at.milliseconds
        self.streamID = streamID
        switch event.kind {
        case .received(let id, let submission):
            kind = .received(.with {
                $0.contactID = id.rawValue
                $0.tenant = submission.tenant
                $0.queue = submission.queue
                $0.channel = Acd_V1_Channel(submission.channel)
                $0.customerID = submission.profile.customerID ?? ""
                $0.customerTier = submission.profile.tier ?? ""
                $0.language = submission.profile.language ?? ""
                $0.priority = Int32(clamping: submission.priority)
                $0.ivrData = submission.ivrData
                $0.requiredSkills = submission.requiredSkills.mapValues { Int32(clamping: $0) }
                $0.callbackNumber = submission.callbackNumber ?? ""
                $0.externalID = submission.externalID ?? ""
            })
        case .queued(let id, let tenant, let queue, let position, let estimate):
            kind = .queued(.with {
                $0.contactID = id.rawValue
                $0.tenant = tenant
                $0.queue = queue
                $0.position = Int32(clamping: position)
                if let estimate { $0.estimatedWaitSeconds = Int32(clamping: estimate) }
            })
        case .offered(let id, let agent, let queue, let expiresAt):
            kind = .offered(.with {
                $0.contactID = id.rawValue
                $0.agentID = agent.rawValue
                $0.queue = queue
                $0.expiresAtMs = expiresAt.milliseconds
            })
        case .accepted(let id, let agent):
            kind = .accepted(.init(id, agent))
        case .declined(let id, let agent):
            kind = .declined(.init(id, agent))
        case .offerTimedOut(let id, let agent):
            kind = .offerTimedOut(.init(id, agent))
        case .connected(let id, let agent, let queue, let wait):
            kind = .connected(.with {
                $0.contactID = id.rawValue
                $0.agentID = agent.rawValue
                $0.queue = queue
                $0.waitMs = wait
            })
        case .completed(let id, let agent, let talk, let outcome):
            kind = .completed(.with {
                $0.contactID = id.rawValue
                $0.agentID = agent.rawValue
                $0.talkMs = talk
                $0.outcome = outcome.rawValue
            })
        case .wrapUpEnded(let id, let agent, let wrapUp):
            kind = .wrapUpEnded(.with {
                $0.contactID = id.rawValue
                $0.agentID = agent.rawValue
                $0.wrapUpMs = wrapUp
            })
        case .abandoned(let id, let queue, let wait, let outcome):
            kind = .abandoned(.with {
                $0.contactID = id.rawValue
                $0.queue = queue
                $0.waitMs = wait
                $0.outcome = outcome.rawValue
            })
        case .overflowed(let id, let from, let to):
            kind = .overflowed(.with {
                $0.contactID = id.rawValue
                $0.fromQueue = from
                $0.toQueue = to ?? ""
            })
        case .closed(let id, let tenant, let queue):
            kind = .closed(.with {
                $0.contactID = id.rawValue
                $0.tenant = tenant
                $0.queue = queue
            })
        case .callbackRequested(let id, let number):
            kind = .callbackRequested(.with {
                $0.contactID = id.rawValue
                $0.number = number
            })
        case .agentStateChanged(let agent, let state, let reason):
            kind = .agentStateChanged(.with {
                $0.agentID = agent.rawValue
                $0.state = state.description
                $0.reason = reason ?? ""
            })
        case .agentAdded(let profile):
            kind = .agentAdded(Acd_V1_AgentProfile(profile))
        case .agentRemoved(let agent):
            kind = .agentRemoved(.with { $0.agentID = agent.rawValue })
        case .skillsChanged(let agent, let skills):
            kind = .skillsChanged(.with {
                $0.agentID = agent.rawValue
                $0.skills = skills.mapValues { Int32(clamping: $0) }
            })
        case .rulesReplaced(let tenants):
            kind = .rulesReplaced(.with { $0.tenants = tenants })
        case .commandRejected(let code, let message):
            kind = .commandRejected(.with {
                $0.code = code.rawValue
                $0.message = message
            })
        }
    }
}

extension Acd_V1_ContactAgentEvent {
    init(_ contact: ContactID, _ agent: AgentID) {
        self.init()
        contactID = contact.rawValue
        agentID = agent.rawValue
    }
}
