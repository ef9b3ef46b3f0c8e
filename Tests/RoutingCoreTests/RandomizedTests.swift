import Testing
@testable import RoutingCore

/// Random but plausible traffic: agents come and go, contacts arrive on every channel, desktops accept,
/// decline, miss, complete; customers abandon; rules are swapped. Half-valid commands are on purpose.
struct TrafficGenerator {
    var random: SplitMix64
    var contacts: [ContactID] = []
    var offered: [ContactID: AgentID] = [:]
    var connected: [ContactID: AgentID] = [:]
    var wrapping: [ContactID: AgentID] = [:]
    let agentIDs: [AgentID] = (0..<24).map { AgentID("agent-\($0)") }
    let queueNames = ["voice-billing", "voice-tech", "chat", "email", "callback", "vip", "backup"]

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static func rules(variant: Int = 0) -> RuleSet {
        let scoring = ScoringRules(priorityWeight: 10, tierBoost: ["gold": 60], lifetimeValueWeight: 0.001,
                                   churnRiskBoost: 50, agingPerSecond: 1, strictTiers: ["vip"])
        let queues = [
            QueueRules(name: "voice-billing", skills: ["billing": 6], relaxation: [
                RelaxationStep(afterSeconds: 20, minProficiency: 3), RelaxationStep(afterSeconds: 60, addTeams: ["care"]),
            ], maxWaitSeconds: 240, overflow: .queue("backup"), offerTimeoutSeconds: 8, wrapUp: .timed(seconds: 10),
                       strategy: .longestIdle, preferredAgentWaitSeconds: 15),
            QueueRules(name: "voice-tech", skills: ["tech": 5 + variant], relaxation: [RelaxationStep(afterSeconds: 45, dropSkills: ["tech"])],
                       serviceLevel: ServiceLevelTarget(percent: 80, seconds: 10 + 15 * variant), offerTimeoutSeconds: 10,
                       strategy: .highestProficiency, weight: 1.5, declineBlockSeconds: 30),
            QueueRules(name: "chat", channel: .chat, skills: ["chat": 2], strategy: .leastOccupied),
            QueueRules(name: "email", channel: .email, wrapUp: .manual, strategy: .fewestContacts),
            QueueRules(name: "callback", channel: .callback, strategy: .roundRobin),
            QueueRules(name: "vip", skills: ["billing": 8], maxSize: 5, strategy: .random, weight: 3),
            QueueRules(name: "backup", maxWaitSeconds: 120, overflow: .ivr),
        ]
        let other = TenantRules(name: "other", skills: ["billing"], queues: [QueueRules(name: "chat", channel: .chat)])
        return RuleSet(tenants: [
            TenantRules(name: "main", skills: ["billing", "tech", "chat", "spanish"], teams: ["care", "sales"],
                        agentDefaults: AgentDefaults(maxMissedOffers: 2), scoring: scoring, queues: queues,
                        statisticsWindowSeconds: 60 + 60 * variant),
            other,
        ])
    }

