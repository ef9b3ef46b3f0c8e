/// What the CRM knows about the customer behind a contact; the caller of the core reads it and passes it in.
public struct CustomerProfile: Sendable, Hashable {
    public var customerID: String?
    public var tier: String?
    public var lifetimeValue: Double
    /// 0 (loyal) ... 1 (about to leave).
    public var churnRisk: Double
    public var language: String?
    public var lastAgent: AgentID?

    public init(
        customerID: String? = nil, tier: String? = nil, lifetimeValue: Double = 0, churnRisk: Double = 0,
        language: String? = nil, lastAgent: AgentID? = nil
    ) {
        self.customerID = customerID
        self.tier = tier
        self.lifetimeValue = lifetimeValue
        self.churnRisk = churnRisk
        self.language = language
        self.lastAgent = lastAgent
    }

    public static let unknownCaller = CustomerProfile()
}

public struct ContactSubmission: Sendable, Hashable {
    public var tenant: String
    public var queue: String
    public var channel: Channel
    public var profile: CustomerProfile
    /// Skills this contact needs beyond the queue's (e.g. a language picked in the IVR); never relaxed.
    public var requiredSkills: [String: Int]
    public var priority: Int
    public var ivrData: [String: String]
    public var callbackNumber: String?
    /// The telephony side's own id for the contact (call id, chat session); carried to the call card.
    public var externalID: String?

    public init(
        tenant: String, queue: String, channel: Channel, profile: CustomerProfile = .unknownCaller,
        requiredSkills: [String: Int] = [:], priority: Int = 0, ivrData: [String: String] = [:],
        callbackNumber: String? = nil, externalID: String? = nil
    ) {
        self.tenant = tenant
        self.queue = queue
        self.channel = channel
        self.profile = profile
        self.requiredSkills = requiredSkills
        self.priority = priority
        self.ivrData = ivrData
        self.callbackNumber = callbackNumber
        self.externalID = externalID
    }

    public static let priorityRange = -100...100
}

public struct AgentProfile: Sendable, Hashable {
    public var id: AgentID
    public var name: String
    public var tenant: String
    public var team: String?
    /// Skill name to proficiency 1-10.
    public var skills: [String: Int]
    /// Nil takes the tenant's default.
    public var capacity: ChannelCapacity?

    public init(
        id: AgentID, name: String, tenant: String, team: String? = nil, skills: [String: Int],
        capacity: ChannelCapacity? = nil
    ) {
        self.id = id
        self.name = name
        self.tenant = tenant
        self.team = team
        self.skills = skills
        self.capacity = capacity
    }
}

public enum Command: Sendable {
    case addAgent(AgentProfile)
    case removeAgent(AgentID)
    case setSkills(AgentID, skills: [String: Int])
    case login(AgentID)
    /// `force` ends the agent's work as a dropped desktop would: offers go back to their queue, contacts in
    /// progress end with outcome `agentDisconnected`.
    case logout(AgentID, force: Bool)
    case ready(AgentID)
    case notReady(AgentID, reason: String)
    case submit(ContactSubmission)
    case accept(AgentID, ContactID)
    case decline(AgentID, ContactID)
    case complete(AgentID, ContactID)
    case endWrapUp(AgentID, ContactID)
    /// The customer hung up or left the chat before being connected.
    case abandon(ContactID)
    /// The IVR withdraws the contact (handled elsewhere); not counted as abandoned.
    case cancel(ContactID)
    /// The caller leaves the line and will be called back; the contact keeps its place.
    case requestCallback(ContactID, number: String)
    case replaceRules(RuleSet)
}
