/// Read-only views for wallboards, the admin interface and status requests. Nothing here changes routing.
extension RoutingEngine {
    public func queueStatistics(tenant: String, queue: String) -> QueueStatistics? {
        guard let t = tenantIndex[tenant], let q = queueIndex[QueueName(tenant: t, name: queue)],
              queues[Int(q)].compiled != nil else { return nil }
        return statistics(ofQueue: Int(q))
    }

    /// Every queue of the current rules, by tenant then queue, in rule-file order.
    public func allQueueStatistics() -> [QueueStatistics] {
        queues.indices.filter { queues[$0].compiled != nil }.map(statistics(ofQueue:))
    }

    private func statistics(ofQueue q: Int) -> QueueStatistics {
        let slot = queues[q]
        let rules = slot.compiled!.rules
        let runtime = slot.runtime
        let windowSeconds = tenants[Int(slot.tenant)].statisticsWindowSeconds
        let totals = runtime.serviceLevel.totals(at: now, windowSeconds: windowSeconds)
        let slDenominator = totals.answered + totals.abandonedAfterTarget
        let handled = totals.answered + totals.abandoned
        var longest: Int64 = 0
        if let oldest = runtime.longestWaiting.first { longest = now.milliseconds - oldest.enteredAt }
        var byState: [AgentState: Int] = [:]
        for state in AgentState.allCases { byState[state] = agentStatesByQueue[q, state] }
        return QueueStatistics(
            tenant: tenants[Int(slot.tenant)].name, queue: slot.name, channel: rules.channel,
            waiting: runtime.waiting, ringing: runtime.ringing, longestWaitMilliseconds: longest,
            serviceLevelPercent: slDenominator > 0 ? 100 * Double(totals.answeredWithinTarget) / Double(slDenominator) : nil,
            serviceLevelTarget: rules.serviceLevel,
            averageSpeedOfAnswerMilliseconds: totals.answered > 0 ? Double(totals.answerWaitMilliseconds) / Double(totals.answered) : nil,
            abandonRatePercent: handled > 0 ? 100 * Double(totals.abandoned) / Double(handled) : nil,
            answeredInWindow: totals.answered, abandonedInWindow: totals.abandoned, windowSeconds: windowSeconds,
            averageHandleSeconds: runtime.averageHandleMilliseconds / 1000, agentsByState: byState,
            totals: .init(
                submitted: runtime.submitted, offered: runtime.offered, answered: runtime.answered,
                abandoned: runtime.abandoned, cancelled: runtime.cancelled, closed: runtime.closed,
                rejectedFull: runtime.rejectedFull, overflowedIn: runtime.overflowedIn,
                overflowedOut: runtime.overflowedOut, completed: runtime.completed))
    }

    public func agentStatistics(_ id: AgentID) -> AgentStatistics? {
        agentIndex[id].map { statistics(ofAgent: Int($0)) }
    }

    public func allAgentStatistics() -> [AgentStatistics] {
        agentIndex.values.sorted().map { statistics(ofAgent: Int($0)) }
    }

    private func statistics(ofAgent a: Int) -> AgentStatistics {
        let agent = agents[a]
        let occupancy = agent.occupancy.value(at: now, state: agent.state, windowSeconds: tenants[Int(agent.tenant)].statisticsWindowSeconds)
        return AgentStatistics(
            id: agent.id, name: agent.name, tenant: tenants[Int(agent.tenant)].name, state: agent.state,
            reason: agent.stateReason, idleSince: agent.state == .ready ? agent.idleSince : nil,
            contactsHandledSinceLogin: agent.handledSinceLogin, contactsHandled: agent.handledTotal,
            talkMilliseconds: agent.talkMilliseconds, occupancy: occupancy, activeContacts: agent.work.count)
    }

    public func contactStatus(_ id: ContactID) -> ContactStatus? {
        guard let slot = contactSlot[id], let contact = contacts.live(Int(slot)) else { return nil }
        let phase: ContactStatus.Phase
        var position: Int?
        var estimate: Int?
        switch contact.phase {
        case .arriving, .queued:
            phase = .queued
            var engine = self  // the estimate is `mutating` for the hot path; a copy shares every buffer
            (position, estimate) = engine.waitEstimate(for: slot)
        case .held: phase = .holdingForPreferredAgent
        case .offered: phase = .offered
        case .connected: phase = .connected
        case .wrapUp: phase = .wrapUp
        }
        return ContactStatus(
            id: id, tenant: tenants[Int(queues[Int(contact.queue)].tenant)].name, queue: queues[Int(contact.queue)].name, phase: phase,
            agent: contact.phase.agent.map { agents[Int($0)].id }, position: position, estimatedWaitSeconds: estimate,
            waitedMilliseconds: now.milliseconds(since: contact.arrivedAt), callbackNumber: contactDetails[Int(slot)].callbackNumber)
    }

    public var liveContactCount: Int { contactSlot.count }
}

public struct ContactStatus: Sendable, Hashable {
    public enum Phase: String, Sendable, Hashable {
        case queued, holdingForPreferredAgent = "holding_for_preferred_agent", offered, connected, wrapUp = "wrap_up"
    }

    public var id: ContactID
    public var tenant: String
    public var queue: String
    public var phase: Phase
    public var agent: AgentID?
    public var position: Int?
    public var estimatedWaitSeconds: Int?
    public var waitedMilliseconds: Int64
    public var callbackNumber: String?
}
