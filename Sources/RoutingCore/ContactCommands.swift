/// Commands from the telephony/IVR side.
extension RoutingEngine {
    mutating func submit(_ submission: consuming ContactSubmission) {
        guard let t = tenantIndex[submission.tenant], tenants[Int(t)].isActive else {
            return refuse(.unknownTenant, "unknown tenant '\(submission.tenant)'")
        }
        guard let q = queueIndex[QueueName(tenant: t, name: submission.queue)], queues[Int(q)].settings.isActive else {
            return refuse(.unknownQueue, "unknown queue '\(submission.queue)' for tenant '\(submission.tenant)'")
        }
        let channel = queues[Int(q)].settings.channel
        guard submission.channel == channel else {
            return refuse(.channelMismatch, "queue '\(submission.queue)' takes \(channel) contacts, not \(submission.channel)")
        }
        if let problem = fieldProblem(in: submission) { return refuse(.fieldOutOfRange, problem) }
        var extras: [SkillLevel] = []
        for (name, level) in submission.requiredSkills.isEmpty ? [] : submission.requiredSkills.sorted(by: { $0.key < $1.key }) {
            guard let skill = tenants[Int(t)].skillIndex[name], tenants[Int(t)].declaredSkills.contains(name) else {
                return refuse(.unknownSkill, "unknown skill '\(name)' for tenant '\(submission.tenant)'")
            }
            guard proficiencyRange.contains(level) else {
                return refuse(.fieldOutOfRange, "required level of '\(name)' must be 1...10, got \(level)")
            }
            extras.append(SkillLevel(skill: skill, level: UInt8(level)))
        }
        if let language = submission.profile.language, let requirement = tenants[Int(t)].languageRequirement[language],
           !extras.contains(where: { tenants[Int(t)].languageSkills.contains($0.skill) }) {
            extras.append(requirement)
        }
        if extras.count > 1 { extras.sort() }  // sorting an empty array still makes it unique: a call and a copy
        if let maxSize = queues[Int(q)].settings.maxSize, queues[Int(q)].runtime.waiting >= maxSize {
            queues[Int(q)].runtime.rejectedFull += 1
            return refuse(.queueFull, "queue '\(submission.queue)' is full (\(maxSize) waiting)")
        }

        let id = ContactID(nextContactNumber)
        nextContactNumber += 1
        accounting.accepted += 1
        queues[Int(q)].runtime.submitted += 1
        // Read once: each read of a submission's field copies it out of the submission's storage.
        let profile = submission.profile
        let scoring = ScoringInputs(priority: submission.priority, profile: profile)
        let preferredAgentID = profile.lastAgent
        let callbackNumber = submission.callbackNumber
        let names = (tenant: submission.tenant, queue: submission.queue)
        emit(.received(id, consume submission))
        guard isOpen(queue: q) else {
            queues[Int(q)].runtime.closed += 1
            accounting.closed += 1
            emit(.closed(id, tenant: names.tenant, queue: names.queue))
            return
        }

        let slot = allocateContactSlot()
        let lane = lane(queue: q, extras: extras)
        let contact = ContactRecord(
            order: queuedKey(for: scoring, id: id, slot: slot, arrivedAt: now, tenant: t).order, queue: q, lane: lane,
            arrivedAt: now)
        // Read only by the first placement, right below: not kept in the record.
        var preferredAgent: Int32?
        if let last = preferredAgentID, let agent = agentIndex[last],
           queues[Int(q)].settings.preferredAgentWaitSeconds > 0,
           agents[Int(agent)].presence != .loggedOut, agents[Int(agent)].lanes.contains(where: { $0.lane == lane }) {
            preferredAgent = agent
        }
        contacts.occupy(Int(slot), with: contact)
        contactDetails[Int(slot)] = ContactDetails(
            scoring: scoring, tenant: t, channel: channel, callbackNumber: callbackNumber, extras: extras)
        contactSlot.insert(id, slot)
        accounting.live += 1
        takePlace(slot)
        noteWaiting(slot)
        route(newContact: slot, preferredAgent: preferredAgent, tenant: names.tenant, queue: names.queue)
    }

    /// First placement of a new contact: its preferred agent if free, a hold for that agent, or the queue.
    private mutating func route(newContact slot: Int32, preferredAgent: Int32?, tenant: String, queue: String) {
        let contact = contacts[Int(slot)]
        if let preferred = preferredAgent {
            let channel = lanes[Int(contact.lane)].channel
            let holdSeconds = queues[Int(contact.queue)].settings.preferredAgentWaitSeconds
            emit(.queued(contact.id, tenant: tenant, queue: queue, position: 1,
                         estimatedWaitSeconds: isAvailable(agent: Int(preferred), for: channel) ? 0 : holdSeconds))
            if isAvailable(agent: Int(preferred), for: channel) {
                offer(slot, to: preferred)
                publishAvailability(preferred)
            } else {
                setPhase(slot, .held(agent: preferred))
                agents[Int(preferred)].preferredHolds.append(slot)
                schedule(.holdExpiry, at: now.adding(seconds: holdSeconds), slot: slot)
            }
            return
        }
        if let agent = bestAvailableAgent(lane: contact.lane, upToStep: 0, for: slot) {
            emit(.queued(contact.id, tenant: tenant, queue: queue, position: 1, estimatedWaitSeconds: 0))
            offer(slot, to: agent)
            publishAvailability(agent)
            return
        }
        insertIntoLane(slot)
        let (position, estimate) = waitEstimate(for: slot)
        emit(.queued(contact.id, tenant: tenant, queue: queue, position: position, estimatedWaitSeconds: estimate))
        // No second look for an agent: validation makes every relaxation step start after 0 s and every max wait
        // at least 1 s, so a new contact is at step 0, which the query above covered, and cannot overflow yet.
    }

