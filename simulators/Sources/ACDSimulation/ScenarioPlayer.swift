import Foundation
import HeapModule
import RoutingCore

/// Plays a scenario's callers and desktops against a routing backend: the routing core itself in virtual time
/// (`VirtualSimulation`, a simulated day in seconds), or a running acdd over ZeroMQ in real time
/// (`LiveSimulation`). The callers' and agents' behaviour is this one code path either way.
public struct ScenarioPlayer<Backend: RoutingBackend> {
    private let scenario: Scenario
    private let tenant: TenantRules
    public private(set) var backend: Backend
    private var random: SplitMix64
    private var agenda = Heap<Appointment>()
    private var order: UInt64 = 0
    private var now = dayStart
    private var buffer: [Event] = []
    private var agents: [SimulatedAgent] = []
    private var agentSlot: [AgentID: Int] = [:]
    private var contacts: [ContactID: SimulatedContact] = [:]
    private var returning: [(profile: CustomerProfile, lastAgent: AgentID)] = []
    private var customerNumber = 0
    private(set) public var recorder: SimulationRecorder

    public init(scenario: Scenario, rules: RuleSet, backend: Backend) throws {
        guard let tenant = rules.tenants.first(where: { $0.name == scenario.tenant }) else {
            throw ScenarioError("tenant '\(scenario.tenant)' is not in the rules (\(rules.tenants.map(\.name).joined(separator: ", ")))")
        }
        let queueNames = Set(tenant.queues.map(\.name))
        let unknown = scenario.arrivals.map(\.queue).filter { !queueNames.contains($0) }
        guard unknown.isEmpty else { throw ScenarioError("unknown queues for tenant '\(tenant.name)': \(unknown.joined(separator: ", "))") }
        self.scenario = scenario
        self.tenant = tenant
        self.backend = backend
        // SplitMix64 walks one cycle: seeds n and n+1 would give the same draws one step apart. Scramble first.
        var scrambler = SplitMix64(seed: scenario.seed)
        random = SplitMix64(seed: scrambler.next())
        recorder = SimulationRecorder(scenario: scenario, tenant: tenant)
        try staff()
        for (index, stream) in scenario.arrivals.enumerated() {
            scheduleNextArrival(of: index, after: 0)
            for burst in stream.bursts {
                for n in 0..<burst.contacts {
                    let offset = burst.contacts > 1 ? burst.over * Double(n) / Double(burst.contacts - 1) : 0
                    schedule(.arrival(stream: index, scheduleNext: false), at: burst.at + offset)
                }
            }
        }
        let sampleEvery = scenario.sampleEvery ?? scenario.duration / 240
        for n in 0...Int(scenario.duration / sampleEvery) { schedule(.sample, at: Double(n) * sampleEvery) }
    }

    /// Adds the scenario's agents and schedules their shifts, breaks and outages.
    private mutating func staff() throws {
        for group in scenario.agents {
            for n in stride(from: 1, through: group.count, by: 1) {
                let id = AgentID("\(group.name)-\(n < 10 ? "00" : n < 100 ? "0" : "")\(n)")
                let slot = agents.count
                agents.append(SimulatedAgent(id: id, group: group.name, skills: group.skills))
                agentSlot[id] = slot
                run(.addAgent(AgentProfile(id: id, name: id.rawValue, tenant: scenario.tenant, team: group.team, skills: group.skills)))
                guard agents[slot].added else {
                    throw ScenarioError("agent group '\(group.name)': the rules refuse its agents: \(recorder.lastRejection ?? "")")
                }
                let shift = group.shift ?? Shift(start: 0, end: scenario.duration)
                schedule(.shiftStart(slot), at: shift.start)
                if shift.end < scenario.duration { schedule(.shiftEnd(slot), at: shift.end) }
                for pause in group.breaks {
                    let start = pause.at + pause.stagger * Double(n - 1)
                    schedule(.breakStart(slot), at: start)
                    schedule(.breakEnd(slot), at: start + pause.duration)
                }
            }
        }
        for outage in scenario.outages {
            let members = agents.indices.filter { agents[$0].group == outage.group }.prefix(outage.count)
            for slot in members {
                schedule(.outageStart(slot), at: outage.from)
                schedule(.outageEnd(slot), at: outage.to)
            }
        }
    }

