import ACDClient
import ACDProtocol
import Foundation
import RoutingCore
import ZeroMQ

/// A running acdd, over ZeroMQ, in real time (optionally sped up): the player's commands become requests from
/// an IVR and from the desktops, and the daemon's events come back on the events endpoint. Submissions and agent
/// additions wait for their reply (the player needs the contact id); everything else is pipelined.
public struct LiveBackend: RoutingBackend {
    public struct Endpoints: Sendable {
        public var contacts, agents, events, admin: String
        public init(host: String) {
            contacts = "tcp://\(host):5570"
            agents = "tcp://\(host):5571"
            events = "tcp://\(host):5572"
            admin = "tcp://\(host):5573"
        }
    }

    private let ivr: IVRConnection
    private let desktops: DesktopConnection
    let admin: AdminConnection
    private let events: EventSubscription
    private let speedup: Double
    private let wallStart = ContinuousClock.now
    private let wallStartEpochMilliseconds: Int64
    /// Contacts received and not yet answered or gone, by queue: the charts' queue length.
    private var inQueue: [UInt64: String] = [:]
    private var waitingByQueue: [String: Int] = [:]
    /// When each contact still waiting was submitted (scenario time) and received by the daemon (its clock): its
    /// offers and the end of its wait are timed by the daemon, as its call cards and statistics are, not by when
    /// the events reached the simulator. Timed here, every contact answered at once had waited the round trip, and
    /// 81 % of a 500-agent run "waited" where Erlang C predicts none.
    private var submittedAt: [UInt64: Instant] = [:]
    private var receivedByDaemonAt: [UInt64: Int64] = [:]
    /// Submissions the daemon accepted (queued or closed), and what came back on the event stream, for the
    /// reconciliation with the daemon's own statistics.
    private(set) var accepted = 0
    private(set) var observed: [String: Int] = [:]
    /// The daemon's waits of the contacts answered, added up (milliseconds of real time).
    private(set) var answeredWaitMilliseconds: Int64 = 0
    private(set) var refusals: [String: Int] = [:]
    private(set) var lastSequence: UInt64 = 0
    private(set) var gaps = 0
    /// Desktop requests awaiting their reply, to name the one a refusal answers.
    private var pendingRequests: [String: String] = [:]
    /// Logged-in desktops, which send a heartbeat every 10 s as real ones do: a long call is no silence.
    private var loggedIn: Set<String> = []
    private var nextHeartbeat = ContinuousClock.now
    private var steps = 0
    private var lateSteps = 0
    private var maximumLateness = Duration.zero
    var notes: [String] = []

    public init(endpoints: Endpoints, speedup: Double) throws {
        let context = try ZMQContext()
        ivr = try IVRConnection(context: context, endpoint: endpoints.contacts, name: "sim-ivr")
        desktops = try DesktopConnection(context: context, endpoint: endpoints.agents, name: "sim-desk")
        admin = try AdminConnection(context: context, endpoint: endpoints.admin, name: "sim-admin")
        events = try EventSubscription(context: context, endpoint: endpoints.events, topics: ["all"])
        self.speedup = speedup
        wallStartEpochMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
    }

