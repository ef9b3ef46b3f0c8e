import HeapModule

/// The routing decisions. Two triggers, one invariant: whenever an agent gains capacity (`assignWork`) or a
/// contact becomes routable (`routeContact`), the engine matches at once, so between commands no available
/// agent qualifies for a queued contact (except where a decline block or a preferred-agent hold says so).
/// Each trigger looks only at indexes: the best contact of each lane the agent serves (among those its ring may
/// take), or the lane's ring heaps.
extension RoutingEngine {
    /// A queued contact as seen by an agent choosing among several lanes.
    struct Candidate {
        var key: QueuedKey
        var effectiveScore: Double
        var lane: Int32
        /// A contact holding for this agent as its preferred agent, rather than queued.
        var isHold: Bool

        /// Strict tier first, then customer value times queue weight (aged to now), then the older contact.
        func isBetter(than other: Candidate) -> Bool {
            if key.strictRank != other.key.strictRank { return key.strictRank > other.key.strictRank }
            if effectiveScore != other.effectiveScore { return effectiveScore > other.effectiveScore }
            return key.seniority > other.key.seniority
        }
    }

    // MARK: Agent frees up: pick the best contact across everything the agent serves.

    /// Offers the agent contacts while it has capacity and something qualifies, then publishes what is left.
    mutating func assignWork(_ agent: Int32) {
        let a = Int(agent)
        let nowSeconds = now.seconds
        while agents[a].isLive, agents[a].presence == .ready {
            var best: Candidate?
            for slot in agents[a].preferredHolds {
                let lane = contacts[Int(slot)].lane
                let key = contacts[Int(slot)].key(slot: slot)
                guard freeCapacity(agent: a, lanes[Int(lane)].channel) > 0 else { continue }
                let candidate = Candidate(
                    key: key, effectiveScore: effectiveScore(key, lane: lane, nowSeconds: nowSeconds), lane: lane, isHold: true)
                if best.map({ candidate.isBetter(than: $0) }) ?? true { best = candidate }
            }
            for membership in agents[a].lanes {
                let l = Int(membership.lane)
                guard freeCapacity(agent: a, lanes[l].channel) > 0,
                      let top = firstContact(in: l, ring: Int(membership.minStep), notBlockedFor: agent) else { continue }
                let candidate = Candidate(
                    key: top, effectiveScore: effectiveScore(top, lane: membership.lane, nowSeconds: nowSeconds),
                    lane: membership.lane, isHold: false)
                if best.map({ candidate.isBetter(than: $0) }) ?? true { best = candidate }
            }
            guard let chosen = best else { break }
            let slot = chosen.key.slot
            if chosen.isHold {
                releaseHold(slot, from: agent)
            } else {
                removeFromLane(slot)
            }
            offer(slot, to: agent)
        }
        publishAvailability(agent)
    }

    // The read-only helpers below are `mutating` on purpose: called from a mutating method, a non-mutating
    // method makes Swift copy the whole engine (every array retained, then released). In `assignWork` that
    // was 14% of a routing decision's instructions (callgrind, bench/README.md). `borrowing` does not avoid it.

    /// Free slots on `channel`, honouring voice exclusivity. Reads fields one by one: calling a method on
    /// `agents[a]` would copy the whole record.
    mutating func freeCapacity(agent a: Int, _ channel: Channel) -> Int {
        let active = agents[a].active
        if agents[a].voiceExclusive {
            if active[.voice] > 0 { return 0 }
            // Voice is free here, so any contact at all is on another channel.
            if channel == .voice, active.total > 0 { return 0 }
        }
        return agents[a].capacity[channel] - active[channel]
    }

    /// Whether any channel has a free slot: an agent that just took its last one serves no lane, and its lanes
    /// (records elsewhere in memory) need not be read to find that out.
    mutating func hasFreeCapacity(agent a: Int) -> Bool {
        freeCapacity(agent: a, .voice) > 0 || freeCapacity(agent: a, .chat) > 0
            || freeCapacity(agent: a, .email) > 0 || freeCapacity(agent: a, .callback) > 0
    }

    mutating func isAvailable(agent a: Int, for channel: Channel) -> Bool {
        agents[a].presence == .ready && freeCapacity(agent: a, channel) > 0
    }

    mutating func effectiveScore(_ key: QueuedKey, lane: Int32, nowSeconds: Double) -> Double {
        let lane = Int(lane)
        return lanes[lane].weight * (key.score + lanes[lane].agingPerSecond * nowSeconds)
    }

