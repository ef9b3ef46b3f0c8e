/// Whole-state consistency checks, run by the tests after every step. O(agents x lanes + contacts): not for
/// the hot path.
extension RoutingEngine {
    public func invariantViolations() -> [String] {
        // The checks share the engine's `mutating` read-only helpers (see Matching.swift), so they run on a copy.
        var engine = self
        return engine.violations()
    }

    private mutating func violations() -> [String] {
        var problems: [String] = []
        problems += contactViolations()
        problems += agentViolations()
        problems += matchingViolations()
        if !accounting.isBalanced { problems.append("accounting does not balance: \(accounting)") }
        if accounting.live != contactSlot.count { problems.append("live count \(accounting.live) != \(contactSlot.count) contacts") }
        return problems
    }

    private mutating func contactViolations() -> [String] {
        var problems: [String] = []
        var queuedInLanes = 0
        for (l, lane) in lanes.enumerated() {
            for (step, waiting) in lane.waiting.enumerated() {
                problems += waiting.structuralProblems().map { "lane \(l) step \(step): \($0)" }
                queuedInLanes += waiting.count
                for key in waiting.descending {
                    guard let contact = contacts[Int(key.slot)], contact.key == key else {
                        problems.append("lane \(l) step \(step) holds a contact that is gone or re-keyed")
                        continue
                    }
                    if contact.phase != .queued(step: step) || contact.lane != Int32(l) {
                        problems.append("contact \(contact.id) is in lane \(l) step \(step) but its phase is \(contact.phase)")
                    }
                }
            }
        }
        var waiting = [Int](repeating: 0, count: queues.count)
        var ringing = [Int](repeating: 0, count: queues.count)
        var queued = 0
        for (s, entry) in contacts.enumerated() {
            guard let contact = entry else { continue }
            if contactSlot[contact.id] != Int32(s) { problems.append("contact \(contact.id) not indexed at its slot") }
            if contact.tenant != queues[Int(contact.queue)].tenant { problems.append("contact \(contact.id) in another tenant's queue") }
            if lanes[Int(contact.lane)].queue != contact.queue { problems.append("contact \(contact.id) lane belongs to another queue") }
            switch contact.phase {
            case .arriving:
                problems.append("contact \(contact.id) left unplaced")
            case .queued:
                queued += 1
                waiting[Int(contact.queue)] += 1
            case .held(let agent):
                waiting[Int(contact.queue)] += 1
                if !agents[Int(agent)].preferredHolds.contains(Int32(s)) { problems.append("held contact \(contact.id) unknown to its agent") }
            case .offered(let agent, _), .connected(let agent, _), .wrapUp(let agent, _):
                if case .offered = contact.phase { ringing[Int(contact.queue)] += 1 }
                if !agents[Int(agent)].work.contains(Int32(s)) { problems.append("contact \(contact.id) not in its agent's work") }
                if agents[Int(agent)].tenant != contact.tenant { problems.append("contact \(contact.id) with an agent of another tenant") }
            }
        }
        if queued != queuedInLanes { problems.append("\(queued) contacts queued but \(queuedInLanes) in lanes") }
        for q in queues.indices {
            if queues[q].runtime.waiting != waiting[q] { problems.append("queue \(queues[q].name) waiting count \(queues[q].runtime.waiting) != \(waiting[q])") }
            if queues[q].runtime.ringing != ringing[q] { problems.append("queue \(queues[q].name) ringing count \(queues[q].runtime.ringing) != \(ringing[q])") }
            if let top = queues[q].runtime.longestWaiting.first, !isStillWaiting(top, queue: q) {
                problems.append("queue \(queues[q].name) longest-wait top is stale")
            }
        }
        return problems
    }

    private mutating func agentViolations() -> [String] {
        var problems: [String] = []
        var staffed = [Int](repeating: 0, count: lanes.count)
        var byState = [AgentStateCounts](repeating: AgentStateCounts(), count: queues.count)
        for (a, agent) in agents.enumerated() where agent.isLive {
            var active = ChannelCapacity(voice: 0, chat: 0, email: 0, callback: 0)
            for slot in agent.work {
                guard let contact = contacts[Int(slot)], contact.phase.agent == Int32(a) else {
                    problems.append("agent \(agent.id) holds contact slot \(slot) that is not with it")
                    continue
                }
                if case .held = contact.phase { problems.append("agent \(agent.id) work holds a held contact") }
                active[lanes[Int(contact.lane)].channel] += 1
            }
            if active != agent.active { problems.append("agent \(agent.id) active counts \(agent.active) != \(active)") }
            for channel in Channel.allCases where active[channel] > agent.capacity[channel] {
                problems.append("agent \(agent.id) above capacity on \(channel)")
            }
            if agent.voiceExclusive, active.voice > 0, active.voice + active.chat + active.email + active.callback > 1 {
                problems.append("agent \(agent.id) holds voice with other contacts")
            }
            if agent.presence == .loggedOut, !agent.work.isEmpty || !agent.preferredHolds.isEmpty {
                problems.append("logged-out agent \(agent.id) holds work")
            }
            let expected = lanes.indices.compactMap { membership(of: Int32(a), in: Int32($0)) }
            if expected != agent.lanes { problems.append("agent \(agent.id) lane memberships are stale") }
            if agent.presence == .ready { for m in agent.lanes { staffed[Int(m.lane)] += 1 } }
            let (state, reason) = derivedState(ofAgent: a)
            if state != agent.state || reason != agent.stateReason { problems.append("agent \(agent.id) published state \(agent.state) != \(state)") }
            for queue in agent.servedQueues { byState[Int(queue)][agent.state] += 1 }
        }
        for l in lanes.indices where lanes[l].staffed != staffed[l] {
            problems.append("lane \(l) staffed \(lanes[l].staffed) != \(staffed[l])")
        }
        for q in queues.indices where queues[q].runtime.agentsByState != byState[q] {
            problems.append("queue \(queues[q].name) agents by state \(queues[q].runtime.agentsByState) != \(byState[q])")
        }
        return problems
    }

    /// Between commands no available agent may qualify for a queued contact, unless the contact blocked them.
    private mutating func matchingViolations() -> [String] {
        var problems: [String] = []
        for (a, agent) in agents.enumerated() where agent.isLive && agent.presence == .ready {
            for membership in agent.lanes where freeCapacity(agent: a, lanes[Int(membership.lane)].channel) > 0 {
                let lane = lanes[Int(membership.lane)]
                let current = lane.available[Int(membership.minStep)].unordered.contains {
                    $0.agent == Int32(a) && isCurrent($0)
                }
                if !current { problems.append("available agent \(agent.id) missing from lane \(membership.lane) ring \(membership.minStep)") }
                for step in Int(membership.minStep)..<lane.waiting.count {
                    if let blocked = lane.waiting[step].descending.first(where: { !isBlocked($0.slot, for: Int32(a)) }) {
                        problems.append("agent \(agent.id) is available but contact \(blocked.id) waits in lane \(membership.lane)")
                    }
                }
            }
            for slot in agent.preferredHolds where freeCapacity(agent: a, lanes[Int(contacts[Int(slot)]!.lane)].channel) > 0 {
                problems.append("agent \(agent.id) is available but contact slot \(slot) holds for it")
            }
        }
        return problems
    }
}
