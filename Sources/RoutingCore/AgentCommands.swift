/// Presence and work commands from agent desktops and the admin interface.
extension RoutingEngine {
    mutating func addAgent(_ profile: AgentProfile) {
        guard !profile.id.rawValue.isEmpty else { return reject(.fieldOutOfRange, "agent id is empty") }
        guard agentIndex[profile.id] == nil else { return reject(.agentAlreadyExists, "agent '\(profile.id)' already exists") }
        guard let t = tenantIndex[profile.tenant], let tenant = tenants[Int(t)].rules else {
            return reject(.unknownTenant, "unknown tenant '\(profile.tenant)'")
        }
        guard let skills = resolveAgentSkills(profile.skills, tenant: t, agent: profile.id) else { return }
        var team: Int32?
        if let teamName = profile.team {
            team = tenants[Int(t)].teamIndex[teamName]
            if team == nil, !tenant.teams.isEmpty {
                return reject(.unknownTeam, "unknown team '\(teamName)' for tenant '\(profile.tenant)'")
            }
            if team == nil {
                team = Int32(tenants[Int(t)].teamIndex.count)
                tenants[Int(t)].teamIndex[teamName] = team
            }
        }
        if let capacity = profile.capacity,
           let bad = Channel.allCases.first(where: { !(0...ChannelCapacity.maximumPerChannel).contains(capacity[$0]) }) {
            return reject(.fieldOutOfRange, "capacity for \(bad) must be 0...\(ChannelCapacity.maximumPerChannel)")
        }
        let record = AgentRecord(
            voiceExclusive: tenant.agentDefaults.voiceExclusive, tenant: t,
            capacity: ChannelSlots(profile.capacity ?? tenant.agentDefaults.capacity), id: profile.id, name: profile.name, team: team,
            skills: skills, explicitCapacity: profile.capacity)
        let slot: Int32
        if let reused = freeAgentSlots.popLast() {
            slot = reused
            let epoch = agents[Int(slot)].epoch
            agents[Int(slot)] = record
            agents[Int(slot)].epoch = epoch &+ 1
        } else {
            slot = Int32(agents.count)
            agents.append(record)
        }
        agents[Int(slot)].occupancy.lastUpdate = now
        agentIndex[profile.id] = slot
        computeMemberships(slot)
        emit(.agentAdded(profile))
    }

    private mutating func resolveAgentSkills(_ skills: [String: Int], tenant: Int32, agent: AgentID) -> [SkillLevel]? {
        var resolved: [SkillLevel] = []
        for (name, level) in skills.sorted(by: { $0.key < $1.key }) {
            guard let skill = tenants[Int(tenant)].skillIndex[name],
                  tenants[Int(tenant)].declaredSkills.contains(name) else {
                reject(.unknownSkill, "unknown skill '\(name)' for agent '\(agent)'")
                return nil
            }
            guard proficiencyRange.contains(level) else {
                reject(.fieldOutOfRange, "proficiency of '\(name)' for agent '\(agent)' must be 1...10, got \(level)")
                return nil
            }
            resolved.append(SkillLevel(skill: skill, level: UInt8(level)))
        }
        return resolved.sorted()
    }

    mutating func removeAgent(_ id: AgentID) {
        guard let slot = agentIndex[id] else { return reject(.unknownAgent, "unknown agent '\(id)'") }
        guard agents[Int(slot)].presence == .loggedOut else {
            return reject(.agentLoggedIn, "agent '\(id)' is logged in; log out first")
        }
        let state = agents[Int(slot)].state
        agentStatesByQueue.add(-1, in: state, for: agents[Int(slot)].servedQueues)
        agents[Int(slot)].servedQueues = []
        agents[Int(slot)].lanes = []
        agents[Int(slot)].isLive = false
        agents[Int(slot)].epoch &+= 1
        agentIndex[id] = nil
        freeAgentSlots.append(slot)
        emit(.agentRemoved(id))
    }

    mutating func setSkills(_ id: AgentID, skills: [String: Int]) {
        guard let slot = agentIndex[id] else { return reject(.unknownAgent, "unknown agent '\(id)'") }
        guard let resolved = resolveAgentSkills(skills, tenant: agents[Int(slot)].tenant, agent: id) else { return }
        agents[Int(slot)].skills = resolved
        computeMemberships(slot)
        emit(.skillsChanged(id, skills: skills))
        assignWork(slot)
        touch(slot)
    }

    mutating func login(_ id: AgentID) {
        guard let slot = agentIndex[id] else { return reject(.unknownAgent, "unknown agent '\(id)'") }
        guard agents[Int(slot)].presence == .loggedOut else {
            return reject(.agentAlreadyLoggedIn, "agent '\(id)' is already logged in")
        }
        agents[Int(slot)].presence = .notReady
        agents[Int(slot)].notReadyReason = "login"
        agents[Int(slot)].handledSinceLogin = 0
        agents[Int(slot)].consecutiveMisses = 0
        touch(slot)
    }

