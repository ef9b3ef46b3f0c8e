import RoutingCore

extension EventKind {
    /// The core form of a wire event, for clients that reason in the core's terms (the live simulator, the CRM
    /// store). Nil for an event without a kind or with a state this version does not know. Fields the wire does
    /// not carry (a received contact's lifetime value and churn risk) are left at their defaults.
    public init?(wire event: Acd_V1_Event) {
        switch event.kind {
        case .received(let r)?:
            self = .received(ContactID(r.contactID), ContactSubmission(
                tenant: r.tenant, queue: r.queue, channel: Channel(wireValue: r.channel) ?? .voice,
                profile: CustomerProfile(customerID: r.customerID.nilIfEmpty, tier: r.customerTier.nilIfEmpty,
                                         language: r.language.nilIfEmpty),
                requiredSkills: r.requiredSkills.mapValues(Int.init), priority: Int(r.priority), ivrData: r.ivrData,
                callbackNumber: r.callbackNumber.nilIfEmpty, externalID: r.externalID.nilIfEmpty))
        case .queued(let q)?:
            self = .queued(ContactID(q.contactID), tenant: q.tenant, queue: q.queue, position: Int(q.position),
                           estimatedWaitSeconds: q.hasEstimatedWaitSeconds ? Int(q.estimatedWaitSeconds) : nil)
        case .offered(let o)?:
            self = .offered(ContactID(o.contactID), agent: AgentID(o.agentID), queue: o.queue, expiresAt: Instant(milliseconds: o.expiresAtMs))
        case .accepted(let a)?: self = .accepted(ContactID(a.contactID), agent: AgentID(a.agentID))
        case .declined(let a)?: self = .declined(ContactID(a.contactID), agent: AgentID(a.agentID))
        case .offerTimedOut(let a)?: self = .offerTimedOut(ContactID(a.contactID), agent: AgentID(a.agentID))
        case .connected(let c)?:
            self = .connected(ContactID(c.contactID), agent: AgentID(c.agentID), queue: c.queue, waitMilliseconds: c.waitMs)
        case .completed(let c)?:
            self = .completed(ContactID(c.contactID), agent: AgentID(c.agentID), talkMilliseconds: c.talkMs,
                              outcome: ContactOutcome(rawValue: c.outcome) ?? .completed)
        case .wrapUpEnded(let w)?:
            self = .wrapUpEnded(ContactID(w.contactID), agent: AgentID(w.agentID), wrapUpMilliseconds: w.wrapUpMs)
        case .abandoned(let a)?:
            self = .abandoned(ContactID(a.contactID), queue: a.queue, waitMilliseconds: a.waitMs,
                              outcome: ContactOutcome(rawValue: a.outcome) ?? .abandoned)
        case .overflowed(let o)?:
            self = .overflowed(ContactID(o.contactID), from: o.fromQueue, to: o.toQueue.nilIfEmpty)
        case .closed(let c)?: self = .closed(ContactID(c.contactID), tenant: c.tenant, queue: c.queue)
        case .callbackRequested(let c)?: self = .callbackRequested(ContactID(c.contactID), number: c.number)
        case .agentStateChanged(let s)?:
            guard let state = AgentState.allCases.first(where: { $0.description == s.state }) else { return nil }
            self = .agentStateChanged(AgentID(s.agentID), state: state, reason: s.reason.nilIfEmpty)
        case .agentAdded(let profile)?: self = .agentAdded(AgentProfile(wire: profile))
        case .agentRemoved(let ref)?: self = .agentRemoved(AgentID(ref.agentID))
        case .skillsChanged(let s)?: self = .skillsChanged(AgentID(s.agentID), skills: s.skills.mapValues(Int.init))
        case .rulesReplaced(let r)?: self = .rulesReplaced(tenants: r.tenants)
        case .commandRejected(let e)?:
            self = .commandRejected(RejectionCode(rawValue: e.code) ?? .fieldOutOfRange, message: e.message)
        case nil: return nil
        }
    }
}

extension Event {
    /// The core form of a wire event; nil when its kind is not one the core knows (see `EventKind(wire:)`).
    public init?(wire event: Acd_V1_Event) {
        guard let kind = EventKind(wire: event) else { return nil }
        self.init(sequence: event.sequence, at: Instant(milliseconds: event.atMs), kind: kind)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension Channel {
    /// The core's channel of a wire channel; nil for an unspecified or unknown one.
    public init?(wireValue: Acd_V1_Channel) {
        guard let channel = try? Channel(wire: wireValue) else { return nil }
        self = channel
    }
}
