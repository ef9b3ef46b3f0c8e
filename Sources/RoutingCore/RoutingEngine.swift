/// The routing core: agent presence, the skills matrix and the contact queues, and every routing decision.
///
/// A value type with no I/O, no clock and no global state. Feed it commands with the time they happened;
/// it returns the events they caused. `advance(to:)` fires timers (offer timeouts, wrap-up, relaxation, overflow).
/// The same rules, seed and commands at the same times produce the same events, so a journal of commands
/// replays a crashed daemon exactly and the simulator runs the very same logic.
public struct RoutingEngine: Sendable {
    // Rules, interned so that indices held by agents and contacts survive a rule swap.
    var tenants: [TenantSlot] = []
    var tenantIndex = CheapHashTable<String, Int32>()
    var queues = LineAlignedArray<QueueSlot>()
    var queueIndex = CheapHashTable<QueueName, Int32>()
    var agentStatesByQueue = AgentStatesByQueue()
    var internedSkillCount: Int32 = 0

    var lanes = LineAlignedArray<Lane>()
    var laneIndex: [LaneKey: Int32] = [:]
    /// Bumped when the lanes are rebuilt, so that their timers from before are ignored.
    var laneGeneration: UInt32 = 0

    var agents = LineAlignedArray<AgentRecord>()
    var agentIndex = CheapHashTable<AgentID, Int32>()
    var freeAgentSlots: [Int32] = []

    var contacts = ContactRecords()
    var contactDetails: [ContactDetails] = []
    var contactSlot = ContactIndex<Int32>()
    var freeContactSlots: [Int32] = []
    var slotGenerations: [UInt32] = []

    var timers = TimerQueue()
    var timerSequence: UInt64 = 0
    var random: SplitMix64
    var nextContactNumber: UInt64 = 1
    var nextSequence: UInt64 = 1
    var offerCounter: UInt64 = 0
    public internal(set) var now: Instant
    public internal(set) var accounting = ContactAccounting()

    var output: [Event] = []
    /// Agents whose derived state may have changed in this command or timer: `touchedAgents[..<touchedCount]`.
    /// Counted apart so that clearing it is one store, not `removeAll(keepingCapacity:)`'s range replacement.
    var touchedAgents: [Int32] = []
    var touchedCount = 0

    /// Creates an engine running `rules`; throws the rule problems the core itself detects.
    public init(rules: RuleSet, seed: UInt64 = 0, startingAt start: Instant = .epoch) throws(RulesRejected) {
        random = SplitMix64(seed: seed)
        now = start
        try install(rules)
        output.removeAll()
        noteNextTimer()
    }

    /// Applies `command` at `now` (after firing every timer due by then) and returns the events, in order.
    public mutating func handle(_ command: consuming Command, now time: Instant) -> [Event] {
        var events: [Event] = []
        handle(consume command, now: time, into: &events)
        return events
    }

    /// As `handle(_:now:)`, appending to a buffer the caller reuses (the daemon's hot path).
    public mutating func handle(_ command: consuming Command, now time: Instant, into events: inout [Event]) {
        swap(&output, &events)
        defer { swap(&output, &events) }
        makeRecordsUnique()
        fireTimers(through: time)
        apply(consume command)
        flushAgentStates()
        noteNextTimer()
    }

    /// Fires every timer due at or before `time`, each at its own instant, and returns the events.
    public mutating func advance(to time: Instant) -> [Event] {
        var events: [Event] = []
        advance(to: time, into: &events)
        return events
    }

    public mutating func advance(to time: Instant, into events: inout [Event]) {
        swap(&output, &events)
        defer { swap(&output, &events) }
        makeRecordsUnique()
        fireTimers(through: time)
        noteNextTimer()
    }

    /// The record arrays check that they are not shared once per command, not at every write (`LineAlignedArray`):
    /// an engine copied before this command gets its own records here.
    private mutating func makeRecordsUnique() {
        agents.makeUnique()
        contacts.makeUnique()
        queues.makeUnique()
        lanes.makeUnique()
    }

    /// When the next timer is due, so a driver can sleep until then. Stored, and kept after every command and
    /// timer: a driver holding the engine in a class reads it once per turn of its loop, and a computed property
    /// there made Swift copy the whole engine (every array retained and released) to read it.
    public private(set) var nextTimerDue: Instant?

    private mutating func noteNextTimer() {
        nextTimerDue = timers.nextDue.map { Instant(milliseconds: $0) }
    }

