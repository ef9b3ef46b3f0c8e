import Testing
@testable import RoutingCore

/// Service level, ASA and abandon rate over the tenant's statistics window.
@Suite struct ServiceLevelTests {
    /// One queue with a 20 s target, in a tenant whose statistics window is 60 s.
    static func windowRules(targetSeconds: Int = 20) -> RuleSet {
        RuleSet(tenants: [TenantRules(
            name: "t", skills: ["a"],
            queues: [QueueRules(name: "q", serviceLevel: ServiceLevelTarget(percent: 80, seconds: targetSeconds))],
            statisticsWindowSeconds: 60)])
    }

    /// Submits a contact, lets it wait `seconds` for an agent that comes ready then, and has the agent accept
    /// and complete it at once.
    static func answer(_ h: Harness, after seconds: Double) throws {
        let id = try #require(h.submit("q"))
        h.wait(seconds)
        h.run(.ready("ann"))
        h.run(.accept("ann", id))
        h.run(.complete("ann", id))
        h.run(.notReady("ann", reason: "break"))
    }

    static func statistics(_ h: Harness) throws -> QueueStatistics {
        try #require(h.engine.queueStatistics(tenant: "t", queue: "q"))
    }

    @Test func contactsLeaveTheWindowAfterItsLength() throws {
        let h = try Harness(Self.windowRules())
        h.agent("ann", skills: [:], ready: false)
        try Self.answer(h, after: 30)  // answered at 30 s: outside the 20 s target
        h.wait(10)
        try Self.answer(h, after: 2)  // answered at 42 s: within
        let abandoned = try #require(h.submit("q"))
        h.wait(25)
        h.run(.abandon(abandoned))  // at 67 s, after the target: counts against the service level

        var stats = try Self.statistics(h)
        #expect(stats.answeredInWindow == 2 && stats.abandonedInWindow == 1)
        #expect(stats.serviceLevelPercent == 100.0 / 3)
        #expect(stats.averageSpeedOfAnswerMilliseconds == 16_000)
        #expect(stats.abandonRatePercent == 100.0 / 3)
        #expect(stats.windowSeconds == 60)

        h.wait(24)  // 91 s: the first answer (second 30) has left the window, the second (second 42) has not
        stats = try Self.statistics(h)
        #expect(stats.answeredInWindow == 1 && stats.abandonedInWindow == 1)
        #expect(stats.serviceLevelPercent == 50)
        #expect(stats.averageSpeedOfAnswerMilliseconds == 2_000)

        h.wait(20)  // 111 s: only the abandon (second 67) is left
        stats = try Self.statistics(h)
        #expect(stats.answeredInWindow == 0 && stats.abandonedInWindow == 1)
        #expect(stats.serviceLevelPercent == 0)
        #expect(stats.averageSpeedOfAnswerMilliseconds == nil)
        #expect(stats.abandonRatePercent == 100)
        #expect(stats.totals.answered == 2 && stats.totals.abandoned == 1)

        h.wait(60)
        stats = try Self.statistics(h)
        #expect(stats.serviceLevelPercent == nil && stats.abandonRatePercent == nil)
    }

    /// A contact keeps the classification of the target in force when it was answered: a later, looser target
    /// neither makes it count as within nor takes it out twice when it leaves the window.
    @Test func aNewTargetAppliesToContactsAnsweredAfterIt() throws {
        let h = try Harness(Self.windowRules(targetSeconds: 20))
        h.agent("ann", skills: [:], ready: false)
        try Self.answer(h, after: 25)  // missed under 20 s
        h.run(.replaceRules(Self.windowRules(targetSeconds: 30)))
        h.wait(10)
        try Self.answer(h, after: 25)  // within 30 s
        #expect(try Self.statistics(h).serviceLevelPercent == 50)

        h.wait(30)  // the first answer has left the window
        let stats = try Self.statistics(h)
        #expect(stats.answeredInWindow == 1)
        #expect(stats.serviceLevelPercent == 100)
    }

    @Test func theWindowKeepsOneBucketPerSecondWhateverTheRate() {
        var window = ServiceLevelWindow()
        let start = Instant(seconds: 1_700_000_000)
        for i in 0..<10_000 {
            window.record(
                at: start.adding(milliseconds: Int64(i)), waitMilliseconds: Int64(i % 40) * 1000, answered: i % 10 != 0,
                targetMilliseconds: 20_000, windowSeconds: 60)
        }
        #expect(window.isConsistent)
        #expect(window.bucketCount == 10)
        let totals = window.totals(at: start.adding(milliseconds: 9_999), windowSeconds: 60)
        #expect(totals.answered == 9_000 && totals.abandoned == 1_000)
        #expect(totals.answeredWithinTarget == (0..<10_000).filter { $0 % 10 != 0 && $0 % 40 <= 20 }.count)
        #expect(totals.abandonedAfterTarget == (0..<10_000).filter { $0 % 10 == 0 && $0 % 40 > 20 }.count)
        // Seconds 0-9 leave one by one as the window's start passes them.
        #expect(window.totals(at: start.adding(seconds: 64), windowSeconds: 60).answered == 5 * 900)
        #expect(window.totals(at: start.adding(seconds: 69), windowSeconds: 60).answered == 0)

        window.record(at: start.adding(seconds: 65), waitMilliseconds: 0, answered: true, targetMilliseconds: 20_000, windowSeconds: 60)
        #expect(window.isConsistent)
        #expect(window.bucketCount == 5)
    }
}
