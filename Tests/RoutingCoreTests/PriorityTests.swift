import Testing
@testable import RoutingCore

@Suite struct PriorityTests {
    let scoring = ScoringRules(priorityWeight: 10, tierBoost: ["gold": 100], lifetimeValueWeight: 0.01,
                               churnRiskBoost: 200, agingPerSecond: 1, strictTiers: ["vip"])

    @Test func vipJumpsAheadOfEveryOrdinaryContactWhateverTheirWait() throws {
        let h = try Harness(rules([QueueRules(name: "q")], scoring: scoring))
        let ordinary = try #require(h.submit("q", profile: CustomerProfile(tier: "gold", lifetimeValue: 1_000_000)))
        h.wait(3_600)
        let vip = try #require(h.submit("q", profile: CustomerProfile(tier: "vip")))
        #expect(h.engine.contactStatus(vip)?.position == 1)
        #expect(h.engine.contactStatus(ordinary)?.position == 2)
        h.agent("ann", skills: [:])
        #expect(h.lastOffer(to: "ann") == vip)
    }

    /// The first strict tier listed ranks highest, whatever the waits; a tier the rules do not name counts as none.
    @Test func strictTiersRankInTheOrderListed() throws {
        let tiers = ScoringRules(priorityWeight: 0, tierBoost: ["gold": 100], agingPerSecond: 1, strictTiers: ["platinum", "vip"])
        let h = try Harness(rules([QueueRules(name: "q")], scoring: tiers))
        let unknownTier = try #require(h.submit("q", profile: CustomerProfile(tier: "bronze")))
        h.wait(50)
        let gold = try #require(h.submit("q", profile: CustomerProfile(tier: "gold")))  // +100 points beat 50 s
        h.wait(100)
        let vip = try #require(h.submit("q", profile: CustomerProfile(tier: "vip")))
        h.wait(100)
        let platinum = try #require(h.submit("q", profile: CustomerProfile(tier: "platinum")))
        let laterVIP = try #require(h.submit("q", profile: CustomerProfile(tier: "vip")))
        for (position, contact) in [platinum, vip, laterVIP, gold, unknownTier].enumerated() {
            #expect(h.engine.contactStatus(contact)?.position == position + 1)
        }
    }

    @Test func valueBoostsAreWorthSecondsOfWaiting() throws {
        let h = try Harness(rules([QueueRules(name: "q")], scoring: scoring))
        let early = try #require(h.submit("q"))
        h.wait(50)
        let gold = try #require(h.submit("q", profile: CustomerProfile(tier: "gold")))  // +100 points = 100 s of waiting
        h.wait(10)
        let risky = try #require(h.submit("q", profile: CustomerProfile(churnRisk: 0.2)))  // +40 points
        h.agent("ann", skills: [:])
        #expect(h.lastOffer(to: "ann") == gold)
        h.run(.accept("ann", gold))
        h.run(.complete("ann", gold))
        #expect(h.lastOffer(to: "ann") == early, "60 s more waiting outweighs a +40 churn boost")
        h.run(.accept("ann", early))
        h.run(.complete("ann", early))
        #expect(h.lastOffer(to: "ann") == risky)
    }

    @Test func priorityFieldCountsAndIsRangeChecked() throws {
        let h = try Harness(rules([QueueRules(name: "q")], scoring: scoring))
        _ = h.submit("q")
        let urgent = try #require(h.submit("q", priority: 5))
        #expect(h.engine.contactStatus(urgent)?.position == 1)
        let events = h.run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, priority: 1_000)))
        #expect(Harness.rejections(in: events) == [.fieldOutOfRange])
    }

    @Test func agentServingSeveralQueuesTakesTheWeightedBestAcrossThem() throws {
        let h = try Harness(rules([
            QueueRules(name: "normal", weight: 1),
            QueueRules(name: "premium", weight: 3),
        ], scoring: ScoringRules(priorityWeight: 0, agingPerSecond: 1)))
        let normal = try #require(h.submit("normal"))
        h.wait(20)
        let premium = try #require(h.submit("premium"))
        h.wait(10)
        // normal: 30 points x 1; premium: 10 points x 3 = 30, equal: the older contact goes first.
        h.agent("ann", skills: [:])
        #expect(h.lastOffer(to: "ann") == normal)
        h.run(.accept("ann", normal))
        h.run(.complete("ann", normal))
        #expect(h.lastOffer(to: "ann") == premium)
    }

    @Test func positionAndWaitEstimateFollowStaffingAndHandleTime() throws {
        let h = try Harness(rules([QueueRules(name: "q", expectedHandleSeconds: 300)]))
        h.agent("ann", skills: [:])
        h.agent("bob", skills: [:])
        _ = h.submit("q")
        _ = h.submit("q")
        let queuedEvents = h.run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        let estimate = queuedEvents.compactMap { if case .queued(_, _, _, let position, let ewt) = $0.kind { (position, ewt) } else { nil } }
        // Position 1 with 2 agents staffed at 300 s each: 150 s.
        #expect(estimate.first?.0 == 1)
        #expect(estimate.first?.1 == 150)
        h.run(.notReady("ann", reason: "break"))
        h.run(.notReady("bob", reason: "break"))
        let unstaffed = h.run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        #expect(unstaffed.contains { if case .queued(_, _, _, 2, nil) = $0.kind { true } else { false } })
    }
}