    public mutating func handle(_ command: Command, now: Instant, into produced: inout [Event]) {
        do {
            switch command {
            case .addAgent(let profile):
                let reply = try admin.call(.addAgent(Acd_V1_AgentProfile(profile)))
                if case .error(let error)? = reply.body, error.code != "agent_already_exists" {
                    produced.append(Event(sequence: 0, at: now, kind: .commandRejected(.fieldOutOfRange, message: error.message)))
                } else {
                    produced.append(Event(sequence: 0, at: now, kind: .agentAdded(profile)))
                }
            case .submit(let submission):
                let request = Acd_V1_SubmitContact.with {
                    $0.tenant = submission.tenant
                    $0.queue = submission.queue
                    $0.channel = Acd_V1_Channel(submission.channel)
                    $0.customerID = submission.profile.customerID ?? ""
                    $0.requiredSkills = submission.requiredSkills.mapValues { Int32($0) }
                    $0.priority = Int32(submission.priority)
                }
                let (reply, others) = try ivr.call(.with { $0.submit = request }, build: { $0.requestID = $1 }, id: \.requestID)
                for other in others { if case .error(let error)? = other.body { refused(error) } }
                switch reply.body {
                case .queued(let queued)?:
                    accepted += 1
                    submittedAt[queued.contactID] = now
                    produced.append(Event(sequence: 0, at: now, kind: .received(ContactID(queued.contactID), submission)))
                case .closed(let closed)?:
                    accepted += 1
                    produced.append(Event(sequence: 0, at: now, kind: .received(ContactID(closed.contactID), submission)))
                case .error(let error)?:
                    refused(error)
                default:
                    break
                }
            case .login(let agent): try desk(agent, .login(.init()), command)
            case .logout(let agent, let force): try desk(agent, .logout(.with { $0.force = force }), command)
            case .ready(let agent): try desk(agent, .ready(.init()), command)
            case .notReady(let agent, let reason): try desk(agent, .notReady(.with { $0.reason = reason }), command)
            case .accept(let agent, let contact): try desk(agent, .accept(.with { $0.contactID = contact.rawValue }), command)
            case .decline(let agent, let contact): try desk(agent, .decline(.with { $0.contactID = contact.rawValue }), command)
            case .complete(let agent, let contact): try desk(agent, .complete(.with { $0.contactID = contact.rawValue }), command)
            case .endWrapUp(let agent, let contact): try desk(agent, .endWrapUp(.with { $0.contactID = contact.rawValue }), command)
            case .abandon(let contact): _ = try ivr.abandon(contact.rawValue)
            default: break
            }
        } catch {
            refusals["transport", default: 0] += 1
            notes.append("live: \(command) failed: \(error)")
        }
    }

    private mutating func desk(_ agent: AgentID, _ body: Acd_V1_AgentRequest.OneOf_Body, _ command: Command) throws {
        pendingRequests[try desktops.send(agent.rawValue, body)] = "\(command)"
    }

    public var nextTimerDue: Instant? { nil }

    public mutating func advance(to time: Instant, into produced: inout [Event]) -> Instant {
        let target = wallStart + .milliseconds(Double(time.milliseconds(since: dayStart)) / speedup)
        while true {
            collectReplies()
            sendHeartbeats()
            let arrived = (try? events.events()) ?? []
            if !arrived.isEmpty {
                for event in arrived { take(event, into: &produced) }
                return min(time, scenarioTime(ContinuousClock.now))
            }
            let remaining = target - ContinuousClock.now
            if remaining <= .zero { return time }
            let wait = Int(min(remaining, .milliseconds(20)) / .milliseconds(1))
            try? waitForTraffic([events.pollable, desktops.pollable, ivr.pollable], timeoutMilliseconds: max(1, wait))
        }
    }

    private mutating func sendHeartbeats() {
        guard ContinuousClock.now >= nextHeartbeat else { return }
        nextHeartbeat = ContinuousClock.now + .seconds(10)
        for agent in loggedIn.sorted() {
            if let id = try? desktops.send(agent, .heartbeat(.init())) { pendingRequests[id] = "heartbeat(\(agent))" }
        }
    }

    public mutating func performing(appointmentDueAt time: Instant) {
        steps += 1
        let due = wallStart + .milliseconds(Double(time.milliseconds(since: dayStart)) / speedup)
        let lateness = ContinuousClock.now - due
        if lateness > maximumLateness { maximumLateness = lateness }
        if lateness > .seconds(1) { lateSteps += 1 }
    }

    public func waiting(tenant: String, queue: String) -> Int { waitingByQueue[queue] ?? 0 }

    public var summary: [String] {
        var lines = notes
        let late = lateSteps == 0
            ? "kept to its schedule: \(steps) steps, none more than 1 s late (worst \(maximumLateness))"
            : "FELL BEHIND its schedule: \(lateSteps) of \(steps) steps more than 1 s late (worst \(maximumLateness))"
        lines.insert("live: \(late)", at: 0)
        return lines
    }

    private func scenarioTime(_ wall: ContinuousClock.Instant) -> Instant {
        dayStart.adding(milliseconds: Int64(Double((wall - wallStart) / .milliseconds(1)) * speedup))
    }