    /// Runs to the end of the scenario; `progress` is called with the share done, about a hundred times.
    public mutating func run(progress: (Double) -> Void = { _ in }) -> SimulationReport {
        let end = dayStart.adding(milliseconds: Int64(scenario.duration * 1000))
        var nextProgress = 0.0
        while let next = agenda.min, next.at <= end {
            if let due = backend.nextTimerDue, due < next.at {
                advance(to: due)
                continue
            }
            // A live backend may stop short, when events arrive first: they may call for an earlier step.
            guard advance(to: next.at) else { continue }
            let appointment = agenda.removeMin()
            backend.performing(appointmentDueAt: appointment.at)
            perform(appointment.action)
            let done = now.milliseconds(since: dayStart).asSeconds / scenario.duration
            if done >= nextProgress {
                progress(done)
                nextProgress = done + 0.01
            }
        }
        advance(to: end)
        progress(1)
        return recorder.report(agents: agents, endingAt: scenario.duration, backend: backend.summary)
    }

    /// Moves the clock towards `time`; true once it is there (callers that loop until then need not check).
    @discardableResult
    private mutating func advance(to time: Instant) -> Bool {
        buffer.removeAll(keepingCapacity: true)
        let reached = max(now, backend.advance(to: time, into: &buffer))
        if reached > now {
            for index in agents.indices { agents[index].account(until: reached) }
            now = reached
        }
        observe()
        return now >= time
    }

    private mutating func run(_ command: Command) {
        buffer.removeAll(keepingCapacity: true)
        backend.handle(command, now: now, into: &buffer)
        observe()
    }

    private var elapsed: Double { now.milliseconds(since: dayStart).asSeconds }

    private mutating func perform(_ action: Action) {
        switch action {
        case .arrival(let stream, let scheduleNext):
            if scheduleNext { scheduleNextArrival(of: stream, after: elapsed) }
            arrive(on: stream)
        case .shiftStart(let slot):
            agents[slot].onShift = true
            present(slot)
        case .shiftEnd(let slot):
            agents[slot].onShift = false
            present(slot)
        case .breakStart(let slot):
            agents[slot].onBreak = true
            present(slot)
        case .breakEnd(let slot):
            agents[slot].onBreak = false
            present(slot)
        case .outageStart(let slot):
            agents[slot].inOutage = true
            if agents[slot].loggedIn { run(.logout(agents[slot].id, force: true)) }
        case .outageEnd(let slot):
            agents[slot].inOutage = false
            present(slot)
        case .answer(let slot, let contact, let accept):
            run(accept ? .accept(agents[slot].id, contact) : .decline(agents[slot].id, contact))
        case .complete(let slot, let contact):
            run(.complete(agents[slot].id, contact))
        case .endWrapUp(let slot, let contact):
            run(.endWrapUp(agents[slot].id, contact))
        case .patienceRunsOut(let contact):
            if let waiting = contacts[contact], waiting.answeredAt == nil { run(.abandon(contact)) }
        case .present(let slot):
            present(slot)
        case .sample:
            let backend = backend, tenant = scenario.tenant
            recorder.sample(at: elapsed, waiting: { backend.waiting(tenant: tenant, queue: $0) }, agents: agents)
        }
    }

    /// Brings the desktop's presence in line with shift, break and outage: logged in and ready, not ready for a
    /// break, logged out once the shift is over and the last contact is done.
    private mutating func present(_ slot: Int) {
        let agent = agents[slot]
        if agent.inOutage { return }
        if !agent.onShift {
            if agent.loggedIn {
                if agent.active == 0 { run(.logout(agent.id, force: false)) } else if agent.presence != "end_of_shift" {
                    run(.notReady(agent.id, reason: "end_of_shift"))
                }
            }
            return
        }
        if !agent.loggedIn { run(.login(agent.id)) }
        if agents[slot].onBreak {
            if agents[slot].presence != "break" { run(.notReady(agent.id, reason: "break")) }
        } else if agents[slot].presence != "ready" {
            run(.ready(agent.id))
        }
    }

