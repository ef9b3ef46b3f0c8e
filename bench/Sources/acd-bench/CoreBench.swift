import ArgumentParser
import RoutingCore

/// Steady state: every agent who can work is busy, `queued` contacts wait, and each iteration one agent
/// completes (the engine picks its next contact: a routing decision), the desktop accepts, and a new contact
/// arrives, so the backlog stays put. Latency is that of the command that made the decision.
struct CoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Routing decisions per second and their latency on one thread, in virtual time.")

    @Option(help: "Agents, logged in and ready.") var agents = 10_000
    @Option(help: "Distinct skills.") var skills = 100
    @Option(help: "Queues, each requiring one or two skills.") var queues = 50
    @Option(help: "Contacts kept waiting.") var queued = 50_000
    @Option(help: "Decisions to measure.") var decisions = 1_000_000
    @Option(help: "Seed for the scenario and the engine.") var seed: UInt64 = 1
    @Flag(inversion: .prefixedNo, help: "Queues relax their skill requirement after 30 s and 90 s in queue.") var relaxation = true
    @Flag(help: "Also print the curve over 1k/10k/100k agents x 1k/100k/1M queued (200k decisions each).") var curve = false
    @Flag(inversion: .prefixedNo, help: "Ask the engine to start loading the next completion's records (RoutingEngine.prepare) before each one.")
    var prepare = true
    @Flag(inversion: .prefixedNo, help: "Run with glibc's heap on transparent huge pages (starts itself again with GLIBC_TUNABLES).")
    var hugePages = true

    func run() throws {
        if hugePages { HugePages.restartWithHugePagesIfNeeded() }
        let machineBefore = MachineSpeed.measure()
        if curve {
            for agentCount in [1_000, 10_000, 100_000] {
                for queuedCount in [1_000, 100_000, 1_000_000] {
                    var scenario = try Scenario(
                        agents: agentCount, skills: skills, queues: queues, queued: queuedCount, relaxation: relaxation, seed: seed)
                    let result = scenario.measure(decisions: 200_000, prepare: prepare)
                    print(result.line)
                }
            }
        }
        var scenario = try Scenario(agents: agents, skills: skills, queues: queues, queued: queued, relaxation: relaxation, seed: seed)
        var result = scenario.measure(decisions: decisions, prepare: prepare)
        result.machine = (machineBefore, MachineSpeed.measure())
        print(result.line)
        print(result.json)
    }
}

struct BenchResult {
    var agents, skills, queues, queued, decisions: Int
    var seconds: Double
    var p50, p90, p99, p999, max: Double
    var rssMiB, peakRssMiB: Double
    /// Of the resident memory, what is on transparent huge pages.
    var hugePagesMiB: Int
    var setupSeconds: Double
    /// Whether each completion was prepared (`RoutingEngine.prepare`) before its turn.
    var prepared: Bool
    /// Mean engine time per cycle (complete, accept, submit) by command, timers they fired included.
    var completeNs, acceptNs, submitNs: Int
    /// How fast the machine was meanwhile, measured before and after the run; nil for a cell of the curve.
    var machine: (before: MachineSpeed, after: MachineSpeed)?

    var decisionsPerSecond: Double { Double(decisions) / seconds }

    var line: String {
        "agents=\(agents) queued=\(queued) decisions/s=\(Int(decisionsPerSecond)) p50=\(p50)us p99=\(p99)us p99.9=\(p999)us max=\(max)us rss=\(Int(rssMiB))MiB huge pages=\(hugePagesMiB)MiB ns/cycle: complete=\(completeNs) accept=\(acceptNs) submit=\(submitNs) setup=\(String(format1: setupSeconds))s"
            + (machine.map { " reference loop=\($0.before.loopMilliseconds)/\($0.after.loopMilliseconds)ms memory=\($0.before.memoryNanoseconds)/\($0.after.memoryNanoseconds)ns" } ?? "")
    }

