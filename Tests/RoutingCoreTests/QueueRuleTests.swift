import Testing
@testable import RoutingCore

@Suite struct QueueRuleTests {
    @Test func relaxationWidensWhoQualifiesAsTheContactWaits() throws {
        let queue = QueueRules(name: "q", skills: ["a": 7, "b": 5], relaxation: [
            RelaxationStep(afterSeconds: 30, minProficiency: 3),
            RelaxationStep(afterSeconds: 90, dropSkills: ["b"], addTeams: ["red"]),
        ], declineBlockSeconds: 120)
        let h = try Harness(rules([queue]))
        h.agent("junior", skills: ["a": 4, "b": 3])
        h.agent("teammate", team: "red", skills: [:])
        let id = try #require(h.submit("q"))
        h.wait(29.9)
        #expect(h.offers().isEmpty)
        h.wait(0.1)
        #expect(h.offers().map(\.1) == ["junior"], "30 s: proficiency 3+ is enough")
        h.run(.decline("junior", id))
        h.wait(59)
        #expect(h.offers().count == 1)
        h.wait(1)
        #expect(h.offers().map(\.1) == ["junior", "teammate"], "90 s: any agent of team red")
    }

    @Test func aContactBackFromAnOfferReachesItsStepOnTimeWhileALaterOneIsWatched() throws {
        // A relaxed agent waits for contacts to reach 30 s; the lane watches y, who entered after x, because x was
        // with an agent then. x comes back before its 30 s: the watch must move to x.
        let queue = QueueRules(name: "q", skills: ["a": 7], relaxation: [RelaxationStep(afterSeconds: 30, minProficiency: 3)],
                               declineBlockSeconds: 120)
        let h = try Harness(rules([queue]))
        h.agent("junior", skills: ["a": 4])
        h.agent("expert", skills: ["a": 9])
        let x = try #require(h.submit("q"))
        #expect(h.lastOffer(to: "expert") == x)
        h.wait(1)
        let y = try #require(h.submit("q"))
        h.wait(9)
        h.run(.decline("expert", x))
        #expect(h.lastOffer(to: "expert") == y, "x blocked the expert, who takes y")
        h.wait(20)
        #expect(h.lastOffer(to: "junior") == x, "x reached 30 s in queue: the junior gets it then, not when y would")
    }

    @Test func steppedUpContactStillServedBeforeNewerOnesByTheSameAgent() throws {
        let queue = QueueRules(name: "q", skills: ["a": 7], relaxation: [RelaxationStep(afterSeconds: 30, minProficiency: 3)])
        let h = try Harness(rules([queue]))
        let old = try #require(h.submit("q"))
        h.wait(40)
        _ = h.submit("q")
        h.agent("expert", skills: ["a": 9])
        #expect(h.lastOffer(to: "expert") == old)
    }

    @Test func overflowMovesToTheTargetQueueAndThenToTheIVR() throws {
        let h = try Harness(rules([
            QueueRules(name: "first", skills: ["a": 1], maxWaitSeconds: 60, overflow: .queue("backup")),
            QueueRules(name: "backup", skills: ["b": 1], maxWaitSeconds: 30, overflow: .ivr),
        ]))
        let id = try #require(h.submit("first"))
        let moved = h.wait(60)
        #expect(moved.contains { if case .overflowed(id, "first", "backup") = $0.kind { true } else { false } })
        #expect(h.engine.contactStatus(id)?.queue == "backup")
        h.agent("b-agent", skills: ["b": 1], ready: false)
        let left = h.wait(30)
        #expect(left.contains { if case .overflowed(id, "backup", nil) = $0.kind { true } else { false } })
        #expect(h.engine.contactStatus(id) == nil)
        #expect(h.engine.accounting.overflowedToIVR == 1)
        let stats = try #require(h.engine.queueStatistics(tenant: "t", queue: "backup"))
        #expect(stats.totals.overflowedIn == 1 && stats.totals.overflowedOut == 1 && stats.waiting == 0)
    }

    @Test func overflowedContactIsRoutedInTheTargetQueueAtOnce() throws {
        let h = try Harness(rules([
            QueueRules(name: "first", skills: ["a": 1], maxWaitSeconds: 20, overflow: .queue("backup")),
            QueueRules(name: "backup", skills: ["b": 1]),
        ]))
        h.agent("b-agent", skills: ["b": 1])
        let id = try #require(h.submit("first"))
        h.wait(20)
        #expect(h.lastOffer(to: "b-agent") == id)
    }

    @Test func closedOutsideOpeningHours() throws {
        // Open Monday-Friday 08:00-20:00 in UTC+1.
        let weekday = [480..<1200]
        let hours = OpenHours(weekly: [weekday, weekday, weekday, weekday, weekday, [], []], timeZoneName: "+01:00",
                              offsets: FixedUTCOffset(seconds: 3600))
        let h = try Harness(rules([QueueRules(name: "q", hours: hours)]))
        // 1_700_000_000 is Tuesday 2023-11-14 22:13:20 UTC = 23:13 local: closed.
        let events = h.run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        #expect(events.contains { if case .closed(_, "t", "q") = $0.kind { true } else { false } })
        #expect(h.engine.accounting.closed == 1)
        h.wait(10 * 3600)  // Wednesday 09:13 local: open.
        #expect(h.submit("q").flatMap { h.engine.contactStatus($0)?.phase } == .queued)
        h.wait(3 * 86_400)  // Saturday: closed.
        let saturday = h.run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        #expect(saturday.contains { if case .closed = $0.kind { true } else { false } })
    }

    @Test func fullQueueRefusesNewContacts() throws {
        let h = try Harness(rules([QueueRules(name: "q", maxSize: 2)]))
        _ = h.submit("q")
        _ = h.submit("q")
        let events = h.run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        #expect(Harness.rejections(in: events) == [.queueFull])
        #expect(h.engine.queueStatistics(tenant: "t", queue: "q")?.totals.rejectedFull == 1)
    }

    @Test func callbackKeepsItsPlaceInTheQueue() throws {
        let h = try Harness(rules([QueueRules(name: "q")]))
        let first = try #require(h.submit("q"))
        h.wait(5)
        let second = try #require(h.submit("q"))
        let events = h.run(.requestCallback(first, number: "+34600000001"))
        #expect(events.contains { if case .callbackRequested(first, "+34600000001") = $0.kind { true } else { false } })
        h.wait(5)
        h.agent("ann", skills: [:])
        #expect(h.lastOffer(to: "ann") == first)
        #expect(h.engine.contactStatus(first)?.callbackNumber == "+34600000001")
        #expect(h.engine.contactStatus(second)?.position == 1)
    }

    @Test func callbackChannelQueuesUseTheirOwnCapacity() throws {
        let h = try Harness(rules([QueueRules(name: "cb", channel: .callback)]))
        h.agent("ann", skills: [:], capacity: ChannelCapacity(voice: 1, chat: 0, email: 0, callback: 1))
        let id = try #require(h.submit("cb", channel: .callback))
        #expect(h.lastOffer(to: "ann") == id)
        #expect(Harness.rejections(in: h.run(.submit(ContactSubmission(tenant: "t", queue: "cb", channel: .voice)))) == [.channelMismatch])
    }
}