    private mutating func arrive(on index: Int) {
        let stream = scenario.arrivals[index]
        var profile: CustomerProfile
        if !returning.isEmpty, random.unit() < scenario.customers.repeatCallers {
            let caller = returning[Int(random.next() % UInt64(returning.count))]
            var known = caller.profile
            known.lastAgent = caller.lastAgent
            profile = known
        } else {
            customerNumber += 1
            let mix = scenario.customers
            profile = CustomerProfile(
                customerID: "sim-\(customerNumber)", tier: random.pick(mix.tiers),
                lifetimeValue: max(0, mix.lifetimeValue.sample(&random)),
                churnRisk: min(1, max(0, mix.churnRisk.sample(&random))), language: random.pick(mix.languages))
        }
        if let tier = stream.tier { profile.tier = tier }
        let arrivedAt = elapsed
        run(.submit(ContactSubmission(
            tenant: scenario.tenant, queue: stream.queue, channel: recorder.channel(of: stream.queue), profile: profile,
            requiredSkills: stream.requiredSkills, priority: stream.priority)))
        // The submission's events named the contact (received); match it to this stream.
        guard let id = recorder.lastReceived, contacts[id] == nil else { return }
        contacts[id] = SimulatedContact(stream: index, profile: profile, arrivedAt: arrivedAt)
        recorder.arrived(id, stream: index, queue: stream.queue, tier: profile.tier, at: arrivedAt)
        if let patience = stream.patience ?? scenario.patience {
            schedule(.patienceRunsOut(id), at: arrivedAt + patience.sample(&random))
        }
    }

    /// Thinning: candidates at the stream's highest rate, each kept with probability rate(t) / highest, give a
    /// Poisson process whose rate follows the schedule exactly.
    private mutating func scheduleNextArrival(of index: Int, after time: Double) {
        let stream = scenario.arrivals[index]
        let highest = ([stream.ratePerHour] + stream.schedule.map(\.ratePerHour)).max()! / 3600
        guard highest > 0 else { return }
        var t = time
        while t < scenario.duration {
            t += -log(random.unitOpen()) / highest
            if random.unit() * highest < stream.rate(at: t) / 3600 {
                schedule(.arrival(stream: index, scheduleNext: true), at: t)
                return
            }
        }
    }