    mutating func ready(_ id: AgentID) {
        guard let slot = loggedInAgent(id) else { return }
        guard agents[Int(slot)].presence != .ready else { return }
        setPresence(slot, .ready)
        agents[Int(slot)].consecutiveMisses = 0
        agents[Int(slot)].availableSince = now
        assignWork(slot)
        touch(slot)
    }

    mutating func notReady(_ id: AgentID, reason: String) {
        guard let slot = loggedInAgent(id) else { return }
        guard !reason.isEmpty, reason.utf8.count <= 64 else {
            return reject(.fieldOutOfRange, "not-ready reason must be 1...64 bytes")
        }
        setPresence(slot, .notReady, reason: reason)
        publishAvailability(slot)
        releaseHolds(of: slot)
        touch(slot)
    }

    mutating func logout(_ id: AgentID, force: Bool) {
        guard let slot = loggedInAgent(id) else { return }
        let work = agents[Int(slot)].work
        guard work.isEmpty || force else {
            return reject(.agentHasActiveWork, "agent '\(id)' holds \(work.count) contact(s); complete them or force the logout")
        }
        setPresence(slot, .loggedOut)
        publishAvailability(slot)
        releaseHolds(of: slot)
        for contact in work {
            switch contacts[Int(contact)].phase {
            case .offered:
                releaseWork(contact, from: slot)
                placeInQueue(contact)
            case .connected(_, let since):
                endConversation(contact, agent: slot, talk: now.milliseconds(since: since), outcome: .agentDisconnected)
            case .wrapUp:
                finishWrapUp(contact, agent: slot)
            case .arriving, .queued, .held:
                assertionFailure("agent work holds a contact that is not with an agent")
            }
        }
        touch(slot)
    }

    private mutating func loggedInAgent(_ id: AgentID) -> Int32? {
        guard let slot = agentIndex[id] else {
            reject(.unknownAgent, "unknown agent '\(id)'")
            return nil
        }
        guard agents[Int(slot)].presence != .loggedOut else {
            reject(.agentNotLoggedIn, "agent '\(id)' is not logged in")
            return nil
        }
        return slot
    }

    /// Changes presence and keeps lane staffing (agents ready) in step.
    private mutating func setPresence(_ slot: Int32, _ presence: Presence, reason: String = "") {
        let a = Int(slot)
        let wasReady = agents[a].presence == .ready
        agents[a].presence = presence
        agents[a].notReadyReason = reason
        let isReady = presence == .ready
        guard wasReady != isReady else { return }
        for membership in agents[a].lanes { lanes[Int(membership.lane)].staffed += isReady ? 1 : -1 }
    }

    // MARK: Work on a contact

    mutating func accept(_ agentID: AgentID, _ id: ContactID) {
        guard let (agent, slot) = agentAndContact(agentID, id) else { return }
        guard case .offered(let offeredTo, _) = contacts[Int(slot)].phase, offeredTo == agent else {
            return reject(.contactNotOfferedToAgent, "contact \(id) is not offered to agent '\(agentID)'")
        }
        setPhase(slot, .connected(agent: agent, at: now))
        givePlaceUp(slot)
        agents[Int(agent)].consecutiveMisses = 0
        let contact = contacts[Int(slot)]
        let q = Int(contact.queue)
        queues[q].runtime.answered += 1
        recordServiceLevel(queue: q, enteredAt: contact.enteredQueueAt, answered: true)
        cleanLongestWaiting(queue: q)
        emit(.accepted(id, agent: agentID))
        emit(.connected(id, agent: agentID, queue: queues[q].name, waitMilliseconds: now.milliseconds(since: contact.arrivedAt)))
        touch(agent)
    }

    mutating func decline(_ agentID: AgentID, _ id: ContactID) {
        guard let (agent, slot) = agentAndContact(agentID, id) else { return }
        guard case .offered(let offeredTo, _) = contacts[Int(slot)].phase, offeredTo == agent else {
            return reject(.contactNotOfferedToAgent, "contact \(id) is not offered to agent '\(agentID)'")
        }
        emit(.declined(id, agent: agentID))
        returnOffer(slot, from: agent)
    }

    mutating func offerTimedOut(_ slot: Int32, agent: Int32) {
        let a = Int(agent)
        emit(.offerTimedOut(contacts[Int(slot)].id, agent: agents[a].id))
        agents[a].consecutiveMisses += 1
        let limit = tenants[Int(agents[a].tenant)].maxMissedOffers
        if agents[a].consecutiveMisses >= limit {
            setPresence(agent, .notReady, reason: "no-answer")
            releaseHolds(of: agent)
        }
        returnOffer(slot, from: agent)
    }