    /// Position counts the contacts ahead in the same lane (same queue, same extra skills), every step included.
    /// The estimate is position x average handle time / agents staffed for the lane (nil when none is staffed).
    /// `mutating` only so that `route` calls it without copying the engine (see `freeCapacity`).
    mutating func waitEstimate(for slot: Int32) -> (position: Int, seconds: Int?) {
        let s = Int(slot)
        let l = Int(contacts[s].lane)
        let position = lanes[l].order.countGreater(than: contacts[s].order) + 1
        let staffed = lanes[l].staffed
        guard staffed > 0 else { return (position, nil) }
        let handle = queues[Int(contacts[s].queue)].runtime.averageHandleMilliseconds
        let seconds = Double(position) * handle / Double(staffed) / 1000
        return (position, Int(seconds.rounded(.up)))
    }

    private func fieldProblem(in submission: borrowing ContactSubmission) -> String? {
        if !ContactSubmission.priorityRange.contains(submission.priority) {
            return "priority must be \(ContactSubmission.priorityRange), got \(submission.priority)"
        }
        let value = submission.profile.lifetimeValue
        let churn = submission.profile.churnRisk
        if !(value.isFinite && value >= 0) { return "lifetime value must be a finite number >= 0" }
        if !(churn >= 0 && churn <= 1) { return "churn risk must be 0...1" }
        if submission.ivrData.count > 64 { return "at most 64 IVR data entries" }
        return nil
    }

    private mutating func refuse(_ code: RejectionCode, _ message: String) {
        accounting.rejected += 1
        reject(code, message)
    }

    private mutating func isOpen(queue q: Int32) -> Bool {
        guard queues[Int(q)].settings.hasHours, let hours = queues[Int(q)].compiled!.hours else { return true }
        if let cached = queues[Int(q)].compiled!.hoursOffset, now < cached.validUntil {
            return hours.isOpen(at: now, offsetSeconds: cached.seconds)
        }
        let offset = hours.offsets.offset(at: now)
        queues[Int(q)].compiled!.hoursOffset = offset
        return hours.isOpen(at: now, offsetSeconds: offset.seconds)
    }

    private mutating func allocateContactSlot() -> Int32 {
        if let reused = freeContactSlots.popLast() { return reused }
        contacts.appendVacant()
        contactDetails.append(.vacant)
        slotGenerations.append(0)
        return Int32(contacts.count - 1)
    }

    mutating func withdraw(_ id: ContactID, outcome: ContactOutcome) {
        guard let slot = contactSlot[id] else { return reject(.unknownContact, "unknown contact \(id)") }
        let contact = contacts[Int(slot)]
        var agentToServe: Int32?
        switch contact.phase {
        case .queued:
            removeFromLane(slot)
        case .held(let agent):
            releaseHold(slot, from: agent)
        case .offered(let agent, _):
            releaseWork(slot, from: agent)
            agentToServe = agent
        case .arriving, .connected, .wrapUp:
            return reject(.contactNotWaiting, "contact \(id) is already with an agent; complete it instead")
        }
        let q = Int(contact.queue)
        if outcome == .abandoned {
            queues[q].runtime.abandoned += 1
            accounting.abandoned += 1
            recordServiceLevel(queue: q, enteredAt: contact.enteredQueueAt, answered: false)
        } else {
            queues[q].runtime.cancelled += 1
            accounting.cancelled += 1
        }
        emit(.abandoned(id, queue: queues[q].name, waitMilliseconds: now.milliseconds(since: contact.arrivedAt), outcome: outcome))
        retire(slot)
        if let agentToServe { assignWork(agentToServe) }
    }

    mutating func requestCallback(_ id: ContactID, number: String) {
        guard let slot = contactSlot[id] else { return reject(.unknownContact, "unknown contact \(id)") }
        guard !number.isEmpty, number.utf8.count <= 32 else { return reject(.fieldOutOfRange, "callback number must be 1...32 bytes") }
        guard contacts[Int(slot)].phase.isWaiting else {
            return reject(.contactNotWaiting, "contact \(id) is not waiting in a queue")
        }
        contactDetails[Int(slot)].callbackNumber = number
        emit(.callbackRequested(id, number: number))
    }
}

extension CompiledQueue {
    var hours: OpenHours? { rules.hours }
}
