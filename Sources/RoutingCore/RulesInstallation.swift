import HeapModule

/// A queue's requirement at one relaxation step: meet every skill minimum, or belong to one of the teams.
struct StepRequirement: Hashable {
    var skills: [SkillLevel]
    var teams: [Int32]
}

struct CompiledQueue {
    var rules: QueueRules
    /// Queue slot of the overflow target; nil overflows to the IVR.
    var overflow: Int32?
    var hoursOffset: (seconds: Int, validUntil: Instant)?
}

extension RoutingEngine {
    mutating func replaceRules(_ rules: RuleSet) {
        do throws(RulesRejected) {
            try install(rules)
            emit(.rulesReplaced(tenants: rules.tenants.map(\.name)))
        } catch {
            reject(error.code, error.description)
        }
    }

    /// Validates, then swaps in `rules`. Queued contacts keep their place and their time in queue; agents keep
    /// their state; statistics carry over for queues that remain. Lanes and availability are rebuilt.
    mutating func install(_ rules: RuleSet) throws(RulesRejected) {
        let problems = rules.problems()
        guard problems.isEmpty else {
            throw RulesRejected(code: .invalidRules, problems: problems.map(\.description))
        }
        let orphans = orphanedState(under: rules)
        guard orphans.isEmpty else { throw RulesRejected(code: .rulesOrphanState, problems: orphans) }

        for t in tenants.indices {
            tenants[t].rules = nil
            tenants[t].isActive = false
        }
        for q in queues.indices {
            queues[q].compiled = nil
            queues[q].settings = QueueSettings()
        }
        for tenantRules in rules.tenants {
            let t = internTenant(tenantRules.name)
            for skill in tenantRules.skills where tenants[Int(t)].skillIndex[skill] == nil {
                tenants[Int(t)].skillIndex[skill] = internedSkillCount
                internedSkillCount += 1
            }
            for team in tenantRules.teams where tenants[Int(t)].teamIndex[team] == nil {
                tenants[Int(t)].teamIndex[team] = Int32(tenants[Int(t)].teamIndex.count)
            }
            tenants[Int(t)].rules = tenantRules
            tenants[Int(t)].isActive = true
            tenants[Int(t)].declaredSkills = Set(tenantRules.skills)
            tenants[Int(t)].scoring = tenantRules.scoring
            tenants[Int(t)].tiers = Self.tierWeights(tenantRules.scoring)
            var languageRequirement = CheapHashTable<String, SkillLevel>()
            for (language, skill) in tenantRules.languageSkills {
                if let index = tenants[Int(t)].skillIndex[skill] {
                    languageRequirement[language] = SkillLevel(skill: index, level: UInt8(tenantRules.languageLevel))
                }
            }
            tenants[Int(t)].languageRequirement = languageRequirement
            tenants[Int(t)].languageSkills = Array(Set(languageRequirement.values.map(\.skill))).sorted()
            tenants[Int(t)].statisticsWindowSeconds = tenantRules.statisticsWindowSeconds
            tenants[Int(t)].maxMissedOffers = tenantRules.agentDefaults.maxMissedOffers
            for queueRules in tenantRules.queues {
                let q = internQueue(tenant: t, name: queueRules.name, expectedHandleSeconds: queueRules.expectedHandleSeconds)
                let (compiled, steps) = compile(queueRules, tenant: t)
                queues[Int(q)].compiled = compiled
                queues[Int(q)].settings = QueueSettings(queueRules, steps: steps)
            }
            for queueRules in tenantRules.queues {
                guard case .queue(let target)? = queueRules.overflow else { continue }
                let q = Int(queueIndex[QueueName(tenant: t, name: queueRules.name)]!)
                queues[q].compiled!.overflow = queueIndex[QueueName(tenant: t, name: target)]
            }
        }
        rebuildLanesAndAvailability()
    }

    private func orphanedState(under rules: RuleSet) -> [String] {
        var channels: [String: [String: Channel]] = [:]
        for tenant in rules.tenants {
            channels[tenant.name] = Dictionary(tenant.queues.map { ($0.name, $0.channel) }, uniquingKeysWith: { a, _ in a })
        }
        var orphans: [String] = []
        for (slot, contact) in contacts.live.sorted(by: { $0.record.id < $1.record.id }) {
            let queue = queues[Int(contact.queue)]
            let tenant = tenants[Int(queue.tenant)].name
            if channels[tenant]?[queue.name] != contactDetails[slot].channel {
                orphans.append("contact \(contact.id) is in queue '\(tenant)/\(queue.name)', which the new rules drop or change channel")
            }
        }
        for agent in agents where agent.isLive && channels[tenants[Int(agent.tenant)].name] == nil {
            orphans.append("agent '\(agent.id)' belongs to tenant '\(tenants[Int(agent.tenant)].name)', which the new rules drop")
        }
        return orphans
    }

