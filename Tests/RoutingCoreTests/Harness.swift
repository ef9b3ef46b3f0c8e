import Testing
@testable import RoutingCore

/// Drives an engine through a scenario, checking after every step that sequence numbers are gapless and
/// every invariant holds.
final class Harness {
    var engine: RoutingEngine
    var clock = Instant(seconds: 1_700_000_000)
    var events: [Event] = []
    private var expectedSequence: UInt64 = 1

    init(_ rules: RuleSet, seed: UInt64 = 7) throws {
        engine = try RoutingEngine(rules: rules, seed: seed, startingAt: Instant(seconds: 1_700_000_000))
    }

    @discardableResult
    func run(_ command: Command, sourceLocation: SourceLocation = #_sourceLocation) -> [Event] {
        record(engine.handle(command, now: clock), sourceLocation: sourceLocation)
    }

    @discardableResult
    func wait(_ seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) -> [Event] {
        clock = clock.adding(milliseconds: Int64(seconds * 1000))
        return record(engine.advance(to: clock), sourceLocation: sourceLocation)
    }

    private func record(_ new: [Event], sourceLocation: SourceLocation) -> [Event] {
        for event in new {
            #expect(event.sequence == expectedSequence, "sequence gap", sourceLocation: sourceLocation)
            expectedSequence = event.sequence + 1
        }
        events += new
        let violations = engine.invariantViolations()
        #expect(violations.isEmpty, "\(violations)", sourceLocation: sourceLocation)
        return new
    }

    // MARK: Shortcuts

    func agent(_ id: AgentID, tenant: String = "t", team: String? = nil, skills: [String: Int], capacity: ChannelCapacity? = nil, ready: Bool = true) {
        run(.addAgent(AgentProfile(id: id, name: id.rawValue, tenant: tenant, team: team, skills: skills, capacity: capacity)))
        run(.login(id))
        if ready { run(.ready(id)) }
    }

    /// Submits and returns the new contact's id.
    @discardableResult
    func submit(
        _ queue: String, tenant: String = "t", channel: Channel = .voice, profile: CustomerProfile = .unknownCaller,
        skills: [String: Int] = [:], priority: Int = 0, sourceLocation: SourceLocation = #_sourceLocation
    ) -> ContactID? {
        let new = run(.submit(ContactSubmission(
            tenant: tenant, queue: queue, channel: channel, profile: profile, requiredSkills: skills, priority: priority)),
            sourceLocation: sourceLocation)
        for event in new {
            switch event.kind {
            case .queued(let id, _, _, _, _), .closed(let id, _, _): return id
            default: continue
            }
        }
        return nil
    }

    /// The agent each contact was offered to, in order, within `events`.
    static func offers(in events: [Event]) -> [(ContactID, AgentID)] {
        events.compactMap { if case .offered(let c, let a, _, _) = $0.kind { (c, a) } else { nil } }
    }

    func offers() -> [(ContactID, AgentID)] { Self.offers(in: events) }

    func lastOffer(to agent: AgentID) -> ContactID? {
        offers().last { $0.1 == agent }?.0
    }

    static func rejections(in events: [Event]) -> [RejectionCode] {
        events.compactMap { if case .commandRejected(let code, _) = $0.kind { code } else { nil } }
    }

    func state(of agent: AgentID) -> AgentState? { engine.agentStatistics(agent)?.state }
}

/// A small tenant for scenario tests: skills a/b/c, teams red/blue, queues defined by each test.
func rules(
    _ queues: [QueueRules], scoring: ScoringRules = ScoringRules(), defaults: AgentDefaults = AgentDefaults(),
    extraTenants: [TenantRules] = []
) -> RuleSet {
    RuleSet(tenants: [
        TenantRules(name: "t", skills: ["a", "b", "c", "spanish"], teams: ["red", "blue"], agentDefaults: defaults,
                    scoring: scoring, queues: queues)
    ] + extraTenants)
}
