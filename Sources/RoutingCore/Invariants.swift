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
        if nextTimerDue?.milliseconds != timers.nextDue {
            problems.append("next timer due \(String(describing: nextTimerDue)) but the earliest timer is \(String(describing: timers.nextDue))")
        }
        return problems
    }

    private mutating func contactViolations() -> [String] {
        var problems: [String] = []
        var queuedInLanes = 0
        var placesInLanes = 0
        for (l, lane) in lanes.enumerated() {
            problems += lane.order.structuralProblems().map { "lane \(l) order: \($0)" }
            problems += lane.entries.structuralProblems().map { "lane \(l) entries: \($0)" }
            queuedInLanes += lane.order.count
            for order in lane.order.descending {
                guard let slot = liveSlot(ofOrder: order), let contact = contacts.live(Int(slot)), contact.order == order else {
                    problems.append("lane \(l) holds a contact that is gone or re-keyed")
                    continue
                }
                if contact.phase != .queued || contact.lane != Int32(l) {
                    problems.append("contact \(contact.id) is queued in lane \(l) but its phase is \(contact.phase)")
                }
            }
            var keysAtPlaces = 0
            for (position, slot, order) in lane.entries.ownedPositions {
                placesInLanes += 1
                guard let contact = contacts.live(Int(slot)), contact.lane == Int32(l), contact.entry == position else {
                    problems.append("lane \(l) place \(position) is owned by a contact that is gone or elsewhere")
                    continue
                }
                if let order {
                    keysAtPlaces += 1
                    if order != contact.order || contact.phase != .queued { problems.append("contact \(contact.id) present at its place but not queued") }
                } else if contact.phase == .queued {
                    problems.append("queued contact \(contact.id) missing from its place")
                }
            }
            if keysAtPlaces != lane.order.count { problems.append("lane \(l) has \(keysAtPlaces) contacts at places but \(lane.order.count) in order") }
        }
        var waiting = [Int](repeating: 0, count: queues.count)
        var ringing = [Int](repeating: 0, count: queues.count)
        var queued = 0
        var placesOwned = 0
        for (s, contact) in contacts.live {
            if contactSlot[contact.id] != Int32(s) { problems.append("contact \(contact.id) not indexed at its slot") }
            if contactDetails[s].tenant != queues[Int(contact.queue)].tenant {
                problems.append("contact \(contact.id) in another tenant's queue")
            }
            if lanes[Int(contact.lane)].queue != contact.queue { problems.append("contact \(contact.id) lane belongs to another queue") }
            if contact.phase.holdsPlace != (contact.entry >= 0) { problems.append("contact \(contact.id) (\(contact.phase)) place \(contact.entry)") }
            if contact.entry >= 0 { placesOwned += 1 }
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
                if agents[Int(agent)].tenant != queues[Int(contact.queue)].tenant { problems.append("contact \(contact.id) with an agent of another tenant") }
            }
        }
        if queued != queuedInLanes { problems.append("\(queued) contacts queued but \(queuedInLanes) in lanes") }
        if placesOwned != placesInLanes { problems.append("\(placesOwned) contacts own a place but lanes hold \(placesInLanes)") }
        for q in queues.indices {
            if queues[q].runtime.waiting != waiting[q] { problems.append("queue \(queues[q].name) waiting count \(queues[q].runtime.waiting) != \(waiting[q])") }
            if queues[q].runtime.ringing != ringing[q] { problems.append("queue \(queues[q].name) ringing count \(queues[q].runtime.ringing) != \(ringing[q])") }
            if let top = queues[q].runtime.longestWaiting.first, !isStillWaiting(top, queue: q) {
                problems.append("queue \(queues[q].name) longest-wait top is stale")
            }
            problems += serviceLevelViolations(queue: q)
        }
        return problems
    }

    private func serviceLevelViolations(queue q: Int) -> [String] {
        let runtime = queues[q].runtime
        guard runtime.serviceLevel.isConsistent else { return ["queue \(queues[q].name) service-level seconds do not add up"] }
        let window = runtime.serviceLevel.totals(at: now, windowSeconds: tenants[Int(queues[q].tenant)].statisticsWindowSeconds)
        guard (0...runtime.answered).contains(window.answered), (0...window.answered).contains(window.answeredWithinTarget),
              (0...runtime.abandoned).contains(window.abandoned), (0...window.abandoned).contains(window.abandonedAfterTarget),
              window.answerWaitMilliseconds >= 0 else {
            return ["queue \(queues[q].name) service-level window \(window) against \(runtime.answered) answered, \(runtime.abandoned) abandoned"]
        }
        return []
    }

    private mutating func agentViolations() -> [String] {
        var problems: [String] = []
        var staffed = [Int](repeating: 0, count: lanes.count)
        var byState = AgentStatesByQueue()
        for _ in queues.indices { byState.appendQueue() }
        for (a, agent) in agents.enumerated() where agent.isLive {
            var active = ChannelSlots()
            for slot in agent.work {
                guard let contact = contacts.live(Int(slot)), contact.phase.agent == Int32(a) else {
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
            if agent.voiceExclusive, active[.voice] > 0, active.total > 1 {
                problems.append("agent \(agent.id) holds voice with other contacts")
            }
            if agent.presence == .loggedOut, !agent.work.isEmpty || !agent.preferredHolds.isEmpty {
                problems.append("logged-out agent \(agent.id) holds work")
            }
            let expected = lanes.indices.compactMap { membership(of: Int32(a), in: Int32($0)) }
            if expected != agent.lanes { problems.append("agent \(agent.id) lane memberships are stale") }
            if agent.presence == .ready { for m in agent.lanes { staffed[Int(m.lane)] += 1 } }
            let state = derivedState(ofAgent: a)
            let reason = state == .notReady ? agent.notReadyReason : nil
            if state != agent.state || reason != agent.stateReason { problems.append("agent \(agent.id) published state \(agent.state) != \(state)") }
            byState.add(1, in: agent.state, for: agent.servedQueues)
        }
        for l in lanes.indices where lanes[l].staffed != staffed[l] {
            problems.append("lane \(l) staffed \(lanes[l].staffed) != \(staffed[l])")
        }
        if byState != agentStatesByQueue {
            for q in queues.indices where AgentState.allCases.contains(where: { byState[q, $0] != agentStatesByQueue[q, $0] }) {
                problems.append(
                    "queue \(queues[q].name) agents by state \(agentStatesByQueue.description(ofQueue: q)) != \(byState.description(ofQueue: q))")
            }
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
                let threshold = now.milliseconds - lane.stepStarts[Int(membership.minStep)]
                let open = lane.order.descending.first {
                    let slot = queuedSlot(ofOrder: $0)
                    return contacts[Int(slot)].enteredQueueAt.milliseconds <= threshold && !isBlocked(slot, for: Int32(a))
                }.map(queuedSlot(ofOrder:))
                if let open { problems.append("agent \(agent.id) is available but contact \(contacts[Int(open)].id) waits in lane \(membership.lane)") }
            }
            for slot in agent.preferredHolds where freeCapacity(agent: a, lanes[Int(contacts[Int(slot)].lane)].channel) > 0 {
                problems.append("agent \(agent.id) is available but contact slot \(slot) holds for it")
            }
        }
        // Every change that ends an agent's availability bumps its epoch: a current ring-heap entry is always of a live,
        // ready agent with room on the lane's channel. A missed bump would offer contacts to an agent who cannot take them.
        for l in lanes.indices {
            for ring in lanes[l].available.indices {
                for entry in lanes[l].available[ring].unordered where isCurrent(entry) {
                    let a = Int(entry.agent)
                    // `isCurrent` has already checked that the agent is live.
                    if !isAvailable(agent: a, for: lanes[l].channel) {
                        problems.append("lane \(l) ring \(ring) holds a current entry for unavailable agent slot \(a)")
                    }
                }
            }
        }
        return problems
    }
}