    /// The best contact an agent of `ring` may take: the best key among those that have waited long enough.
    private mutating func firstContact(in lane: Int, ring: Int, notBlockedFor agent: Int32) -> QueuedKey? {
        let threshold = now.milliseconds - lanes[lane].stepStarts[ring]
        let best = ring == 0 ? lanes[lane].entries.best : lanes[lane].entries.best(enteredBy: threshold)
        guard let slot = best else { return nil }
        guard isBlocked(slot, for: agent) else { return contacts[Int(slot)].key(slot: slot) }
        for order in lanes[lane].order.descending {
            let slot = queuedSlot(ofOrder: order)
            if contacts[Int(slot)].enteredQueueAt.milliseconds <= threshold, !isBlocked(slot, for: agent) {
                return contacts[Int(slot)].key(slot: slot)
            }
        }
        return nil
    }

    /// The slot of the queued contact with this order in its lane's ranked set.
    func queuedSlot(ofOrder order: UInt128) -> Int32 {
        liveSlot(ofOrder: order)!
    }

    /// The slot of the live contact this order was made for, if any (the checks ask of orders they distrust).
    func liveSlot(ofOrder order: UInt128) -> Int32? {
        contactSlot[QueuedKey.contactID(ofOrder: order)]
    }

    /// The relaxation step a queued contact has reached.
    mutating func currentStep(_ slot: Int32) -> Int {
        let s = Int(slot)
        let l = Int(contacts[s].lane)
        let waited = now.milliseconds(since: contacts[s].enteredQueueAt)
        var step = 0
        while step + 1 < lanes[l].stepStarts.count, lanes[l].stepStarts[step + 1] <= waited { step += 1 }
        return step
    }

    // MARK: Contact becomes routable: pick the best available agent in its lane.

    mutating func routeContact(_ slot: Int32) {
        guard case .queued = contacts[Int(slot)].phase else { return }
        let step = currentStep(slot)
        guard let agent = bestAvailableAgent(lane: contacts[Int(slot)].lane, upToStep: step, for: slot) else { return }
        removeFromLane(slot)
        offer(slot, to: agent)
        publishAvailability(agent)
    }

    /// The strategy's first available agent among the rings the contact's step admits. Stale heap entries are
    /// dropped on the way; agents the contact has blocked are set aside and put back.
    mutating func bestAvailableAgent(lane: Int32, upToStep step: Int, for slot: Int32) -> Int32? {
        let l = Int(lane)
        var best: AvailableAgent?
        for ring in 0...min(step, lanes[l].available.count - 1) {
            var setAside: [AvailableAgent] = []
            while let top = lanes[l].available[ring].min {
                if !isCurrent(top) {
                    lanes[l].available[ring].removeMin()
                } else if isBlocked(slot, for: top.agent) {
                    setAside.append(lanes[l].available[ring].removeMin())
                } else {
                    if best.map({ top < $0 }) ?? true { best = top }
                    break
                }
            }
            for entry in setAside { lanes[l].available[ring].insert(entry) }
        }
        return best?.agent
    }

    mutating func isBlocked(_ slot: Int32, for agent: Int32) -> Bool {
        guard contacts[Int(slot)].hasBlocks else { return false }
        return contactDetails[Int(slot)].blocks.contains { $0.agent == agent && $0.until > now }
    }

    mutating func isCurrent(_ entry: AvailableAgent) -> Bool {
        agents[Int(entry.agent)].isLive && agents[Int(entry.agent)].epoch == entry.epoch
    }

    /// Retires the agent's heap entries and, if the agent can take more, enters it into every lane it serves
    /// on a channel with free capacity, under the lane's strategy key.
    mutating func publishAvailability(_ agent: Int32) {
        let a = Int(agent)
        agents[a].epoch &+= 1
        guard agents[a].isLive, agents[a].presence == .ready, hasFreeCapacity(agent: a) else { return }
        let epoch = agents[a].epoch
        for membership in agents[a].lanes {
            let l = Int(membership.lane)
            guard freeCapacity(agent: a, lanes[l].channel) > 0 else { continue }
            let (primary, secondary) = strategyKey(lanes[l].strategy, agent: agent, membership: membership)
            let ring = Int(membership.minStep)
            lanes[l].available[ring].insert(AvailableAgent(primary: primary, secondary: secondary, agent: agent, epoch: epoch))
            if lanes[l].available[ring].count > 4 * max(lanes[l].heapSizeAfterCompaction[ring], 32) {
                // In place: a fresh heap sized to the live entries was memory to fetch anew, and it grew again by
                // copies as agents came back.
                var heap = Heap<AvailableAgent>()
                swap(&heap, &lanes[l].available[ring])
                heap.removeAll { !isCurrent($0) }
                lanes[l].heapSizeAfterCompaction[ring] = heap.count
                swap(&heap, &lanes[l].available[ring])
            }
            if ring > 0, lanes[l].ringTimerDue[ring] == Self.noRingTimer { armRingTimer(lane: l, ring: ring) }
        }
    }

