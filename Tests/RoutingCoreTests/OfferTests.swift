import Testing
@testable import RoutingCore

@Suite struct OfferTests {
    @Test func timedOutOfferReturnsTheContactToItsPlaceNotTheTail() throws {
        let h = try Harness(rules([QueueRules(name: "q", offerTimeoutSeconds: 10)]))
        h.agent("ann", skills: [:])
        let first = try #require(h.submit("q"))
        h.wait(1)
        let second = try #require(h.submit("q"))
        let timedOut = h.wait(9)
        #expect(timedOut.contains { if case .offerTimedOut(first, "ann") = $0.kind { true } else { false } })
        #expect(h.engine.contactStatus(first)?.position == 1, "back at the head, ahead of the newer contact")
        #expect(h.lastOffer(to: "ann") == second, "ann is blocked from the contact she missed, so she gets the next")
        h.agent("bob", skills: [:])
        #expect(h.lastOffer(to: "bob") == first)
    }

    @Test func declinedContactGoesToAnotherAgentAndNotBackToTheDeclinerUntilTheBlockEnds() throws {
        let h = try Harness(rules([QueueRules(name: "q", declineBlockSeconds: 60)]))
        h.agent("ann", skills: [:])
        let id = try #require(h.submit("q"))
        h.run(.decline("ann", id))
        #expect(h.offers().count == 1, "ann is free but blocked from this contact")
        #expect(h.state(of: "ann") == .ready)
        h.wait(59)
        #expect(h.offers().count == 1)
        h.wait(1)
        #expect(h.offers().map(\.1) == ["ann", "ann"], "the block expired: ann may take it again")
        h.run(.decline("ann", id))
        h.agent("bob", skills: [:])
        #expect(h.lastOffer(to: "bob") == id)
    }

    @Test func consecutiveMissedOffersMakeTheAgentNotReadyWithNoAnswer() throws {
        let h = try Harness(rules([QueueRules(name: "q", offerTimeoutSeconds: 5, declineBlockSeconds: 0)],
                                  defaults: AgentDefaults(maxMissedOffers: 3)))
        h.agent("ann", skills: [:])
        let id = try #require(h.submit("q"))
        h.wait(5)
        h.wait(5)
        #expect(h.state(of: "ann") == .reserved, "two misses: still offered")
        h.wait(5)
        let ann = try #require(h.engine.agentStatistics("ann"))
        #expect(ann.state == .notReady && ann.reason == "no-answer")
        #expect(h.engine.contactStatus(id)?.phase == .queued)
        h.run(.ready("ann"))
        h.run(.accept("ann", id))
        #expect(h.state(of: "ann") == .busy)
    }

    @Test func acceptingResetsTheMissCount() throws {
        let h = try Harness(rules([QueueRules(name: "q", offerTimeoutSeconds: 5, declineBlockSeconds: 0)],
                                  defaults: AgentDefaults(maxMissedOffers: 2)))
        h.agent("ann", skills: [:])
        let first = try #require(h.submit("q"))
        h.wait(5)
        h.run(.accept("ann", first))
        h.run(.complete("ann", first))
        _ = h.submit("q")
        h.wait(5)
        #expect(h.state(of: "ann") == .reserved)
    }

    @Test func abandonDuringOfferFreesTheAgentForTheNextContact() throws {
        let h = try Harness(rules([QueueRules(name: "q")]))
        h.agent("ann", skills: [:])
        let first = try #require(h.submit("q"))
        let second = try #require(h.submit("q"))
        h.wait(3)
        let events = h.run(.abandon(first))
        #expect(events.contains { if case .abandoned(first, "q", 3_000, .abandoned) = $0.kind { true } else { false } })
        #expect(h.lastOffer(to: "ann") == second)
        #expect(Harness.rejections(in: h.run(.accept("ann", first))) == [.unknownContact])
        let stats = try #require(h.engine.queueStatistics(tenant: "t", queue: "q"))
        #expect(stats.totals.abandoned == 1 && stats.abandonRatePercent == 100)
    }

    @Test func cancelIsNotCountedAsAbandoned() throws {
        let h = try Harness(rules([QueueRules(name: "q")]))
        let id = try #require(h.submit("q"))
        h.run(.cancel(id))
        #expect(h.engine.accounting.cancelled == 1 && h.engine.accounting.abandoned == 0)
        #expect(h.engine.queueStatistics(tenant: "t", queue: "q")?.abandonRatePercent == nil)
    }

    @Test func preferredAgentGetsTheReturningCustomerWhenFree() throws {
        let h = try Harness(rules([QueueRules(name: "q", preferredAgentWaitSeconds: 30)]))
        h.agent("ann", skills: [:])
        h.wait(1)
        h.agent("bob", skills: [:])
        let id = try #require(h.submit("q", profile: CustomerProfile(lastAgent: "bob")))
        #expect(h.lastOffer(to: "bob") == id, "bob, not the longer-idle ann")
    }

    @Test func preferredAgentIsWaitedForThenAnyoneMayAnswer() throws {
        let h = try Harness(rules([QueueRules(name: "q", preferredAgentWaitSeconds: 30)]))
        h.agent("bob", skills: [:])
        let busy = try #require(h.submit("q"))
        h.run(.accept("bob", busy))
        h.agent("ann", skills: [:])
        let returning = try #require(h.submit("q", profile: CustomerProfile(lastAgent: "bob")))
        #expect(h.engine.contactStatus(returning)?.phase == .holdingForPreferredAgent)
        #expect(h.offers().count == 1, "ann is free but the customer holds for bob")
        h.wait(10)
        h.run(.complete("bob", busy))
        #expect(h.lastOffer(to: "bob") == returning)
        h.run(.decline("bob", returning))
        #expect(h.lastOffer(to: "ann") == returning, "after the preferred agent declines, anyone qualifies")
        h.run(.accept("ann", returning))

        let other = try #require(h.submit("q", profile: CustomerProfile(lastAgent: "ann")))
        h.wait(29.9)
        #expect(h.engine.contactStatus(other)?.phase == .holdingForPreferredAgent)
        h.wait(0.1)
        #expect(h.lastOffer(to: "bob") == other, "30 s passed: the hold ends and bob takes it")
    }

    @Test func preferredAgentLoggedOutOrUnknownIsIgnored() throws {
        let h = try Harness(rules([QueueRules(name: "q", preferredAgentWaitSeconds: 30)]))
        h.agent("ann", skills: [:])
        h.run(.addAgent(AgentProfile(id: "gone", name: "Gone", tenant: "t", skills: [:])))
        let id = try #require(h.submit("q", profile: CustomerProfile(lastAgent: "gone")))
        #expect(h.lastOffer(to: "ann") == id)
        let stranger = try #require(h.submit("q", profile: CustomerProfile(lastAgent: "nobody")))
        #expect(h.engine.contactStatus(stranger)?.phase == .queued)
    }

    @Test func preferredAgentGoingNotReadyReleasesTheHold() throws {
        let h = try Harness(rules([QueueRules(name: "q", preferredAgentWaitSeconds: 60)]))
        h.agent("bob", skills: [:])
        let busy = try #require(h.submit("q"))
        h.run(.accept("bob", busy))
        h.agent("ann", skills: [:])
        let returning = try #require(h.submit("q", profile: CustomerProfile(lastAgent: "bob")))
        h.run(.notReady("bob", reason: "training"))
        #expect(h.lastOffer(to: "ann") == returning)
    }
}
