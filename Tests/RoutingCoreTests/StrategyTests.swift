import Testing
@testable import RoutingCore

@Suite struct StrategyTests {
    /// Three idle agents of the same skill; returns who gets each of `contacts` consecutive contacts, each
    /// completed before the next arrives.
    private func distribution(_ strategy: AgentSelectionStrategy, contacts: Int, prepare: (Harness) -> Void = { _ in }) throws -> [AgentID] {
        let h = try Harness(rules([QueueRules(name: "q", skills: ["a": 1], strategy: strategy)]))
        h.agent("ann", skills: ["a": 3])
        h.wait(1)
        h.agent("bob", skills: ["a": 9])
        h.wait(1)
        h.agent("cat", skills: ["a": 6])
        h.wait(1)
        prepare(h)
        var chosen: [AgentID] = []
        for _ in 0..<contacts {
            let id = try #require(h.submit("q"))
            let agent = try #require(h.offers().last { $0.0 == id }?.1)
            chosen.append(agent)
            h.run(.accept(agent, id))
            h.wait(10)
            h.run(.complete(agent, id))
            h.wait(1)
        }
        return chosen
    }

    @Test func longestIdleRotatesThroughAgentsInIdleOrder() throws {
        #expect(try distribution(.longestIdle, contacts: 4) == ["ann", "bob", "cat", "ann"])
    }

    @Test func highestProficiencyAlwaysPicksTheMostSkilledFreeAgent() throws {
        #expect(try distribution(.highestProficiency, contacts: 3) == ["bob", "bob", "bob"])
    }

    @Test func fewestContactsBalancesHandledCounts() throws {
        let chosen = try distribution(.fewestContacts, contacts: 6)
        #expect(Set(chosen.prefix(3)) == ["ann", "bob", "cat"])
        #expect(Set(chosen.suffix(3)) == ["ann", "bob", "cat"])
    }

    @Test func roundRobinCyclesInAFixedOrder() throws {
        let chosen = try distribution(.roundRobin, contacts: 6)
        #expect(Array(chosen.prefix(3)) == Array(chosen.suffix(3)))
        #expect(Set(chosen) == ["ann", "bob", "cat"])
    }

    @Test func leastOccupiedPrefersTheAgentWhoWorkedLeast() throws {
        let chosen = try distribution(.leastOccupied, contacts: 1) { h in
            // ann and bob have been busy for a long stretch; cat has not.
            for agent: AgentID in ["ann", "bob"] {
                let id = h.submit("q")!
                let offeredTo = h.offers().last { $0.0 == id }!.1
                h.run(.accept(offeredTo, id))
                if offeredTo != agent { Issue.record("expected \(agent) to be offered, got \(offeredTo)") }
            }
            h.wait(600)
            for (id, agent) in h.offers() { h.run(.complete(agent, id)) }
        }
        #expect(chosen == ["cat"])
    }

    @Test func randomIsSeededAndSpreadsLoad() throws {
        let first = try distribution(.random, contacts: 30)
        let second = try distribution(.random, contacts: 30)
        #expect(first == second, "same seed, same choices")
        #expect(Set(first).count == 3)
    }
}