    private mutating func apply(_ command: consuming Command) {
        switch consume command {
        case .addAgent(let profile): addAgent(profile)
        case .removeAgent(let id): removeAgent(id)
        case .setSkills(let id, let skills): setSkills(id, skills: skills)
        case .login(let id): login(id)
        case .logout(let id, let force): logout(id, force: force)
        case .ready(let id): ready(id)
        case .notReady(let id, let reason): notReady(id, reason: reason)
        case .submit(let submission): submit(submission)
        case .accept(let agent, let contact): accept(agent, contact)
        case .decline(let agent, let contact): decline(agent, contact)
        case .complete(let agent, let contact): complete(agent, contact)
        case .endWrapUp(let agent, let contact): endWrapUp(agent, contact)
        case .abandon(let contact): withdraw(contact, outcome: .abandoned)
        case .cancel(let contact): withdraw(contact, outcome: .cancelled)
        case .requestCallback(let contact, let number): requestCallback(contact, number: number)
        case .replaceRules(let rules): replaceRules(rules)
        }
    }

    // MARK: Events

    mutating func emit(_ kind: consuming EventKind) {
        output.append(Event(sequence: nextSequence, at: now, kind: kind))
        nextSequence += 1
    }

    mutating func reject(_ code: RejectionCode, _ message: String) {
        emit(.commandRejected(code, message: message))
    }

    /// The sequence number the next event will carry.
    public var nextEventSequence: UInt64 { nextSequence }

    // MARK: Timers

    mutating func schedule(_ kind: TimerKind, at due: Instant, slot: Int32) {
        timerSequence += 1
        timers.insert(TimerEntry(
            due: due.milliseconds, sequence: timerSequence, kind: kind, slot: slot,
            generation: slotGenerations[Int(slot)], epoch: contacts[Int(slot)].timerEpoch),
            delay: due.milliseconds - now.milliseconds)
    }

    private mutating func fireTimers(through time: Instant) {
        while let due = timers.nextDue, due <= time.milliseconds {
            let next = timers.removeMin()!
            if next.due > now.milliseconds { now = Instant(milliseconds: next.due) }
            fire(next)
            flushAgentStates()
        }
        if time > now { now = time }
    }

    private mutating func fire(_ timer: TimerEntry) {
        if timer.kind == .ringStep {
            if timer.generation == laneGeneration { fireRingStep(lane: Int(timer.slot), ring: Int(timer.epoch), due: timer.due) }
            return
        }
        let slot = Int(timer.slot)
        // Retiring a contact bumps its slot's generation, so a matching generation means the contact is live.
        guard slotGenerations[slot] == timer.generation else { return }
        let phase = contacts[slot].phase
        if timer.kind == .blockExpiry {
            if case .queued = phase { routeContact(timer.slot) }
            return
        }
        guard contacts[slot].timerEpoch == timer.epoch else { return }
        switch (timer.kind, phase) {
        case (.maxWait, .queued):
            removeFromLane(timer.slot)
            placeInQueue(timer.slot)
        case (.holdExpiry, .held(let agent)):
            releaseHold(timer.slot, from: agent)
            placeInQueue(timer.slot)
        case (.offerTimeout, .offered(let agent, _)):
            offerTimedOut(timer.slot, agent: agent)
        case (.wrapUpEnd, .wrapUp(let agent, _)):
            finishWrapUp(timer.slot, agent: agent)
        default:
            break
        }
    }

    // MARK: Agent state

    mutating func touch(_ agent: Int32) {
        if touchedCount < touchedAgents.count {
            touchedAgents[touchedCount] = agent
        } else {
            touchedAgents.append(agent)
        }
        touchedCount += 1
    }

    /// Publishes each touched agent's derived state once per command or timer, after all its steps.
    mutating func flushAgentStates() {
        guard touchedCount > 0 else { return }
        // A command touches a handful of agents: a linear duplicate check beats hashing.
        for i in 0..<touchedCount where !touchedAgents[..<i].contains(touchedAgents[i]) {
            updateDerivedState(touchedAgents[i])
        }
        touchedCount = 0
    }