    var json: String {
        """
        {"bench":"core","agents":\(agents),"skills":\(skills),"queues":\(queues),"queued":\(queued),"decisions":\(decisions),\
        "decisions_per_sec":\(Int(decisionsPerSecond)),"p50_us":\(p50),"p90_us":\(p90),"p99_us":\(p99),"p999_us":\(p999),\
        "max_us":\(max),"rss_mb":\(Int(rssMiB)),"peak_rss_mb":\(Int(peakRssMiB)),"huge_pages_mb":\(hugePagesMiB),"prepared":\(prepared),\
        "reference_loop_ms":[\(machine?.before.loopMilliseconds ?? 0),\(machine?.after.loopMilliseconds ?? 0)],\
        "memory_latency_ns":[\(machine?.before.memoryNanoseconds ?? 0),\(machine?.after.memoryNanoseconds ?? 0)]}
        """
    }
}

extension String {
    init(format1 value: Double) { self = String(Double(Int(value * 10)) / 10) }
}

struct Scenario {
    var engine: RoutingEngine
    var random: SplitMix64
    var clock = Instant(seconds: 1_800_000_000)
    var busy: [(AgentID, ContactID)] = []
    var events: [Event] = []
    let agentCount, skillCount, queueCount, queuedTarget: Int
    var setupSeconds = 0.0
    /// Time inside the engine, accepts included: the divisor of decisions per second.
    var engineNanoseconds: UInt64 = 0
    /// Engine time by command, to show where a cycle goes.
    var completeNanoseconds: UInt64 = 0
    var acceptNanoseconds: UInt64 = 0
    var submitNanoseconds: UInt64 = 0

    init(agents: Int, skills: Int, queues: Int, queued: Int, relaxation: Bool, seed: UInt64) throws {
        agentCount = agents
        skillCount = skills
        queueCount = queues
        queuedTarget = queued
        random = SplitMix64(seed: seed)
        let start = monotonicNanoseconds()
        let skillNames = (0..<skills).map { "s\($0)" }
        let strategies = AgentSelectionStrategy.allCases
        var generator = SplitMix64(seed: seed &+ 1)
        let queueRules = (0..<queues).map { q -> QueueRules in
            var required = [skillNames[Int(generator.next() % UInt64(skills))]: 5]
            if generator.next() % 3 == 0 { required[skillNames[Int(generator.next() % UInt64(skills))]] = 4 }
            return QueueRules(
                name: "q\(q)", skills: required,
                relaxation: relaxation ? [RelaxationStep(afterSeconds: 30, minProficiency: 3), RelaxationStep(afterSeconds: 90, minProficiency: 1)] : [],
                offerTimeoutSeconds: 30, strategy: strategies[q % strategies.count])
        }
        let tenant = TenantRules(
            name: "bench", skills: skillNames,
            scoring: ScoringRules(tierBoost: ["gold": 60], lifetimeValueWeight: 0.001, churnRiskBoost: 30, strictTiers: ["vip"]),
            queues: queueRules)
        engine = try RoutingEngine(rules: RuleSet(tenants: [tenant]), seed: seed)
        for a in 0..<agents {
            let count = 3 + Int(generator.next() % 6)
            var agentSkills: [String: Int] = [:]
            while agentSkills.count < count {
                agentSkills[skillNames[Int(generator.next() % UInt64(skills))]] = 1 + Int(generator.next() % 10)
            }
            let id = AgentID("a\(a)")
            step(.addAgent(AgentProfile(id: id, name: id.rawValue, tenant: "bench", skills: agentSkills)))
            step(.login(id))
            step(.ready(id))
        }
        // Fill: contacts first go to idle agents (accepted at once), then pile up to the target backlog. They
        // arrive one per millisecond, the rate of the measurement, so that the backlog's ages (and relaxation
        // steps) are those of the steady state rather than one burst due at the same instant.
        while engine.liveContactCount - busy.count < queued {
            clock = clock.adding(milliseconds: 1)
            submitContact()
        }
        setupSeconds = Double(monotonicNanoseconds() - start) / 1e9
    }

    private mutating func step(_ command: Command) {
        events.removeAll(keepingCapacity: true)
        engine.handle(command, now: clock, into: &events)
    }

    /// Accepts every offer in `events` like a desktop would; returns how many decisions they were.
    private mutating func acceptOffers() -> Int {
        var offers: [(ContactID, AgentID)] = []
        for event in events {
            if case .offered(let contact, let agent, _, _) = event.kind { offers.append((contact, agent)) }
        }
        for (contact, agent) in offers {
            let start = monotonicNanoseconds()
            step(.accept(agent, contact))
            let elapsed = monotonicNanoseconds() - start
            engineNanoseconds += elapsed
            acceptNanoseconds += elapsed
            busy.append((agent, contact))
        }
        return offers.count
    }