    // MARK: Relaxation: contacts reaching a step while agents of that ring wait

    static let noRingTimer = Int64.max

    /// Arms the lane's timer for the next queued contact to reach step `ring`, if the ring has an available
    /// agent and no timer is armed. Contacts that reached the step earlier were already open to that agent
    /// when it became available (`assignWork`), so only later entries are watched.
    mutating func armRingTimer(lane l: Int, ring: Int) {
        guard lanes[l].ringTimerDue[ring] == Self.noRingTimer else { return }
        while let top = lanes[l].available[ring].min, !isCurrent(top) { lanes[l].available[ring].removeMin() }
        guard !lanes[l].available[ring].isEmpty else { return }
        let through = now.milliseconds - lanes[l].stepStarts[ring]
        if lanes[l].crossedThrough[ring] < through { lanes[l].crossedThrough[ring] = through }
        guard let next = lanes[l].entries.firstQueuedEntry(after: lanes[l].crossedThrough[ring]) else { return }
        setRingTimer(lane: l, ring: ring, due: next + lanes[l].stepStarts[ring])
    }

    /// A contact just queued reaches the lane's later steps at known instants: a ring with available agents
    /// whose timer is idle, or set for later (the contact came back from an offer or a hold), is told.
    mutating func watchSteps(of slot: Int32, lane l: Int) {
        let entered = contacts[Int(slot)].enteredQueueAt.milliseconds
        for ring in 1..<lanes[l].stepStarts.count where !lanes[l].available[ring].isEmpty {
            let reaches = entered + lanes[l].stepStarts[ring]
            // Reached already: `placeInQueue` routes it right after.
            guard reaches > now.milliseconds else { continue }
            if lanes[l].ringTimerDue[ring] == Self.noRingTimer {
                armRingTimer(lane: l, ring: ring)
            } else if reaches < lanes[l].ringTimerDue[ring] {
                setRingTimer(lane: l, ring: ring, due: reaches)
            }
        }
    }

    /// The ring's timer is now due at `due`; one armed before for later is ignored when it fires.
    private mutating func setRingTimer(lane l: Int, ring: Int, due: Int64) {
        lanes[l].ringTimerDue[ring] = due
        timerSequence += 1
        timers.insert(
            TimerEntry(due: due, sequence: timerSequence, kind: .ringStep, slot: Int32(l), generation: laneGeneration, epoch: UInt32(ring)),
            delay: due - now.milliseconds)
    }

    /// Contacts entered by now minus the step's start have reached step `ring`: route each, in entry order, as
    /// a contact placed in the queue is routed; then watch for the next.
    mutating func fireRingStep(lane l: Int, ring: Int, due: Int64) {
        guard lanes[l].ringTimerDue[ring] == due else { return }
        lanes[l].ringTimerDue[ring] = Self.noRingTimer
        let through = now.milliseconds - lanes[l].stepStarts[ring]
        let reaching = lanes[l].entries.queued(enteredAfter: lanes[l].crossedThrough[ring], through: through)
        lanes[l].crossedThrough[ring] = through
        for slot in reaching { routeContact(slot) }
        armRingTimer(lane: l, ring: ring)
    }

    /// Smaller keys are offered first; ties fall to the lower agent slot, which is deterministic.
    private mutating func strategyKey(_ strategy: AgentSelectionStrategy, agent: Int32, membership: LaneMembership) -> (Int64, Int64) {
        let a = Int(agent)
        let since = agents[a].availableSince.milliseconds
        switch strategy {
        case .longestIdle:
            return (since, 0)
        case .leastOccupied:
            let occupancy = agents[a].occupancy.value(
                at: now, state: agents[a].state, windowSeconds: tenants[Int(agents[a].tenant)].statisticsWindowSeconds)
            return (Int64(((occupancy ?? 0) * 1_000_000).rounded()), since)
        case .highestProficiency:
            return (-Int64(membership.proficiency), since)
        case .fewestContacts:
            return (Int64(agents[a].handledSinceLogin), since)
        case .roundRobin:
            let queue = Int(lanes[Int(membership.lane)].queue)
            return (Int64(queues[queue].runtime.roundRobinLastServed[agent] ?? 0), 0)
        case .random:
            return (Int64(bitPattern: random.next()), 0)
        }
    }

