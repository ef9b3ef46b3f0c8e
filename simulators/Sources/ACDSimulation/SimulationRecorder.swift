import RoutingCore

/// Reads the engine's events as a supervisor's reporting would, and turns them into the report's figures:
/// per queue, per tier, per agent, and the samples behind the charts. Contacts arriving during the warm-up are
/// routed but not counted.
public struct SimulationRecorder {
    private let scenario: Scenario
    private let queues: [String: QueueRules]
    private var contacts: [ContactID: ContactRecord] = [:]
    private var queueOrder: [String]
    private(set) var lastReceived: ContactID?
    private(set) var lastRejection: String?
    private var rejections = 0
    private var handledBy: [AgentID: Int] = [:]
    private var interval: [String: (within: Int, counted: Int)] = [:]
    /// Offers made by the submission itself, before the player has told of the contact's arrival.
    private var offeredOnArrival: [ContactID: Double] = [:]
    private(set) var samples: [Sample] = []

    struct ContactRecord {
        var queue: String
        var currentQueue: String
        var tier: String?
        var arrivedAt: Double
        var counted: Bool
        var waited: Double?
        /// From arrival to the first offer: more than zero for a contact that queued behind busy agents.
        var offeredAfter: Double?
        var answered = false
        var abandoned = false
        var withinTarget = false
        var overflowedOut = false
        var overflowedToIVR = false
        var closed = false
    }

    init(scenario: Scenario, tenant: TenantRules) {
        self.scenario = scenario
        queues = Dictionary(uniqueKeysWithValues: tenant.queues.map { ($0.name, $0) })
        var seen: Set<String> = []
        queueOrder = scenario.arrivals.map(\.queue).filter { seen.insert($0).inserted }
    }

    func channel(of queue: String) -> Channel { queues[queue]!.channel }
    func queue(of contact: ContactID) -> String? { contacts[contact]?.currentQueue }

    func wrapUpIsManual(contactQueue: String?) -> Bool {
        guard let queue = contactQueue.flatMap({ queues[$0] }) else { return false }
        if case .manual = queue.wrapUp { return true }
        return false
    }

    mutating func arrived(_ id: ContactID, stream: Int, queue: String, tier: String?, at: Double) {
        contacts[id] = ContactRecord(
            queue: queue, currentQueue: queue, tier: tier, arrivedAt: at, counted: at >= scenario.warmup,
            offeredAfter: offeredOnArrival.removeValue(forKey: id).map { $0 - at })
    }

    mutating func record(_ event: Event, at time: Double) {
        switch event.kind {
        case .received(let id, _):
            lastReceived = id
        case .commandRejected(_, let message):
            rejections += 1
            lastRejection = message
        case .offered(let id, _, _, _):
            if let arrivedAt = contacts[id]?.arrivedAt {
                if contacts[id]?.offeredAfter == nil { contacts[id]?.offeredAfter = time - arrivedAt }
            } else {
                offeredOnArrival[id] = time
            }
        case .connected(let id, _, let queue, _):
            guard var record = contacts[id] else { return }
            record.answered = true
            record.waited = time - record.arrivedAt
            record.currentQueue = queue
            record.withinTarget = record.waited! <= Double(queues[record.queue]!.serviceLevel.seconds)
            count(record, within: record.withinTarget)
            contacts[id] = record
        case .completed(_, let agent, _, _):
            handledBy[agent, default: 0] += 1
        case .abandoned(let id, _, _, let outcome):
            guard var record = contacts[id] else { return }
            record.waited = time - record.arrivedAt
            record.abandoned = outcome == .abandoned
            if record.abandoned, record.waited! > Double(queues[record.queue]!.serviceLevel.seconds) { count(record, within: false) }
            contacts[id] = record
        case .overflowed(let id, _, let to):
            guard var record = contacts[id] else { return }
            record.overflowedOut = true
            if let to { record.currentQueue = to } else {
                record.overflowedToIVR = true
                record.waited = time - record.arrivedAt
            }
            contacts[id] = record
        case .closed(let id, _, _):
            contacts[id]?.closed = true
        default:
            break
        }
    }