    private mutating func submitContact() {
        let roll = random.next() % 100
        let profile = CustomerProfile(
            tier: roll < 2 ? "vip" : roll < 15 ? "gold" : nil, lifetimeValue: Double(random.next() % 20_000),
            churnRisk: Double(random.next() % 100) / 100)
        step(.submit(ContactSubmission(tenant: "bench", queue: "q\(random.next() % UInt64(queueCount))", channel: .voice,
                                       profile: profile, priority: Int(random.next() % 3))))
        _ = acceptOffers()
    }

    private mutating func takeRandomBusy() -> (AgentID, ContactID)? {
        guard !busy.isEmpty else { return nil }
        let index = Int(random.next() % UInt64(busy.count))
        busy.swapAt(index, busy.count - 1)
        return busy.removeLast()
    }

    mutating func measure(decisions target: Int, prepare: Bool) -> BenchResult {
        var latencies = LatencySamples(capacity: target + 16)
        var decisions = 0
        engineNanoseconds = 0
        (completeNanoseconds, acceptNanoseconds, submitNanoseconds) = (0, 0, 0)
        var cycles = 0
        // A random busy agent completes: the engine's decision is which contact that agent takes next. Each
        // completion is drawn one cycle ahead, as a driver holding a batch of commands knows the next one.
        var next = takeRandomBusy()
        while decisions < target, let (agent, contact) = next {
            cycles += 1
            clock = clock.adding(milliseconds: 1)
            next = takeRandomBusy()
            events.removeAll(keepingCapacity: true)
            let t0 = monotonicNanoseconds()
            if prepare, let (nextAgent, nextContact) = next { engine.prepare(.complete(nextAgent, nextContact)) }
            engine.handle(.complete(agent, contact), now: clock, into: &events)
            let t1 = monotonicNanoseconds()
            engineNanoseconds += t1 - t0
            completeNanoseconds += t1 - t0
            let made = acceptOffers()
            if made > 0 { latencies.record(t1 - t0) }
            decisions += made
            // A new arrival keeps the backlog level; if an idle agent qualifies, routing it is a decision too.
            let roll = random.next() % 100
            let profile = CustomerProfile(tier: roll < 2 ? "vip" : roll < 15 ? "gold" : nil,
                                          lifetimeValue: Double(random.next() % 20_000), churnRisk: Double(random.next() % 100) / 100)
            // Built before the clock starts: making the caller's submission (its queue name is interpolated) is
            // not the engine's work.
            let submission = ContactSubmission(tenant: "bench", queue: "q\(random.next() % UInt64(queueCount))", channel: .voice,
                                               profile: profile, priority: Int(random.next() % 3))
            events.removeAll(keepingCapacity: true)
            let t2 = monotonicNanoseconds()
            engine.handle(.submit(submission), now: clock, into: &events)
            let t3 = monotonicNanoseconds()
            engineNanoseconds += t3 - t2
            submitNanoseconds += t3 - t2
            let routed = acceptOffers()
            if routed > 0 { latencies.record(t3 - t2) }
            decisions += routed
        }
        let p = latencies.percentilesMicroseconds([0.5, 0.9, 0.99, 0.999, 1.0])
        let memory = residentMemoryMiB()
        return BenchResult(
            agents: agentCount, skills: skillCount, queues: queueCount, queued: engine.liveContactCount - busy.count,
            decisions: decisions, seconds: Double(engineNanoseconds) / 1e9,
            p50: p[0], p90: p[1], p99: p[2], p999: p[3], max: p[4], rssMiB: memory.current, peakRssMiB: memory.peak,
            hugePagesMiB: HugePages.anonymousHugePagesMiB(),
            setupSeconds: setupSeconds, prepared: prepare, completeNs: Int(completeNanoseconds) / max(cycles, 1),
            acceptNs: Int(acceptNanoseconds) / max(cycles, 1), submitNs: Int(submitNanoseconds) / max(cycles, 1))
    }
}