    // MARK: Moving contacts

    mutating func offer(_ slot: Int32, to agent: Int32) {
        let s = Int(slot)
        let a = Int(agent)
        let queue = Int(contacts[s].queue)
        let l = Int(contacts[s].lane)
        let channel = lanes[l].channel
        setPhase(slot, .offered(agent: agent, at: now))
        agents[a].work.append(slot)
        agents[a].active[channel] += 1
        agents[a].epoch &+= 1
        agents[a].availableSince = now
        offerCounter += 1
        if lanes[l].strategy == .roundRobin {
            queues[queue].runtime.roundRobinLastServed[agent] = offerCounter
        }
        queues[queue].runtime.offered += 1
        let expiresAt = now.adding(seconds: queues[queue].settings.offerTimeoutSeconds)
        schedule(.offerTimeout, at: expiresAt, slot: slot)
        emit(.offered(contacts[s].id, agent: agents[a].id, queue: queues[queue].name, expiresAt: expiresAt))
        touch(agent)
    }

    /// Puts a contact (new, returned from an offer, released from a hold, stepped up or overflowed in) at its
    /// place in its queue, or overflows it when it has waited past `max_wait`, then tries to route it.
    mutating func placeInQueue(_ slot: Int32) {
        let contact = contacts[Int(slot)]
        if let maxWait = queues[Int(contact.queue)].settings.maxWaitSeconds,
           now.milliseconds(since: contact.enteredQueueAt) >= Int64(maxWait) * 1000 {
            overflow(slot)
            return
        }
        insertIntoLane(slot)
        routeContact(slot)
    }

    /// Inserts at the relaxation step the contact's time in queue has reached and arms the next step or overflow.
    /// Queues the contact at its place in its lane and arms its max wait. Its relaxation step needs no timer:
    /// it is read from the time the contact entered the queue.
    mutating func insertIntoLane(_ slot: Int32) {
        let s = Int(slot)
        setPhase(slot, .queued)
        let key = contacts[s].key(slot: slot)
        let l = Int(contacts[s].lane)
        lanes[l].order.insert(key.order)
        lanes[l].entries.place(key, at: contacts[s].entry)
        if lanes[l].stepStarts.count > 1 { watchSteps(of: slot, lane: l) }
        if let maxWait = queues[Int(contacts[s].queue)].settings.maxWaitSeconds {
            let due = contacts[s].enteredQueueAt.milliseconds + Int64(maxWait) * 1000
            schedule(.maxWait, at: Instant(milliseconds: max(due, now.milliseconds)), slot: slot)
        }
    }

    /// Takes a queued contact out of its lane; it keeps its place in the entry order.
    mutating func removeFromLane(_ slot: Int32) {
        let s = Int(slot)
        let l = Int(contacts[s].lane)
        let removed = lanes[l].order.remove(contacts[s].order)
        assert(removed, "queued contact missing from its lane")
        lanes[l].entries.vacate(contacts[s].entry)
    }

    /// A contact entering a queue (arrival, overflow, rule swap) takes the next place in its lane's entry order.
    mutating func takePlace(_ slot: Int32) {
        let s = Int(slot)
        let l = Int(contacts[s].lane)
        if lanes[l].entries.isFull {
            for (owner, position) in lanes[l].entries.compact() { contacts[Int(owner)].entry = position }
        }
        contacts[s].entry = lanes[l].entries.reserve(for: slot, enteredAt: contacts[s].enteredQueueAt.milliseconds)
    }

    /// The contact was answered or leaves the queue: its place goes (a queued contact leaves its lane first).
    mutating func givePlaceUp(_ slot: Int32) {
        let s = Int(slot)
        guard contacts[s].entry >= 0 else { return }
        lanes[Int(contacts[s].lane)].entries.release(contacts[s].entry)
        contacts[s].entry = -1
    }

    mutating func releaseHold(_ slot: Int32, from agent: Int32) {
        agents[Int(agent)].preferredHolds.removeAll { $0 == slot }
    }

    /// Sends every contact holding for this agent to its queue (the agent left, or stopped taking contacts).
    mutating func releaseHolds(of agent: Int32) {
        let held = agents[Int(agent)].preferredHolds
        agents[Int(agent)].preferredHolds.removeAll()
        for slot in held { placeInQueue(slot) }
    }

