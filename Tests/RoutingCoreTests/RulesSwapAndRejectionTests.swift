import Testing
@testable import RoutingCore

@Suite struct RulesSwapAndRejectionTests {
    @Test func swappingRulesKeepsQueuedContactsWithTheirWaits() throws {
        let h = try Harness(rules([QueueRules(name: "q", skills: ["a": 8])]))
        h.agent("ann", skills: ["a": 5])
        let first = try #require(h.submit("q"))
        h.wait(40)
        let second = try #require(h.submit("q"))
        h.wait(10)
        let relaxed = rules([QueueRules(name: "q", skills: ["a": 8], relaxation: [RelaxationStep(afterSeconds: 45, minProficiency: 5)]),
                             QueueRules(name: "new")])
        let events = h.run(.replaceRules(relaxed))
        #expect(events.contains { if case .rulesReplaced(["t"]) = $0.kind { true } else { false } })
        #expect(h.lastOffer(to: "ann") == first, "first waited 50 s: past the new 45 s step")
        #expect(h.engine.contactStatus(second)?.waitedMilliseconds == 10_000)
        h.wait(35)
        h.run(.accept("ann", first))
        h.run(.complete("ann", first))
        #expect(h.lastOffer(to: "ann") == second)
        #expect(h.engine.queueStatistics(tenant: "t", queue: "q")?.totals.submitted == 2, "statistics carry over")
    }

    @Test func swapThatWouldDropAQueueWithContactsIsRefused() throws {
        let h = try Harness(rules([QueueRules(name: "q"), QueueRules(name: "r")]))
        let id = try #require(h.submit("q"))
        let events = h.run(.replaceRules(rules([QueueRules(name: "r")])))
        #expect(Harness.rejections(in: events) == [.rulesOrphanState])
        #expect(h.engine.contactStatus(id)?.queue == "q")
        #expect(h.engine.queueStatistics(tenant: "t", queue: "q") != nil, "old rules still in force")
    }

    @Test func invalidRulesAreRefusedWithEveryProblem() throws {
        let h = try Harness(rules([QueueRules(name: "q")]))
        let bad = rules([QueueRules(name: "q", skills: ["nope": 3], offerTimeoutSeconds: 0)])
        let events = h.run(.replaceRules(bad))
        guard case .commandRejected(.invalidRules, let message)? = events.last?.kind else {
            Issue.record("expected invalid_rules, got \(events)")
            return
        }
        #expect(message.contains("unknown skill 'nope'"))
        #expect(message.contains("offer_timeout"))
    }

    @Test func everyBadCommandGetsItsCodeAndChangesNothing() throws {
        let h = try Harness(rules([QueueRules(name: "q", skills: ["a": 1])]))
        h.agent("ann", skills: ["a": 1])
        let offered = try #require(h.submit("q"))
        let digest = h.engine.stateDigest()
        let cases: [(Command, RejectionCode)] = [
            (.submit(ContactSubmission(tenant: "x", queue: "q", channel: .voice)), .unknownTenant),
            (.submit(ContactSubmission(tenant: "t", queue: "x", channel: .voice)), .unknownQueue),
            (.submit(ContactSubmission(tenant: "t", queue: "q", channel: .chat)), .channelMismatch),
            (.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, requiredSkills: ["zz": 1])), .unknownSkill),
            (.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, requiredSkills: ["a": 11])), .fieldOutOfRange),
            (.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, profile: CustomerProfile(churnRisk: 2))), .fieldOutOfRange),
            (.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, profile: CustomerProfile(lifetimeValue: .nan))), .fieldOutOfRange),
            (.addAgent(AgentProfile(id: "ann", name: "", tenant: "t", skills: [:])), .agentAlreadyExists),
            (.addAgent(AgentProfile(id: "x", name: "", tenant: "t", skills: ["zz": 1])), .unknownSkill),
            (.addAgent(AgentProfile(id: "x", name: "", tenant: "t", team: "green", skills: [:])), .unknownTeam),
            (.addAgent(AgentProfile(id: "x", name: "", tenant: "t", skills: ["a": 0])), .fieldOutOfRange),
            (.addAgent(AgentProfile(id: "x", name: "", tenant: "nope", skills: [:])), .unknownTenant),
            (.login("ann"), .agentAlreadyLoggedIn),
            (.login("nobody"), .unknownAgent),
            (.ready("nobody"), .unknownAgent),
            (.notReady("ann", reason: ""), .fieldOutOfRange),
            (.accept("ann", ContactID(999)), .unknownContact),
            (.accept("ann", ContactID(0)), .unknownContact),
            (.abandon(ContactID(.max)), .unknownContact),
            (.complete("ann", offered), .contactNotConnectedToAgent),
            (.endWrapUp("ann", offered), .contactNotInWrapUp),
            (.removeAgent("ann"), .agentLoggedIn),
            (.requestCallback(offered, number: "123"), .contactNotWaiting),
            (.requestCallback(offered, number: ""), .fieldOutOfRange),
        ]
        for (command, code) in cases {
            #expect(Harness.rejections(in: h.run(command)) == [code], "\(command)")
        }
        h.run(.addAgent(AgentProfile(id: "bob", name: "Bob", tenant: "t", skills: ["a": 1])))
        #expect(Harness.rejections(in: h.run(.ready("bob"))) == [.agentNotLoggedIn])
        #expect(Harness.rejections(in: h.run(.accept("bob", offered))) == [.contactNotOfferedToAgent])
        h.run(.accept("ann", offered))
        #expect(Harness.rejections(in: h.run(.abandon(offered))) == [.contactNotWaiting])
        #expect(digest != h.engine.stateDigest())
        #expect(h.engine.accounting.rejected == 7)
    }

    /// Agent ids are matched byte for byte: a canonically equivalent spelling (`==` between Swift strings) of
    /// the agent holding an offer names another agent, or none.
    @Test func anAgentIdIsItsBytesNotItsCanonicalForm() throws {
        let composed = AgentID("ren\u{E9}")
        let decomposed = AgentID("rene\u{301}")
        #expect(composed.rawValue == decomposed.rawValue)
        let h = try Harness(rules([QueueRules(name: "q", skills: ["a": 1])]))
        h.agent(composed, skills: ["a": 1])
        let offered = try #require(h.submit("q"))
        #expect(h.lastOffer(to: composed) == offered)
        #expect(Harness.rejections(in: h.run(.accept(decomposed, offered))) == [.unknownAgent])
        h.agent(decomposed, skills: ["a": 1], ready: false)
        #expect(Harness.rejections(in: h.run(.accept(decomposed, offered))) == [.contactNotOfferedToAgent])
        #expect(Harness.rejections(in: h.run(.accept(composed, offered))).isEmpty)
        #expect(h.state(of: composed) == .busy)
        #expect(h.state(of: decomposed) == .notReady)
    }
}