    mutating func updateDerivedState(_ slot: Int32) {
        let i = Int(slot)
        guard agents[i].isLive else { return }
        let state = derivedState(ofAgent: i)
        let previous = agents[i].state
        // Only not-ready carries a reason; for the other states the strings are not touched at all.
        let reason = state == .notReady ? agents[i].notReadyReason : nil
        guard state != previous || (state == .notReady && reason != agents[i].stateReason) else { return }
        let window = tenants[Int(agents[i].tenant)].statisticsWindowSeconds
        agents[i].occupancy.record(state: previous, until: now, windowSeconds: window)
        agents[i].state = state
        agents[i].stateReason = reason
        if state == .ready, previous != .ready { agents[i].idleSince = now }
        agentStatesByQueue.move(agents[i].servedQueues, from: previous, to: state)
        emit(.agentStateChanged(agents[i].id, state: state, reason: reason))
    }

    /// `mutating` only so that `updateDerivedState` can call it without copying the engine (see `freeCapacity`).
    /// The state alone: the reason, for not-ready, is `notReadyReason`.
    mutating func derivedState(ofAgent a: Int) -> AgentState {
        switch agents[a].presence {
        case .loggedOut: return .loggedOut
        case .notReady where agents[a].work.isEmpty: return .notReady
        case .ready where agents[a].work.isEmpty: return .ready
        default: break
        }
        var state = AgentState.wrapUp
        for k in agents[a].work.indices {
            switch contacts[Int(agents[a].work[k])].phaseKind {
            case .offered: return .reserved
            case .connected: state = .busy
            default: break
            }
        }
        return state
    }
}

struct QueueName: Hashable, CheapHashable {
    var tenant: Int32
    var name: String

    var cheapHash: UInt64 { name.cheapHash ^ (UInt64(UInt32(bitPattern: tenant)) &* 0x9E37_79B9_7F4A_7C15) }
    func isSameKey(as other: QueueName) -> Bool { tenant == other.tenant && name.isSameKey(as: other.name) }
}

struct TenantSlot {
    var name: String
    /// The tenant's rules while they are in force; nil for a tenant a rule swap dropped.
    var rules: TenantRules?
    // Copied out of `rules` so that hot paths read them without copying the rules.
    var isActive = false
    var statisticsWindowSeconds = 900
    var maxMissedOffers = 3
    var declaredSkills: Set<String> = []
    var scoring = ScoringRules()
    /// Tier name to what it adds to a submission's score and its strict rank. A table of ours, not a `Dictionary`:
    /// a submission with a tier would otherwise be the cycle's only user of SipHash, whose code (about 1.4 KiB)
    /// then competes for the instruction cache (bench/README.md).
    var tiers = CheapHashTable<String, TierWeight>()
    /// Customer language to the requirement it adds, and every language skill (to see if the IVR chose one).
    var languageRequirement = CheapHashTable<String, SkillLevel>()
    var languageSkills: [Int32] = []
    var skillIndex: [String: Int32] = [:]
    var teamIndex: [String: Int32] = [:]
}

/// A tier's part in a submission's score: a boost, and a rank above zero for a strict tier (higher served first).
struct TierWeight {
    var boost: Double
    var strictRank: Int32
}

struct QueueSlot {
    var tenant: Int32
    var name: String
    var compiled: CompiledQueue?
    /// The rules the hot paths read, as plain values; `settings.isActive` mirrors `compiled != nil`.
    var settings = QueueSettings()
    var runtime: QueueRuntime
}

struct QueueSettings {
    var isActive = false
    var channel = Channel.voice
    var maxSize: Int?
    var maxWaitSeconds: Int?
    var offerTimeoutSeconds = 15
    var wrapUp = WrapUpRule.none
    var declineBlockSeconds = 0
    var preferredAgentWaitSeconds = 0
    var serviceLevelSeconds = 20
    var hasHours = false
    /// Milliseconds in queue at which each relaxation step starts; `stepStarts[0] == 0`.
    var stepStarts: [Int64] = [0]
    /// Who qualifies at each step; `steps[0]` is the base requirement.
    var steps: [StepRequirement] = []
    var baseLane: Int32 = -1

    init() {}

    init(_ rules: QueueRules, steps: [StepRequirement]) {
        self.steps = steps
        isActive = true
        channel = rules.channel
        maxSize = rules.maxSize
        maxWaitSeconds = rules.maxWaitSeconds
        offerTimeoutSeconds = rules.offerTimeoutSeconds
        wrapUp = rules.wrapUp
        declineBlockSeconds = rules.declineBlockSeconds
        preferredAgentWaitSeconds = rules.preferredAgentWaitSeconds
        serviceLevelSeconds = rules.serviceLevel.seconds
        hasHours = rules.hours != nil
        stepStarts = [0] + rules.relaxation.map { Int64($0.afterSeconds) * 1000 }
    }
}