    private mutating func take(_ event: Acd_V1_Event, into produced: inout [Event]) {
        if lastSequence != 0, event.sequence != lastSequence + 1 { gaps += 1 }
        lastSequence = event.sequence
        guard let kind = EventKind(wire: event) else { return }
        switch kind {
        case .received(let id, let submission):
            observed["received", default: 0] += 1
            inQueue[id.rawValue] = submission.queue
            waitingByQueue[submission.queue, default: 0] += 1
            receivedByDaemonAt[id.rawValue] = event.atMs
            // The player learnt of this contact from the submission's reply already.
            return
        case .offered(let id, _, _, _):
            let waited = receivedByDaemonAt[id.rawValue].map { event.atMs - $0 }
            produced.append(Event(sequence: event.sequence, at: instant(of: id, afterWaiting: waited), kind: kind))
            return
        case .connected(let id, _, _, let wait):
            observed["answered", default: 0] += 1
            answeredWaitMilliseconds += wait
            leaveQueue(id)
            produced.append(Event(sequence: event.sequence, at: endOfWait(id, waited: wait), kind: kind))
            return
        case .abandoned(let id, _, let wait, let outcome):
            observed[outcome == .abandoned ? "abandoned" : "cancelled", default: 0] += 1
            leaveQueue(id)
            produced.append(Event(sequence: event.sequence, at: endOfWait(id, waited: wait), kind: kind))
            return
        case .overflowed(let id, _, nil):
            observed["overflowed_to_ivr", default: 0] += 1
            leaveQueue(id)
            let wait = receivedByDaemonAt[id.rawValue].map { event.atMs - $0 }
            produced.append(Event(sequence: event.sequence, at: endOfWait(id, waited: wait), kind: kind))
            return
        case .closed(let id, _, _):
            observed["closed", default: 0] += 1
            leaveQueue(id)
            receivedByDaemonAt[id.rawValue] = nil
        case .completed:
            observed["completed", default: 0] += 1
        case .agentStateChanged(let agent, let state, _):
            if state == .loggedOut { loggedIn.remove(agent.rawValue) } else { loggedIn.insert(agent.rawValue) }
        case .agentAdded:
            // The player learnt of additions from the admin reply.
            return
        default:
            break
        }
        produced.append(Event(sequence: event.sequence, at: scenarioTime(.now), kind: kind))
    }

    private mutating func leaveQueue(_ id: ContactID) {
        if let queue = inQueue.removeValue(forKey: id.rawValue) { waitingByQueue[queue, default: 1] -= 1 }
    }

    /// The scenario instant a contact had waited `waited` milliseconds at, as the daemon timed them (real time,
    /// so sped up as the scenario's clock is): its submission plus that; now if either is unknown.
    private func instant(of id: ContactID, afterWaiting waited: Int64?) -> Instant {
        guard let submitted = submittedAt[id.rawValue], let waited else { return scenarioTime(.now) }
        return submitted.adding(milliseconds: Int64((Double(max(0, waited)) * speedup).rounded()))
    }

    /// As `instant(of:afterWaiting:)`, for the end of the contact's wait, which ends once.
    private mutating func endOfWait(_ id: ContactID, waited: Int64?) -> Instant {
        defer {
            submittedAt[id.rawValue] = nil
            receivedByDaemonAt[id.rawValue] = nil
        }
        return instant(of: id, afterWaiting: waited)
    }

    private mutating func collectReplies() {
        for reply in (try? desktops.replies()) ?? [] {
            let request = pendingRequests.removeValue(forKey: reply.requestID)
            if case .error(let error)? = reply.body { refused(error, request: request) }
        }
        for reply in (try? ivr.replies()) ?? [] {
            if case .error(let error)? = reply.body { refused(error) }
        }
    }

    /// Counts a refusal; the first few are quoted in the report, to tell a scenario's races from a fault.
    private mutating func refused(_ error: Acd_V1_Error, request: String? = nil) {
        refusals[error.code, default: 0] += 1
        if refusals.values.reduce(0, +) <= 5 {
            notes.append("live: refused\(request.map { " " + $0 } ?? ""): \(error.code): \(error.message)")
        }
    }

    /// Reads every event up to the daemon's latest, so that what was observed can be compared with its totals.
    mutating func catchUp(to sequence: UInt64, timeout: Duration = .seconds(10)) {
        var ignored: [Event] = []
        let deadline = ContinuousClock.now + timeout
        while lastSequence < sequence, ContinuousClock.now < deadline {
            try? waitForTraffic([events.pollable], timeoutMilliseconds: 50)
            for event in (try? events.events()) ?? [] { take(event, into: &ignored) }
        }
        collectReplies()
    }
}