    private mutating func observe() {
        for event in buffer {
            // At the event's own instant: a live backend times waits by the daemon's clock (`LiveBackend`).
            recorder.record(event, at: event.at.milliseconds(since: dayStart).asSeconds)
            switch event.kind {
            case .agentAdded(let profile):
                agents[agentSlot[profile.id]!].added = true
            case .agentStateChanged(let id, let state, let reason):
                guard let slot = agentSlot[id] else { break }
                agents[slot].change(to: state, reason: reason)
                if state == .loggedOut || state == .notReady { schedule(.present(slot), at: elapsed) }
            case .offered(let contact, let agent, _, _):
                guard let slot = agentSlot[agent] else { break }
                let draw = random.unit()
                let ring = scenario.offers.ringTime.sample(&random)
                if draw < scenario.offers.declineRate {
                    schedule(.answer(slot, contact, accept: false), at: elapsed + ring)
                } else if draw >= scenario.offers.declineRate + scenario.offers.missRate {
                    schedule(.answer(slot, contact, accept: true), at: elapsed + ring)
                }
            case .connected(let contact, let agent, _, _):
                guard let slot = agentSlot[agent], var simulated = contacts[contact] else { break }
                simulated.answeredAt = elapsed
                contacts[contact] = simulated
                agents[slot].active += 1
                let handle = scenario.arrivals[simulated.stream].handleTime.sample(&random)
                schedule(.complete(slot, contact), at: elapsed + handle)
                if let customer = simulated.profile.customerID, returning.count < 5_000 || random.unit() < 0.1 {
                    var profile = simulated.profile
                    profile.customerID = customer
                    if returning.count < 5_000 { returning.append((profile, agent)) } else { returning[Int(random.next() % 5_000)] = (profile, agent) }
                }
            case .completed(let contact, let agent, _, let outcome):
                guard let slot = agentSlot[agent] else { break }
                if outcome == .agentDisconnected {
                    agents[slot].active -= 1
                    contacts[contact] = nil
                    break
                }
                if recorder.wrapUpIsManual(contactQueue: recorder.queue(of: contact)) {
                    schedule(.endWrapUp(slot, contact), at: elapsed + scenario.wrapUp.sample(&random))
                }
            case .wrapUpEnded(let contact, let agent, _):
                // Every answered contact ends here, at once when its queue has no wrap-up; one whose agent was
                // disconnected was let go at `completed` already.
                guard contacts[contact] != nil, let slot = agentSlot[agent] else { break }
                agents[slot].active -= 1
                contacts[contact] = nil
                if !agents[slot].onShift { schedule(.present(slot), at: elapsed) }
            case .abandoned(let contact, _, _, _), .closed(let contact, _, _):
                contacts[contact] = nil
            case .overflowed(let contact, _, let to) where to == nil:
                contacts[contact] = nil
            default:
                break
            }
        }
    }

    private mutating func schedule(_ action: Action, at seconds: Double) {
        order += 1
        agenda.insert(Appointment(at: dayStart.adding(milliseconds: Int64((seconds * 1000).rounded())), order: order, action: action))
    }
}

enum Action {
    case arrival(stream: Int, scheduleNext: Bool)
    case shiftStart(Int), shiftEnd(Int), breakStart(Int), breakEnd(Int), outageStart(Int), outageEnd(Int)
    case answer(Int, ContactID, accept: Bool)
    case complete(Int, ContactID)
    case endWrapUp(Int, ContactID)
    case patienceRunsOut(ContactID)
    /// Presence follow-up to an engine event (e.g. back to ready after a `no-answer`), done as the next step
    /// rather than while the event is being read.
    case present(Int)
    case sample
}

/// Ordered by time, then by scheduling order: the same scenario and seed give the same run.
struct Appointment: Comparable {
    var at: Instant
    var order: UInt64
    var action: Action

    static func < (lhs: Appointment, rhs: Appointment) -> Bool { (lhs.at, lhs.order) < (rhs.at, rhs.order) }
    static func == (lhs: Appointment, rhs: Appointment) -> Bool { lhs.at == rhs.at && lhs.order == rhs.order }
}

struct SimulatedContact {
    var stream: Int
    var profile: CustomerProfile
    var arrivedAt: Double
    var answeredAt: Double?
}

/// One desktop: what the scenario wants of it (shift, break, outage) and the time it spent in each state.
struct SimulatedAgent {
    let id: AgentID
    let group: String
    let skills: [String: Int]
    var added = false
    var onShift = false
    var onBreak = false
    var inOutage = false
    var state = AgentState.loggedOut
    /// "ready", or the not-ready reason, as last reported.
    var presence = "logged_out"
    var active = 0
    var loggedIn: Bool { state != .loggedOut }
    var secondsByState = [Double](repeating: 0, count: AgentState.allCases.count)
    var since = dayStart

    mutating func change(to newState: AgentState, reason: String?) {
        state = newState
        switch newState {
        case .loggedOut: presence = "logged_out"
        case .notReady: presence = reason ?? "not_ready"
        case .ready: presence = "ready"
        case .reserved, .busy, .wrapUp: break
        }
    }

    mutating func account(until time: Instant) {
        secondsByState[state.rawValue] += time.milliseconds(since: since).asSeconds
        since = time
    }
}

extension Int64 {
    var asSeconds: Double { Double(self) / 1000 }
}
