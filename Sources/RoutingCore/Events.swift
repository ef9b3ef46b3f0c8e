/// An agent's state as a supervisor sees it, derived from presence and the contacts the agent holds.
public enum AgentState: Int, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case loggedOut = 0, notReady, ready, reserved, busy, wrapUp

    public var description: String {
        switch self {
        case .loggedOut: "logged_out"
        case .notReady: "not_ready"
        case .ready: "ready"
        case .reserved: "reserved"
        case .busy: "busy"
        case .wrapUp: "wrap_up"
        }
    }
}

/// How a contact left the core.
public enum ContactOutcome: String, Sendable, Hashable {
    case completed
    case abandoned
    case cancelled
    case overflowedToIVR = "overflowed_to_ivr"
    case closed
    case agentDisconnected = "agent_disconnected"
}

public struct Event: Sendable, Hashable {
    /// Increases by one for every event the engine emits, across all kinds.
    public var sequence: UInt64
    public var at: Instant
    public var kind: EventKind

    public init(sequence: UInt64, at: Instant, kind: EventKind) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
    }
}

public enum EventKind: Sendable, Hashable {
    /// A contact was accepted and given its id; the submission is what the call card records. Comes before the
    /// contact's `queued` or `closed`.
    case received(ContactID, ContactSubmission)
    /// `estimatedWaitSeconds` is nil when no agent who could take the contact is staffed.
    case queued(ContactID, tenant: String, queue: String, position: Int, estimatedWaitSeconds: Int?)
    case offered(ContactID, agent: AgentID, queue: String, expiresAt: Instant)
    case accepted(ContactID, agent: AgentID)
    case declined(ContactID, agent: AgentID)
    case offerTimedOut(ContactID, agent: AgentID)
    case connected(ContactID, agent: AgentID, queue: String, waitMilliseconds: Int64)
    case completed(ContactID, agent: AgentID, talkMilliseconds: Int64, outcome: ContactOutcome)
    /// The last event of every answered contact: at once (0 ms) when its queue has no wrap-up or its agent was
    /// disconnected, else when the wrap-up time runs out or the agent ends it.
    case wrapUpEnded(ContactID, agent: AgentID, wrapUpMilliseconds: Int64)
    case abandoned(ContactID, queue: String, waitMilliseconds: Int64, outcome: ContactOutcome)
    /// `to` is nil when the contact leaves the core for the IVR to handle.
    case overflowed(ContactID, from: String, to: String?)
    case closed(ContactID, tenant: String, queue: String)
    case callbackRequested(ContactID, number: String)
    case agentStateChanged(AgentID, state: AgentState, reason: String?)
    indirect case agentAdded(AgentProfile)
    case agentRemoved(AgentID)
    indirect case skillsChanged(AgentID, skills: [String: Int])
    case rulesReplaced(tenants: [String])
    case commandRejected(RejectionCode, message: String)
}

/// Stable codes for refused commands; the daemon sends them on the wire.
public enum RejectionCode: String, Sendable, Hashable, CaseIterable {
    case unknownTenant = "unknown_tenant"
    case unknownQueue = "unknown_queue"
    case unknownAgent = "unknown_agent"
    case unknownContact = "unknown_contact"
    case unknownSkill = "unknown_skill"
    case unknownTeam = "unknown_team"
    case channelMismatch = "channel_mismatch"
    case queueFull = "queue_full"
    case fieldOutOfRange = "field_out_of_range"
    case agentAlreadyExists = "agent_already_exists"
    case agentLoggedIn = "agent_logged_in"
    case agentNotLoggedIn = "agent_not_logged_in"
    case agentAlreadyLoggedIn = "agent_already_logged_in"
    case agentHasActiveWork = "agent_has_active_work"
    case contactNotOfferedToAgent = "contact_not_offered_to_agent"
    case contactNotConnectedToAgent = "contact_not_connected_to_agent"
    case contactNotInWrapUp = "contact_not_in_wrap_up"
    case contactNotWaiting = "contact_not_waiting"
    case invalidRules = "invalid_rules"
    case rulesOrphanState = "rules_orphan_state"
}