    private mutating func count(_ record: ContactRecord, within: Bool) {
        guard record.counted else { return }
        interval[record.queue, default: (0, 0)].counted += 1
        if within { interval[record.queue, default: (0, 0)].within += 1 }
    }

    mutating func sample(at time: Double, waiting count: (String) -> Int, agents: [SimulatedAgent]) {
        var byState = [String: Int]()
        for agent in agents { byState[agent.state.description, default: 0] += 1 }
        var waiting: [String: Int] = [:]
        var serviceLevel: [String: Double] = [:]
        for queue in queueOrder {
            waiting[queue] = count(queue)
            if let counts = interval[queue], counts.counted > 0 { serviceLevel[queue] = 100 * Double(counts.within) / Double(counts.counted) }
        }
        interval.removeAll()
        samples.append(Sample(time: time, waiting: waiting, serviceLevelPercent: serviceLevel, agentsByState: byState))
    }

    func report(agents: [SimulatedAgent], endingAt duration: Double, backend: [String]) -> SimulationReport {
        let counted = contacts.values.filter(\.counted)
        let queueReports = queueOrder.map { name in
            let rules = queues[name]!
            let qualified = agents.filter { agent in rules.skills.allSatisfy { agent.skills[$0.key] != nil } }
            var figures = Figures(counted.filter { $0.queue == name }, targetSeconds: Double(rules.serviceLevel.seconds))
            figures.occupancyPercent = Self.occupancy(of: qualified)
            return QueueReport(
                name: name, serviceLevelTarget: "\(Int(rules.serviceLevel.percent))% in \(rules.serviceLevel.seconds) s",
                figures: figures, prediction: prediction(for: name, rules: rules, agents: agents))
        }
        var overall = Figures(counted, targetSeconds: nil, targets: queues.mapValues { Double($0.serviceLevel.seconds) })
        overall.occupancyPercent = Self.occupancy(of: agents)
        let tiers = Set(counted.map { $0.tier ?? "none" }).sorted().map { tier in
            TierReport(tier: tier, figures: Figures(
                counted.filter { ($0.tier ?? "none") == tier }, targetSeconds: nil,
                targets: queues.mapValues { Double($0.serviceLevel.seconds) }))
        }
        let agentReports = agents.map { agent in
            let handling = agent.secondsByState[AgentState.busy.rawValue] + agent.secondsByState[AgentState.wrapUp.rawValue]
            let staffed = agent.secondsByState.enumerated().filter { $0.offset != AgentState.loggedOut.rawValue }.map(\.element).reduce(0, +)
            return AgentReport(
                id: agent.id.rawValue, group: agent.group, handled: handledBy[agent.id] ?? 0,
                utilizationPercent: staffed > 0 ? 100 * handling / staffed : 0,
                occupancyPercent: Self.occupancy(of: [agent]) ?? 0)
        }
        return SimulationReport(
            scenario: scenario.name, durationSeconds: duration, warmupSeconds: scenario.warmup, seed: scenario.seed,
            queues: queueReports, overall: overall, tiers: tiers, agents: agentReports, samples: samples,
            rejectedCommands: rejections, backendNotes: backend)
    }

    /// Handling time (busy and wrap-up) over time available for work (ready, reserved, busy, wrap-up).
    static func occupancy(of agents: [SimulatedAgent]) -> Double? {
        var handling = 0.0, available = 0.0
        for agent in agents {
            let busy = agent.secondsByState[AgentState.busy.rawValue] + agent.secondsByState[AgentState.wrapUp.rawValue]
            handling += busy
            available += busy + agent.secondsByState[AgentState.ready.rawValue] + agent.secondsByState[AgentState.reserved.rawValue]
        }
        return available > 0 ? 100 * handling / available : nil
    }

