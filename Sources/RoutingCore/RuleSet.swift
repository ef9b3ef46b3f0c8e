/// The routing rules the engine runs under: one `TenantRules` per tenant, each with its own skills, teams,
/// scoring and queues. Built by `RoutingRules` from YAML files, or directly in code and tests.
public struct RuleSet: Sendable {
    public var tenants: [TenantRules]

    public init(tenants: [TenantRules]) { self.tenants = tenants }
}

public struct TenantRules: Sendable {
    public var name: String
    /// Every skill an agent or a contact of this tenant may name.
    public var skills: [String]
    /// Team names; relaxation steps may widen a queue to "any agent of these teams".
    public var teams: [String]
    public var agentDefaults: AgentDefaults
    public var scoring: ScoringRules
    public var queues: [QueueRules]
    /// Width of the sliding window for service level, ASA and abandon rate, and the time constant of occupancy.
    public var statisticsWindowSeconds: Int
    /// Customer language (as the CRM spells it) to the skill that serves it. A contact whose profile has a
    /// mapped language requires that skill at `languageLevel`, unless the IVR already asked for a language skill.
    public var languageSkills: [String: String]
    public var languageLevel: Int

    public init(
        name: String, skills: [String], teams: [String] = [], agentDefaults: AgentDefaults = AgentDefaults(),
        scoring: ScoringRules = ScoringRules(), queues: [QueueRules], statisticsWindowSeconds: Int = 900,
        languageSkills: [String: String] = [:], languageLevel: Int = 5
    ) {
        self.name = name
        self.skills = skills
        self.teams = teams
        self.agentDefaults = agentDefaults
        self.scoring = scoring
        self.queues = queues
        self.statisticsWindowSeconds = statisticsWindowSeconds
        self.languageSkills = languageSkills
        self.languageLevel = languageLevel
    }
}

public struct AgentDefaults: Sendable, Hashable {
    public var capacity: ChannelCapacity
    /// A voice contact blocks every other channel, and voice is offered only to an agent with no other contact.
    public var voiceExclusive: Bool
    /// After this many offers in a row time out, the agent is made not ready with reason `no-answer`.
    public var maxMissedOffers: Int

    public init(capacity: ChannelCapacity = ChannelCapacity(), voiceExclusive: Bool = true, maxMissedOffers: Int = 3) {
        self.capacity = capacity
        self.voiceExclusive = voiceExclusive
        self.maxMissedOffers = maxMissedOffers
    }
}

/// Customer value: `priorityWeight*priority + tierBoost[tier] + lifetimeValueWeight*LTV + churnRiskBoost*churnRisk
/// + agingPerSecond*secondsWaited`, compared after the strict tier rank (`strictTiers[0]` always first).
public struct ScoringRules: Sendable, Hashable {
    public var priorityWeight: Double
    public var tierBoost: [String: Double]
    public var lifetimeValueWeight: Double
    public var churnRiskBoost: Double
    public var agingPerSecond: Double
    public var strictTiers: [String]

    public init(
        priorityWeight: Double = 10, tierBoost: [String: Double] = [:], lifetimeValueWeight: Double = 0,
        churnRiskBoost: Double = 0, agingPerSecond: Double = 1, strictTiers: [String] = []
    ) {
        self.priorityWeight = priorityWeight
        self.tierBoost = tierBoost
        self.lifetimeValueWeight = lifetimeValueWeight
        self.churnRiskBoost = churnRiskBoost
        self.agingPerSecond = agingPerSecond
        self.strictTiers = strictTiers
    }
}

/// How a queue picks among several available agents that qualify for a contact.
public enum AgentSelectionStrategy: String, CaseIterable, Sendable, Hashable {
    case longestIdle = "longest_idle"
    case leastOccupied = "least_occupied"
    case highestProficiency = "highest_proficiency"
    case fewestContacts = "fewest_contacts"
    case roundRobin = "round_robin"
    case random = "random"
}

public enum WrapUpRule: Sendable, Hashable {
    case none
    case timed(seconds: Int)
    /// Wrap-up lasts until the agent ends it.
    case manual
}

public enum OverflowTarget: Sendable, Hashable {
    case queue(String)
    /// Emit `overflowed` and let the IVR decide (voicemail, callback offer, transfer out).
    case ivr
}

/// One widening of a queue's requirement once a contact has waited `afterSeconds` in the queue, like a
/// precision-queue step or a bullseye ring. Steps only ever widen who qualifies; validation enforces it.
public struct RelaxationStep: Sendable, Hashable {
    public var afterSeconds: Int
    /// Lower every required skill's minimum to at most this level.
    public var minProficiency: Int?
    /// Stop requiring these skills.
    public var dropSkills: [String]
    /// Also accept any agent of these teams, whatever their skills.
    public var addTeams: [String]

    public init(afterSeconds: Int, minProficiency: Int? = nil, dropSkills: [String] = [], addTeams: [String] = []) {
        self.afterSeconds = afterSeconds
        self.minProficiency = minProficiency
        self.dropSkills = dropSkills
        self.addTeams = addTeams
    }
}

public struct ServiceLevelTarget: Sendable, Hashable {
    public var percent: Double
    public var seconds: Int
    public init(percent: Double, seconds: Int) {
        self.percent = percent
        self.seconds = seconds
    }
}

public struct QueueRules: Sendable {
    public var name: String
    public var channel: Channel
    /// Required skills with minimum proficiency (1-10).
    public var skills: [String: Int]
    public var relaxation: [RelaxationStep]
    public var serviceLevel: ServiceLevelTarget
    public var maxSize: Int?
    public var maxWaitSeconds: Int?
    public var overflow: OverflowTarget?
    public var hours: OpenHours?
    public var offerTimeoutSeconds: Int
    public var wrapUp: WrapUpRule
    public var strategy: AgentSelectionStrategy
    /// Multiplies customer value when an agent who serves several queues picks the next contact.
    public var weight: Double
    /// How long an agent who declined or missed a contact is not offered that contact again.
    public var declineBlockSeconds: Int
    /// How long a returning customer waits for their last agent, when that agent is logged in, before anyone may answer.
    public var preferredAgentWaitSeconds: Int
    /// Handle time (talk + wrap-up) assumed for the wait estimate until real completions are observed.
    public var expectedHandleSeconds: Int

    public init(
        name: String, channel: Channel = .voice, skills: [String: Int] = [:], relaxation: [RelaxationStep] = [],
        serviceLevel: ServiceLevelTarget = ServiceLevelTarget(percent: 80, seconds: 20), maxSize: Int? = nil,
        maxWaitSeconds: Int? = nil, overflow: OverflowTarget? = nil, hours: OpenHours? = nil,
        offerTimeoutSeconds: Int = 15, wrapUp: WrapUpRule = .none,
        strategy: AgentSelectionStrategy = .longestIdle, weight: Double = 1, declineBlockSeconds: Int = 60,
        preferredAgentWaitSeconds: Int = 0, expectedHandleSeconds: Int = 180
    ) {
        self.name = name
        self.channel = channel
        self.skills = skills
        self.relaxation = relaxation
        self.serviceLevel = serviceLevel
        self.maxSize = maxSize
        self.maxWaitSeconds = maxWaitSeconds
        self.overflow = overflow
        self.hours = hours
        self.offerTimeoutSeconds = offerTimeoutSeconds
        self.wrapUp = wrapUp
        self.strategy = strategy
        self.weight = weight
        self.declineBlockSeconds = declineBlockSeconds
        self.preferredAgentWaitSeconds = preferredAgentWaitSeconds
        self.expectedHandleSeconds = expectedHandleSeconds
    }
}