    mutating func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int(random.next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func level() -> Int { Int(random.next() % 10) + 1 }

    mutating func nextCommand() -> Command {
        let agent = pick(agentIDs)!
        switch random.next() % 100 {
        case 0..<6:
            let skills = ["billing": level(), "tech": level(), "chat": level()].filter { _ in chance(70) }
            let tenant = chance(10) ? "other" : "main"
            return .addAgent(AgentProfile(id: agent, name: agent.rawValue, tenant: tenant, team: tenant == "main" ? pick(["care", "sales"]) : nil,
                                          skills: tenant == "main" ? skills : [:]))
        case 6..<10: return .login(agent)
        case 10..<18: return .ready(agent)
        case 18..<21: return .notReady(agent, reason: pick(["break", "lunch", "training"])!)
        case 21..<23: return .logout(agent, force: chance(50))
        case 23..<24: return .removeAgent(agent)
        case 24..<25: return .setSkills(agent, skills: ["billing": level(), "tech": level()])
        case 25..<50:
            let queue = pick(queueNames)!
            let channel: Channel = switch queue {
            case "chat": .chat
            case "email": .email
            case "callback": .callback
            default: chance(3) ? .chat : .voice
            }
            let profile = CustomerProfile(tier: pick(["vip", "gold", nil, nil, nil])!, lifetimeValue: Double(random.next() % 50_000),
                                          churnRisk: Double(random.next() % 100) / 100, lastAgent: chance(20) ? pick(agentIDs) : nil)
            let tenant = queue == "chat" && chance(20) ? "other" : "main"
            return .submit(ContactSubmission(tenant: tenant, queue: queue, channel: channel, profile: profile,
                                             requiredSkills: chance(10) ? ["spanish": 1] : [:], priority: Int(random.next() % 5)))
        case 50..<62:
            if let (contact, owner) = pick(Array(offered)) { return .accept(chance(95) ? owner : agent, contact) }
        case 62..<66:
            if let (contact, owner) = pick(Array(offered)) { return .decline(owner, contact) }
        case 66..<78:
            if let (contact, owner) = pick(Array(connected)) { return .complete(owner, contact) }
        case 78..<82:
            if let (contact, owner) = pick(Array(wrapping)) { return .endWrapUp(owner, contact) }
        case 82..<88:
            if let contact = pick(contacts) { return .abandon(contact) }
        case 88..<90:
            if let contact = pick(contacts) { return .cancel(contact) }
        case 90..<92:
            if let contact = pick(contacts) { return .requestCallback(contact, number: "+3460000\(random.next() % 1000)") }
        case 92..<93:
            return .replaceRules(Self.rules(variant: Int(random.next() % 3)))
        default:
            break
        }
        return .ready(agent)
    }

    /// Tracks what desktops would know from the event stream.
    mutating func observe(_ events: [Event]) {
        for event in events {
            switch event.kind {
            case .queued(let id, _, _, _, _): contacts.append(id)
            case .offered(let id, let agent, _, _): offered[id] = agent
            case .declined(let id, _), .offerTimedOut(let id, _): offered[id] = nil
            case .connected(let id, let agent, _, _):
                offered[id] = nil
                connected[id] = agent
            case .completed(let id, let agent, _, _):
                connected[id] = nil
                wrapping[id] = agent
            case .wrapUpEnded(let id, _, _):
                wrapping[id] = nil
            case .abandoned(let id, _, _, _), .overflowed(let id, _, nil):
                offered[id] = nil
                contacts.removeAll { $0 == id }
            default:
                break
            }
        }
    }

    /// Seconds to the next command: mostly sub-second bursts, sometimes long quiet spells that fire timers.
    mutating func pause() -> Int64 {
        chance(5) ? Int64(random.next() % 120_000) : Int64(random.next() % 2_000)
    }
}

struct LoggedCommand {
    var command: Command
    var at: Instant
}

@Suite struct RandomizedTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func invariantsHoldAfterEveryStepOfRandomTraffic(seed: UInt64) throws {
        let h = try Harness(TrafficGenerator.rules(), seed: seed)
        var traffic = TrafficGenerator(seed: seed)
        for _ in 0..<2_500 {
            h.clock = h.clock.adding(milliseconds: traffic.pause())
            traffic.observe(h.wait(0))
            traffic.observe(h.run(traffic.nextCommand()))
        }
        #expect(h.engine.accounting.isBalanced)
        #expect(h.engine.accounting.completed > 50, "the traffic mix must reach completions: \(h.engine.accounting)")
        #expect(h.engine.accounting.abandoned > 10)
        var kinds: [String: Int] = [:]
        for event in h.events { kinds[String(describing: event.kind).prefix { $0 != "(" }.description, default: 0] += 1 }
        for kind in ["offerTimedOut", "declined", "overflowed", "rulesReplaced", "wrapUpEnded", "callbackRequested", "commandRejected"] {
            #expect(kinds[kind, default: 0] > 0, "random traffic never produced \(kind): \(kinds)")
        }