    /// Erlang C or A for a queue that fits the model: one Poisson stream at a constant rate, exponential handle
    /// times, a pool of agents who serve this queue only, all staffed the whole run, answering at once, no
    /// wrap-up, and no patience or an exponential one.
    private func prediction(for name: String, rules: QueueRules, agents: [SimulatedAgent]) -> Prediction? {
        let streams = scenario.arrivals.filter { $0.queue == name }
        guard streams.count == 1, let stream = streams.first, stream.schedule.isEmpty, stream.bursts.isEmpty,
              stream.handleTime.isExponential, stream.requiredSkills.isEmpty else { return nil }
        guard case .none = rules.wrapUp, scenario.offers.declineRate == 0, scenario.offers.missRate == 0,
              scenario.offers.ringTime.mean == 0, scenario.outages.isEmpty else { return nil }
        let pool = scenario.agents.filter { group in rules.skills.allSatisfy { group.skills[$0.key] != nil } }
        let otherQueues = scenario.arrivals.map(\.queue).filter { $0 != name }.compactMap { queues[$0] }
        guard pool.allSatisfy({ group in
            group.breaks.isEmpty && (group.shift.map { $0.start <= 0 && $0.end >= scenario.duration } ?? true)
                && !otherQueues.contains { other in other.skills.allSatisfy { group.skills[$0.key] != nil } }
        }) else { return nil }
        let count = pool.reduce(0) { $0 + $1.count }
        let lambda = stream.ratePerHour / 3600
        let handle = stream.handleTime.mean
        switch stream.patience ?? scenario.patience {
        case nil:
            guard let c = QueueingTheory.erlangC(arrivalsPerSecond: lambda, meanHandleSeconds: handle, agents: count,
                                                 targetSeconds: Double(rules.serviceLevel.seconds)) else { return nil }
            return Prediction(model: "erlang_c", agents: count, serviceLevelPercent: c.serviceLevelPercent,
                              averageSpeedOfAnswerSeconds: c.averageSpeedOfAnswer, abandonPercent: 0,
                              waitProbabilityPercent: 100 * c.probabilityOfWaiting, occupancyPercent: c.occupancyPercent)
        case .exponential(let patience)?:
            let a = QueueingTheory.erlangA(arrivalsPerSecond: lambda, meanHandleSeconds: handle, agents: count, meanPatienceSeconds: patience)
            return Prediction(model: "erlang_a", agents: count, serviceLevelPercent: nil, averageSpeedOfAnswerSeconds: nil,
                              abandonPercent: a.abandonPercent, waitProbabilityPercent: 100 * a.probabilityOfWaiting,
                              occupancyPercent: a.occupancyPercent, averageWaitSeconds: a.averageWait)
        default:
            return nil
        }
    }
}

extension Figures {
    /// `targetSeconds` for one queue; else each contact's own queue target from `targets`.
    init(_ records: [SimulationRecorder.ContactRecord], targetSeconds: Double?, targets: [String: Double] = [:]) {
        offered = records.count
        answered = records.filter(\.answered).count
        abandoned = records.filter(\.abandoned).count
        overflowedOut = records.filter(\.overflowedOut).count
        overflowedToIVR = records.filter(\.overflowedToIVR).count
        closed = records.filter(\.closed).count
        let answeredWaits = records.filter(\.answered).compactMap(\.waited).sorted()
        let abandonedLate = records.filter { record in
            record.abandoned && (record.waited ?? 0) > (targetSeconds ?? targets[record.queue] ?? 0)
        }.count
        let within = records.filter(\.withinTarget).count
        serviceLevelPercent = answered + abandonedLate > 0 ? 100 * Double(within) / Double(answered + abandonedLate) : nil
        averageSpeedOfAnswerSeconds = answeredWaits.isEmpty ? nil : answeredWaits.reduce(0, +) / Double(answeredWaits.count)
        p90WaitSeconds = answeredWaits.isEmpty ? nil : answeredWaits[min(answeredWaits.count - 1, Int(Double(answeredWaits.count) * 0.9))]
        let ended = records.compactMap(\.waited)
        averageWaitSeconds = ended.isEmpty ? nil : ended.reduce(0, +) / Double(ended.count)
        abandonPercent = offered > 0 ? 100 * Double(abandoned) / Double(offered) : 0
        // Queued, as Erlang C's probability of waiting counts it: not offered the moment it arrived. Ring time,
        // and live the desktops' round trip, delay the answer but are not a wait for an agent.
        waitedPercent = records.isEmpty ? 0 : 100 * Double(records.filter { !$0.closed && ($0.offeredAfter ?? .infinity) > 0.0005 }.count) / Double(records.count)
    }
}
