import Testing
@testable import RoutingCore

@Suite struct LifecycleTests {
    @Test func contactFlowsFromQueueToAgentToWrapUp() throws {
        let h = try Harness(rules([QueueRules(name: "sales", skills: ["a": 3], wrapUp: .timed(seconds: 30))]))
        let id = try #require(h.submit("sales"))
        #expect(h.engine.queueStatistics(tenant: "t", queue: "sales")?.waiting == 1)
        h.wait(5)
        h.agent("ann", skills: ["a": 5])
        #expect(h.offers().map(\.1) == ["ann"])
        #expect(h.state(of: "ann") == .reserved)
        h.wait(2)
        let accepted = h.run(.accept("ann", id))
        #expect(accepted.contains { if case .connected(id, "ann", "sales", 7_000) = $0.kind { true } else { false } })
        #expect(h.state(of: "ann") == .busy)
        h.wait(60)
        h.run(.complete("ann", id))
        #expect(h.state(of: "ann") == .wrapUp)
        let ended = h.wait(30)
        #expect(ended.contains { if case .wrapUpEnded(id, "ann", 30_000) = $0.kind { true } else { false } })
        #expect(h.state(of: "ann") == .ready)
        let stats = try #require(h.engine.queueStatistics(tenant: "t", queue: "sales"))
        #expect(stats.totals.answered == 1 && stats.totals.completed == 1)
        #expect(stats.averageSpeedOfAnswerMilliseconds == 7_000)
        #expect(h.engine.accounting.completed == 1 && h.engine.accounting.live == 0)
        let ann = try #require(h.engine.agentStatistics("ann"))
        #expect(ann.contactsHandled == 1 && ann.talkMilliseconds == 60_000)
    }

    @Test func withoutWrapUpTheContactEndsWithAWrapUpOfZero() throws {
        let h = try Harness(rules([QueueRules(name: "q")]))
        h.agent("ann", skills: [:])
        let id = try #require(h.submit("q"))
        h.run(.accept("ann", id))
        h.wait(40)
        let ended = h.run(.complete("ann", id)).map(\.kind)
        let completed = try #require(ended.firstIndex { if case .completed(id, "ann", 40_000, .completed) = $0 { true } else { false } })
        let wrapUp = try #require(ended.firstIndex { if case .wrapUpEnded(id, "ann", 0) = $0 { true } else { false } })
        #expect(completed < wrapUp)
        #expect(h.state(of: "ann") == .ready)
        #expect(h.engine.accounting.completed == 1 && h.engine.accounting.live == 0)
    }

    @Test func manualWrapUpLastsUntilTheAgentEndsIt() throws {
        let h = try Harness(rules([QueueRules(name: "q", wrapUp: .manual)]))
        h.agent("ann", skills: [:])
        let id = try #require(h.submit("q"))
        h.run(.accept("ann", id))
        h.run(.complete("ann", id))
        h.wait(3_600)
        #expect(h.state(of: "ann") == .wrapUp)
        let second = try #require(h.submit("q"))
        #expect(h.engine.contactStatus(second)?.phase == .queued)
        h.run(.endWrapUp("ann", id))
        #expect(h.lastOffer(to: "ann") == second)
    }

    @Test func skillsAreHonouredAndTenantsNeverMix() throws {
        let other = TenantRules(name: "u", skills: ["a"], queues: [QueueRules(name: "sales", skills: ["a": 1])])
        let h = try Harness(rules([QueueRules(name: "sales", skills: ["a": 5])], extraTenants: [other]))
        h.agent("weak", skills: ["a": 4])
        h.agent("foreign", tenant: "u", skills: ["a": 10])
        let id = try #require(h.submit("sales"))
        #expect(h.offers().isEmpty)
        h.agent("strong", skills: ["a": 5])
        #expect(h.offers().map(\.0) == [id])
        #expect(h.offers().map(\.1) == ["strong"])
        let foreignContact = try #require(h.submit("sales", tenant: "u"))
        #expect(h.lastOffer(to: "foreign") == foreignContact)
    }

    @Test func extraSkillsOnTheContactAreRequired() throws {
        let h = try Harness(rules([QueueRules(name: "q", skills: ["a": 1])]))
        h.agent("english", skills: ["a": 9])
        let id = try #require(h.submit("q", skills: ["spanish": 5]))
        #expect(h.offers().isEmpty)
        h.agent("hablante", skills: ["a": 2, "spanish": 7])
        #expect(h.offers().map(\.0) == [id])
        #expect(h.lastOffer(to: "hablante") == id)
    }