    /// A declined or missed offer: the contact goes back to its place, and this agent is kept away from it
    /// for the queue's decline block.
    private mutating func returnOffer(_ slot: Int32, from agent: Int32) {
        releaseWork(slot, from: agent)
        let block = queues[Int(contacts[Int(slot)].queue)].settings.declineBlockSeconds
        if block > 0 {
            let until = now.adding(seconds: block)
            contactDetails[Int(slot)].blocks.removeAll { $0.until <= now || $0.agent == agent }
            contactDetails[Int(slot)].blocks.append(DeclineBlock(agent: agent, until: until))
            contacts[Int(slot)].hasBlocks = true
            schedule(.blockExpiry, at: until, slot: slot)
        }
        placeInQueue(slot)
        assignWork(agent)
    }

    mutating func complete(_ agentID: AgentID, _ id: ContactID) {
        guard let (agent, slot) = agentAndContact(agentID, id) else { return }
        guard case .connected(let connectedTo, let since) = contacts[Int(slot)].phase, connectedTo == agent else {
            return reject(.contactNotConnectedToAgent, "contact \(id) is not connected to agent '\(agentID)'")
        }
        let talk = now.milliseconds(since: since)
        switch queues[Int(contacts[Int(slot)].queue)].settings.wrapUp {
        case .none:
            endConversation(slot, agent: agent, talk: talk, outcome: .completed)
        case .timed(let seconds):
            recordConversation(slot, agent: agent, talk: talk, outcome: .completed)
            contactDetails[Int(slot)].talkMilliseconds = talk
            setPhase(slot, .wrapUp(agent: agent, at: now))
            schedule(.wrapUpEnd, at: now.adding(seconds: seconds), slot: slot)
        case .manual:
            recordConversation(slot, agent: agent, talk: talk, outcome: .completed)
            contactDetails[Int(slot)].talkMilliseconds = talk
            setPhase(slot, .wrapUp(agent: agent, at: now))
        }
        touch(agent)
    }

    mutating func endWrapUp(_ agentID: AgentID, _ id: ContactID) {
        guard let (agent, slot) = agentAndContact(agentID, id) else { return }
        guard case .wrapUp(let owner, _) = contacts[Int(slot)].phase, owner == agent else {
            return reject(.contactNotInWrapUp, "contact \(id) is not in wrap-up with agent '\(agentID)'")
        }
        finishWrapUp(slot, agent: agent)
    }

    private mutating func recordConversation(_ slot: Int32, agent: Int32, talk: Int64, outcome: ContactOutcome) {
        let a = Int(agent)
        agents[a].talkMilliseconds += talk
        agents[a].handledSinceLogin += 1
        agents[a].handledTotal += 1
        emit(.completed(contacts[Int(slot)].id, agent: agents[a].id, talkMilliseconds: talk, outcome: outcome))
    }

    /// Ends the conversation with no wrap-up: a wrap-up of 0 ms ends at once, so that every answered contact's
    /// events close with `wrapUpEnded`, whatever its queue's rule (a consumer that waited for it, such as the CRM
    /// store releasing the call card it holds, never would otherwise).
    private mutating func endConversation(_ slot: Int32, agent: Int32, talk: Int64, outcome: ContactOutcome) {
        recordConversation(slot, agent: agent, talk: talk, outcome: outcome)
        emit(.wrapUpEnded(contacts[Int(slot)].id, agent: agents[Int(agent)].id, wrapUpMilliseconds: 0))
        finish(slot, agent: agent, handleMilliseconds: talk)
    }

    mutating func finishWrapUp(_ slot: Int32, agent: Int32) {
        guard case .wrapUp(_, let since) = contacts[Int(slot)].phase else { return }
        let wrap = now.milliseconds(since: since)
        emit(.wrapUpEnded(contacts[Int(slot)].id, agent: agents[Int(agent)].id, wrapUpMilliseconds: wrap))
        finish(slot, agent: agent, handleMilliseconds: contactDetails[Int(slot)].talkMilliseconds + wrap)
    }

    private mutating func finish(_ slot: Int32, agent: Int32, handleMilliseconds: Int64) {
        let q = Int(contacts[Int(slot)].queue)
        queues[q].runtime.completed += 1
        queues[q].runtime.observeHandleTime(handleMilliseconds)
        accounting.completed += 1
        releaseWork(slot, from: agent)
        retire(slot)
        assignWork(agent)
    }

    private mutating func agentAndContact(_ agentID: AgentID, _ id: ContactID) -> (Int32, Int32)? {
        // A desktop names the contact it holds: the contact's own agent, its id compared byte for byte as the agent
        // table compares keys, spares hashing the id and a probe of that table. Anything else takes the lookups
        // that explain a refusal.
        if let slot = contactSlot[id], let holder = contacts[Int(slot)].phase.agent,
           agents[Int(holder)].isLive, agents[Int(holder)].id.rawValue.hasSameUTF8(as: agentID.rawValue) {
            return (holder, slot)
        }
        guard let agent = agentIndex[agentID] else {
            reject(.unknownAgent, "unknown agent '\(agentID)'")
            return nil
        }
        guard let slot = contactSlot[id] else {
            reject(.unknownContact, "unknown contact \(id)")
            return nil
        }
        return (agent, slot)
    }
}