    private mutating func internTenant(_ name: String) -> Int32 {
        if let existing = tenantIndex[name] { return existing }
        let index = Int32(tenants.count)
        tenants.append(TenantSlot(name: name))
        tenantIndex[name] = index
        return index
    }

    private mutating func internQueue(tenant: Int32, name: String, expectedHandleSeconds: Int) -> Int32 {
        let key = QueueName(tenant: tenant, name: name)
        if let existing = queueIndex[key] { return existing }
        let index = Int32(queues.count)
        queues.append(QueueSlot(tenant: tenant, name: name, runtime: QueueRuntime(expectedHandleSeconds: expectedHandleSeconds)))
        agentStatesByQueue.appendQueue()
        queueIndex[key] = index
        return index
    }

    /// The queue's compiled form and its requirement at each relaxation step.
    private func compile(_ rules: QueueRules, tenant: Int32) -> (CompiledQueue, [StepRequirement]) {
        let slot = tenants[Int(tenant)]
        var skills = rules.skills
        var teams: [Int32] = []
        var steps = [StepRequirement(skills: resolve(skills, in: slot), teams: [])]
        for step in rules.relaxation {
            if let cap = step.minProficiency { skills = skills.mapValues { min($0, cap) } }
            for dropped in step.dropSkills { skills[dropped] = nil }
            teams = Array(Set(teams + step.addTeams.compactMap { slot.teamIndex[$0] })).sorted()
            steps.append(StepRequirement(skills: resolve(skills, in: slot), teams: teams))
        }
        return (CompiledQueue(rules: rules, overflow: nil), steps)
    }

    func resolve(_ skills: [String: Int], in tenant: TenantSlot) -> [SkillLevel] {
        skills.compactMap { name, level in tenant.skillIndex[name].map { SkillLevel(skill: $0, level: UInt8(level)) } }.sorted()
    }

    /// Rebuilds every lane from the compiled rules and re-enters contacts and agents. Waiting contacts keep
    /// their places (in the order they entered their queues) and queued ones their keys; the new rules' steps
    /// apply at once, and an overflow they make due fires on the next timer pass.
    private mutating func rebuildLanesAndAvailability() {
        lanes = LineAlignedArray()
        laneIndex = [:]
        laneGeneration &+= 1
        for a in agents.indices {
            agents[a].lanes = []
            agents[a].servedQueues = []
        }
        agentStatesByQueue.removeAllCounts()
        for q in queues.indices {
            if queues[q].compiled != nil { queues[q].settings.baseLane = createLane(queue: Int32(q), extras: []) }
        }
        for s in contacts.indices {
            guard var contact = contacts.live(s) else { continue }
            let details = contactDetails[s]
            contact.order = queuedKey(
                for: details.scoring, id: contact.id, slot: Int32(s), arrivedAt: contact.arrivedAt,
                tenant: queues[Int(contact.queue)].tenant).order
            contact.lane = lane(queue: contact.queue, extras: details.extras)
            contact.entry = -1
            contacts[s] = contact
        }
        for a in agents.indices where agents[a].isLive {
            if agents[a].explicitCapacity == nil {
                agents[a].capacity = ChannelSlots(tenants[Int(agents[a].tenant)].rules!.agentDefaults.capacity)
            }
            agents[a].voiceExclusive = tenants[Int(agents[a].tenant)].rules!.agentDefaults.voiceExclusive
            computeMemberships(Int32(a))
        }
        let waiting = contacts.live.filter { $0.record.phase.holdsPlace }.map(\.slot)
        for s in waiting.sorted(by: { (contacts[$0].enteredQueueAt, contacts[$0].id) < (contacts[$1].enteredQueueAt, contacts[$1].id) }) {
            takePlace(Int32(s))
            if case .queued = contacts[s].phase { insertIntoLane(Int32(s)) }
        }
        for a in agents.indices where agents[a].isLive {
            assignWork(Int32(a))
            touch(Int32(a))
        }
    }

    /// The lane for a queue and extra requirements, created on first use.
    mutating func lane(queue: Int32, extras: [SkillLevel]) -> Int32 {
        if extras.isEmpty, queues[Int(queue)].settings.baseLane >= 0 { return queues[Int(queue)].settings.baseLane }
        if let existing = laneIndex[LaneKey(queue: queue, extras: extras)] { return existing }
        let created = createLane(queue: queue, extras: extras)
        for a in agents.indices where agents[a].isLive && agents[a].tenant == lanes[Int(created)].tenant {
            guard let membership = membership(of: Int32(a), in: created) else { continue }
            agents[a].lanes.append(membership)
            if agents[a].presence == .ready { lanes[Int(created)].staffed += 1 }
            publishAvailability(Int32(a))
        }
        return created
    }

