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

/// What the IVR submits. A value like any other, but its fields live in one shared box: the engine keeps the
/// submission with the contact and hands it out again in the `received` event, and copying and destroying its
/// nine fields (strings, two dictionaries, a profile) at each of those was a tenth of a routing cycle's
/// instructions (callgrind, bench/README.md). Changing a field replaces the box; other copies are untouched.
public struct ContactSubmission: Sendable, Hashable {
    // The getters are inlinable, so that a reader in another module (the CRM store's writer, at every contact)
    // takes one field out of the box, not a call and a copy of the whole profile for each.
    @usableFromInline
    struct Fields: Sendable, Hashable {
        @usableFromInline var tenant: String
        @usableFromInline var queue: String
        @usableFromInline var channel: Channel
        @usableFromInline var profile: CustomerProfile
        @usableFromInline var requiredSkills: [String: Int]
        @usableFromInline var priority: Int
        @usableFromInline var ivrData: [String: String]
        @usableFromInline var callbackNumber: String?
        @usableFromInline var externalID: String?
    }

    @usableFromInline
    final class Box: Sendable {
        @usableFromInline let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    @usableFromInline var box: Box

    public init(
        tenant: String, queue: String, channel: Channel, profile: CustomerProfile = .unknownCaller,
        requiredSkills: [String: Int] = [:], priority: Int = 0, ivrData: [String: String] = [:],
        callbackNumber: String? = nil, externalID: String? = nil
    ) {
        box = Box(Fields(
            tenant: tenant, queue: queue, channel: channel, profile: profile, requiredSkills: requiredSkills,
            priority: priority, ivrData: ivrData, callbackNumber: callbackNumber, externalID: externalID))
    }

    private mutating func change(_ edit: (inout Fields) -> Void) {
        var fields = box.fields
        edit(&fields)
        box = Box(fields)
    }

    public var tenant: String {
        @inlinable get { box.fields.tenant }
        set { change { $0.tenant = newValue } }
    }
    public var queue: String {
        @inlinable get { box.fields.queue }
        set { change { $0.queue = newValue } }
    }
    public var channel: Channel {
        @inlinable get { box.fields.channel }
        set { change { $0.channel = newValue } }
    }
    public var profile: CustomerProfile {
        @inlinable get { box.fields.profile }
        set { change { $0.profile = newValue } }
    }
    /// Skills this contact needs beyond the queue's (e.g. a language picked in the IVR); never relaxed.
    public var requiredSkills: [String: Int] {
        @inlinable get { box.fields.requiredSkills }
        set { change { $0.requiredSkills = newValue } }
    }
    public var priority: Int {
        @inlinable get { box.fields.priority }
        set { change { $0.priority = newValue } }
    }
    public var ivrData: [String: String] {
        @inlinable get { box.fields.ivrData }
        set { change { $0.ivrData = newValue } }
    }
    public var callbackNumber: String? {
        @inlinable get { box.fields.callbackNumber }
        set { change { $0.callbackNumber = newValue } }
    }
    /// The telephony side's own id for the contact (call id, chat session); carried to the call card.
    public var externalID: String? {
        @inlinable get { box.fields.externalID }
        set { change { $0.externalID = newValue } }
    }

    public static func == (lhs: ContactSubmission, rhs: ContactSubmission) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(box.fields) }

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