    /// The agent no longer holds this contact: capacity comes back (the caller decides what happens next).
    mutating func releaseWork(_ slot: Int32, from agent: Int32) {
        let a = Int(agent)
        let channel = lanes[Int(contacts[Int(slot)].lane)].channel
        agents[a].work.remove(slot)
        agents[a].active[channel] -= 1
        agents[a].availableSince = now
        touch(agent)
    }

    mutating func overflow(_ slot: Int32) {
        let s = Int(slot)
        let from = Int(contacts[s].queue)
        let fromName = queues[from].name
        if let target = queues[from].compiled!.overflow.map(Int.init),
           queues[target].runtime.waiting < queues[target].settings.maxSize ?? .max {
            let tally = contacts[s].phaseKind.tally
            adjustCounts(queue: from, tally: tally, by: -1)
            queues[from].runtime.overflowedOut += 1
            givePlaceUp(slot)
            contacts[s].queue = Int32(target)
            contacts[s].enteredQueueAt = now
            contacts[s].lane = lane(queue: Int32(target), extras: contactDetails[s].extras)
            takePlace(slot)
            adjustCounts(queue: target, tally: tally, by: 1)
            queues[target].runtime.overflowedIn += 1
            noteWaiting(slot)
            cleanLongestWaiting(queue: from)
            emit(.overflowed(contacts[s].id, from: fromName, to: queues[target].name))
            placeInQueue(slot)
        } else {
            queues[from].runtime.overflowedOut += 1
            accounting.overflowedToIVR += 1
            emit(.overflowed(contacts[s].id, from: fromName, to: nil))
            retire(slot)
        }
    }

    // MARK: Phase bookkeeping

    mutating func setPhase(_ slot: Int32, _ phase: ContactPhase) {
        let s = Int(slot)
        let queue = Int(contacts[s].queue)
        adjustCounts(queue: queue, tally: contacts[s].phaseKind.tally, by: -1)
        contacts[s].phase = phase
        adjustCounts(queue: queue, tally: contacts[s].phaseKind.tally, by: 1)
        contacts[s].timerEpoch &+= 1
    }

    mutating func adjustCounts(queue: Int, tally: PhaseTally, by delta: Int) {
        switch tally {
        case .waiting: queues[queue].runtime.waiting += delta
        case .ringing: queues[queue].runtime.ringing += delta
        case .none: break
        }
    }

    /// Counts an answer or an abandonment in the queue's service level, over its tenant's statistics window.
    mutating func recordServiceLevel(queue q: Int, enteredAt: Instant, answered: Bool) {
        queues[q].runtime.serviceLevel.record(
            at: now, waitMilliseconds: now.milliseconds(since: enteredAt), answered: answered,
            targetMilliseconds: Int64(queues[q].settings.serviceLevelSeconds) * 1000,
            windowSeconds: tenants[Int(queues[q].tenant)].statisticsWindowSeconds)
    }

    /// Records that the contact entered its current queue unanswered, for "longest wait".
    mutating func noteWaiting(_ slot: Int32) {
        let contact = contacts[Int(slot)]
        queues[Int(contact.queue)].runtime.longestWaiting.append(WaitingSince(
            enteredAt: contact.enteredQueueAt.milliseconds, slot: slot, generation: slotGenerations[Int(slot)]))
    }

    /// Keeps the top of the queue's longest-wait heap a contact that is still unanswered there.
    mutating func cleanLongestWaiting(queue: Int) {
        while let oldest = queues[queue].runtime.longestWaiting.first, !isStillWaiting(oldest, queue: queue) {
            queues[queue].runtime.longestWaiting.removeFirst()
        }
    }

    /// `mutating` only so that the hot path calls it without copying the engine (see `freeCapacity`).
    mutating func isStillWaiting(_ entry: WaitingSince, queue: Int) -> Bool {
        let slot = Int(entry.slot)
        guard slotGenerations[slot] == entry.generation else { return false }
        guard Int(contacts[slot].queue) == queue, contacts[slot].enteredQueueAt.milliseconds == entry.enteredAt else { return false }
        switch contacts[slot].phaseKind {
        case .arriving, .queued, .held, .offered: return true
        case .connected, .wrapUp, .vacant: return false
        }
    }

    /// Forgets a contact that left the core.
    mutating func retire(_ slot: Int32) {
        let s = Int(slot)
        givePlaceUp(slot)
        let contact = contacts[s]
        adjustCounts(queue: Int(contact.queue), tally: contact.phaseKind.tally, by: -1)
        contactSlot.remove(contact.id)
        contacts.vacate(s)
        slotGenerations[s] &+= 1
        freeContactSlots.append(slot)
        accounting.live -= 1
        cleanLongestWaiting(queue: Int(contact.queue))
    }
}