    private mutating func createLane(queue: Int32, extras: [SkillLevel]) -> Int32 {
        let rules = queues[Int(queue)].compiled!.rules
        let tenant = queues[Int(queue)].tenant
        let index = Int32(lanes.count)
        lanes.append(Lane(
            queue: queue, tenant: tenant, extras: extras, channel: rules.channel,
            strategy: rules.strategy, weight: rules.weight,
            agingPerSecond: tenants[Int(tenant)].scoring.agingPerSecond,
            stepStarts: queues[Int(queue)].settings.stepStarts))
        laneIndex[LaneKey(queue: queue, extras: extras)] = index
        return index
    }

    /// The first step at which the agent qualifies for the lane, if any.
    func membership(of agent: Int32, in lane: Int32) -> LaneMembership? {
        let a = Int(agent)
        let l = Int(lane)
        guard agents[a].tenant == lanes[l].tenant, agents[a].skills.meets(lanes[l].extras) else { return nil }
        let q = Int(lanes[l].queue)
        let team = agents[a].team
        for s in queues[q].settings.steps.indices {
            let qualifies = agents[a].skills.meets(queues[q].settings.steps[s].skills)
                || (team.map { queues[q].settings.steps[s].teams.contains($0) } ?? false)
            guard qualifies else { continue }
            let proficiency = agents[a].skills.proficiency(in: queues[q].settings.steps[0].skills)
                + agents[a].skills.proficiency(in: lanes[l].extras)
            return LaneMembership(lane: lane, minStep: UInt8(s), proficiency: UInt16(proficiency))
        }
        return nil
    }

    /// Recomputes the lanes and queues an agent serves (skills or rules changed), with staffing and state counts.
    mutating func computeMemberships(_ agent: Int32) {
        let a = Int(agent)
        let isStaffed = agents[a].presence == .ready
        for old in agents[a].lanes where isStaffed {
            lanes[Int(old.lane)].staffed -= 1
        }
        agents[a].lanes = []
        for l in lanes.indices {
            guard let membership = membership(of: agent, in: Int32(l)) else { continue }
            agents[a].lanes.append(membership)
            if isStaffed { lanes[l].staffed += 1 }
        }
        setServedQueues(agent)
    }

    mutating func setServedQueues(_ agent: Int32) {
        let a = Int(agent)
        let state = agents[a].state
        agentStatesByQueue.add(-1, in: state, for: agents[a].servedQueues)
        agents[a].servedQueues = agents[a].lanes.compactMap { membership in
            let queue = lanes[Int(membership.lane)].queue
            return queues[Int(queue)].settings.baseLane == membership.lane ? queue : nil
        }
        agentStatesByQueue.add(1, in: state, for: agents[a].servedQueues)
    }

    func queuedKey(for inputs: ScoringInputs, id: ContactID, slot: Int32, arrivedAt: Instant, tenant: Int32) -> QueuedKey {
        let t = Int(tenant)
        var value = tenants[t].scoring.priorityWeight * Double(inputs.priority)
            + tenants[t].scoring.lifetimeValueWeight * inputs.lifetimeValue
            + tenants[t].scoring.churnRiskBoost * inputs.churnRisk
        var strictRank: Int32 = 0
        if let tier = inputs.tier, let weight = tenants[t].tiers[tier] {
            value += weight.boost
            strictRank = weight.strictRank
        }
        return QueuedKey(
            score: value - tenants[t].scoring.agingPerSecond * arrivedAt.seconds, id: id.rawValue, strictRank: strictRank, slot: slot)
    }

    /// Every tier the scoring names, with its boost (0 if none) and strict rank (0 if not strict; the first strict
    /// tier listed ranks highest).
    static func tierWeights(_ scoring: ScoringRules) -> CheapHashTable<String, TierWeight> {
        var weights = CheapHashTable<String, TierWeight>()
        for (tier, boost) in scoring.tierBoost { weights[tier] = TierWeight(boost: boost, strictRank: 0) }
        for (offset, tier) in scoring.strictTiers.enumerated() {
            let rank = Int32(scoring.strictTiers.count - offset)
            weights[tier] = TierWeight(boost: scoring.tierBoost[tier] ?? 0, strictRank: rank)
        }
        return weights
    }
}