        // Every contact the engine accepted ends exactly once, or is still live.
        // Every accepted contact is `received` once, before anything else is said about it.
        var accepted: Set<ContactID> = []
        var ended: [ContactID: Int] = [:]
        for event in h.events {
            switch event.kind {
            case .received(let id, _):
                #expect(accepted.insert(id).inserted, "contact \(id) received twice")
            case .queued(let id, _, _, _, _):
                #expect(accepted.contains(id), "contact \(id) queued before it was received")
            case .closed(let id, _, _):
                #expect(accepted.contains(id), "contact \(id) closed before it was received")
                ended[id, default: 0] += 1
            case .abandoned(let id, _, _, _), .overflowed(let id, _, nil): ended[id, default: 0] += 1
            case .completed(let id, _, _, _): ended[id, default: 0] += 1
            default: break
            }
        }
        #expect(accepted.count == h.engine.accounting.accepted)
        #expect(ended.values.allSatisfy { $0 == 1 })
        // A completed contact stays live only through its wrap-up.
        let endedButLive = ended.keys.filter { h.engine.contactStatus($0) != nil }
        #expect(endedButLive.allSatisfy { h.engine.contactStatus($0)?.phase == .wrapUp })
        #expect(ended.count - endedButLive.count + h.engine.liveContactCount == accepted.count)
    }

    @Test func replayingTheSameCommandLogGivesTheSameEventsAndState() throws {
        let rules = TrafficGenerator.rules()
        var original = try RoutingEngine(rules: rules, seed: 99)
        var traffic = TrafficGenerator(seed: 99)
        var log: [LoggedCommand] = []
        var originalEvents: [Event] = []
        var clock = Instant(seconds: 1_700_000_000)
        for _ in 0..<20_000 {
            clock = clock.adding(milliseconds: traffic.pause())
            let command = traffic.nextCommand()
            log.append(LoggedCommand(command: command, at: clock))
            let events = original.handle(command, now: clock)
            traffic.observe(events)
            originalEvents += events
        }
        var replica = try RoutingEngine(rules: rules, seed: 99)
        var replayedEvents: [Event] = []
        for entry in log { replayedEvents += replica.handle(entry.command, now: entry.at) }
        #expect(replayedEvents.count == originalEvents.count)
        #expect(replayedEvents == originalEvents)
        #expect(replica.stateDigest() == original.stateDigest())
        #expect(replica.invariantViolations().isEmpty)

        // A driver that prepares each next command before handing the engine this one changes nothing.
        var prepared = try RoutingEngine(rules: rules, seed: 99)
        var preparedEvents: [Event] = []
        for (index, entry) in log.enumerated() {
            if index + 1 < log.count { prepared.prepare(log[index + 1].command) }
            preparedEvents += prepared.handle(entry.command, now: entry.at)
        }
        #expect(preparedEvents == originalEvents)
        #expect(prepared.stateDigest() == original.stateDigest())

        // A different seed changes the random strategy's choices, and so the state.
        var other = try RoutingEngine(rules: rules, seed: 100)
        for entry in log { _ = other.handle(entry.command, now: entry.at) }
        #expect(other.stateDigest() != original.stateDigest())
    }

    /// An engine is a value: a copy taken mid-run is untouched by what the original does next, and goes on from
    /// there as the original did. The record arrays copy on the first command after the copy, not at each write.
    @Test func aCopiedEngineKeepsItsOwnStateAndGoesOnTheSameWay() throws {
        var original = try RoutingEngine(rules: TrafficGenerator.rules(), seed: 5)
        var traffic = TrafficGenerator(seed: 5)
        var clock = Instant(seconds: 1_700_000_000)
        var rest: [LoggedCommand] = []
        var fork: RoutingEngine?
        var digestAtFork: StateDigest?
        for step in 0..<6_000 {
            clock = clock.adding(milliseconds: traffic.pause())
            let command = traffic.nextCommand()
            if step == 3_000 {
                fork = original
                digestAtFork = original.stateDigest()
            }
            if fork != nil { rest.append(LoggedCommand(command: command, at: clock)) }
            traffic.observe(original.handle(command, now: clock))
        }
        var copy = try #require(fork)
        #expect(copy.stateDigest() == digestAtFork)
        #expect(copy.stateDigest() != original.stateDigest())
        for entry in rest { _ = copy.handle(entry.command, now: entry.at) }
        #expect(copy.stateDigest() == original.stateDigest())
        #expect(copy.invariantViolations().isEmpty)
    }
}