    @Test func chatAgentsTakeSeveralChatsButVoiceIsExclusive() throws {
        let h = try Harness(rules([QueueRules(name: "chat", channel: .chat), QueueRules(name: "voice", channel: .voice)]))
        h.agent("ann", skills: [:], capacity: ChannelCapacity(voice: 1, chat: 3, email: 0, callback: 0))
        let chats = (0..<4).compactMap { _ in h.submit("chat", channel: .chat) }
        #expect(h.offers().count == 3)
        let voice = try #require(h.submit("voice"))
        #expect(h.offers().count == 3, "voice waits while chats are active")
        for chat in chats.prefix(3) {
            h.run(.accept("ann", chat))
            h.run(.complete("ann", chat))
        }
        // The fourth chat was waiting longer than the call, so it comes first; the call needs an empty desk.
        #expect(h.offers().map(\.0).suffix(1) == [chats[3]])
        h.run(.accept("ann", chats[3]))
        h.run(.complete("ann", chats[3]))
        #expect(h.lastOffer(to: "ann") == voice)
        #expect(h.submit("chat", channel: .chat) != nil)
        #expect(h.offers().count == 5, "no chat while on a call")
    }

    @Test func logoutWithWorkIsRefusedUnlessForced() throws {
        let h = try Harness(rules([QueueRules(name: "q")]))
        h.agent("ann", skills: [:])
        h.agent("bob", skills: [:], ready: false)
        let talking = try #require(h.submit("q"))
        h.run(.accept("ann", talking))
        h.run(.notReady("ann", reason: "lunch"))
        #expect(Harness.rejections(in: h.run(.logout("ann", force: false))) == [.agentHasActiveWork])
        let events = h.run(.logout("ann", force: true))
        #expect(events.contains { if case .completed(talking, "ann", _, .agentDisconnected) = $0.kind { true } else { false } })
        #expect(h.state(of: "ann") == .loggedOut)
        h.run(.ready("bob"))
        let ringing = try #require(h.submit("q"))
        #expect(h.lastOffer(to: "bob") == ringing)
        h.run(.logout("bob", force: true))
        #expect(h.engine.contactStatus(ringing)?.phase == .queued, "the pending offer goes back to the queue")
        #expect(h.engine.accounting.isBalanced)
    }

    @Test func agentsCanBeAddedRetrainedAndRemovedLive() throws {
        let h = try Harness(rules([QueueRules(name: "q", skills: ["b": 5])]))
        h.agent("ann", skills: ["a": 5])
        let id = try #require(h.submit("q"))
        #expect(h.offers().isEmpty)
        h.run(.setSkills("ann", skills: ["a": 5, "b": 6]))
        #expect(h.lastOffer(to: "ann") == id)
        #expect(Harness.rejections(in: h.run(.removeAgent("ann"))) == [.agentLoggedIn])
        h.run(.logout("ann", force: true))
        h.run(.removeAgent("ann"))
        #expect(h.engine.agentStatistics("ann") == nil)
        h.agent("ann", skills: ["b": 9])
        #expect(h.lastOffer(to: "ann") == id, "a re-added agent in a reused slot works")
    }
}

@Suite struct LanguageRoutingTests {
    private func languageRules() -> RuleSet {
        RuleSet(tenants: [TenantRules(
            name: "t", skills: ["billing", "spanish", "catalan"], queues: [QueueRules(name: "q", skills: ["billing": 3])],
            languageSkills: ["es": "spanish", "ca": "catalan"], languageLevel: 6)])
    }

    @Test func theCustomersLanguageFromTheCRMIsRequired() throws {
        let h = try Harness(languageRules())
        h.agent("basic", skills: ["billing": 9, "spanish": 5])
        let id = try #require(h.submit("q", profile: CustomerProfile(language: "es")))
        #expect(h.offers().isEmpty, "spanish 5 is below the tenant's language level 6")
        h.agent("fluent", skills: ["billing": 3, "spanish": 8])
        #expect(h.lastOffer(to: "fluent") == id)
        let unmapped = try #require(h.submit("q", profile: CustomerProfile(language: "fr")))
        #expect(h.lastOffer(to: "basic") == unmapped, "a language without a skill adds nothing")
    }

    @Test func aLanguageChosenInTheIVRWins() throws {
        let h = try Harness(languageRules())
        h.agent("catalan", skills: ["billing": 5, "catalan": 4])
        let id = try #require(h.submit("q", profile: CustomerProfile(language: "es"), skills: ["catalan": 3]))
        #expect(h.lastOffer(to: "catalan") == id)
    }
}
