import ACDSimulation
import Foundation
import RoutingCore
import RoutingRules
import Testing

/// Scenarios that fit M/M/c and M/M/c+M, simulated against the routing core long enough (several seeds of ten
/// days each, about 80,000 calls per seed) for the simulated figures to settle near what the formulas — computed
/// here, not pasted — predict. Tolerances: SL within 2.5 points, ASA and mean wait within 12 %, abandonment
/// within 0.5 points, share waiting within 1.5 points.
@Suite struct QueueingTheoryTests {
    static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scenarios")

    static func simulate(_ file: String, agents: Int, seeds: ClosedRange<UInt64>) throws -> [QueueReport] {
        var scenario = try Scenario.load(path: scenarios.appendingPathComponent(file).path)
        scenario.agents[0].count = agents
        scenario.duration = 864_000
        let rules = try RuleLoader.load(path: scenario.rules)
        return try seeds.map { seed in
            scenario.seed = seed
            var simulation = try VirtualSimulation(scenario: scenario, rules: rules)
            return try #require(simulation.run().queue("support"))
        }
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    @Test(arguments: [28, 30])
    func erlangCPredictsServiceLevelAndSpeedOfAnswer(agents: Int) throws {
        let runs = try Self.simulate("erlang-c.yaml", agents: agents, seeds: 1...4)
        let theory = try #require(QueueingTheory.erlangC(
            arrivalsPerSecond: 0.1, meanHandleSeconds: 240, agents: agents, targetSeconds: 20))
        // The report carries the same prediction.
        let printed = try #require(runs[0].prediction)
        #expect(printed.model == "erlang_c" && printed.agents == agents)
        #expect(abs(printed.serviceLevelPercent! - theory.serviceLevelPercent) < 1e-9)

        let sl = Self.mean(runs.map { $0.figures.serviceLevelPercent! })
        let asa = Self.mean(runs.map { $0.figures.averageSpeedOfAnswerSeconds! })
        let waited = Self.mean(runs.map(\.figures.waitedPercent))
        #expect(abs(sl - theory.serviceLevelPercent) < 2.5, "SL \(sl) vs Erlang C \(theory.serviceLevelPercent)")
        #expect(abs(asa - theory.averageSpeedOfAnswer) < 0.12 * theory.averageSpeedOfAnswer, "ASA \(asa) vs \(theory.averageSpeedOfAnswer)")
        #expect(abs(waited - 100 * theory.probabilityOfWaiting) < 1.5, "waited \(waited)% vs \(100 * theory.probabilityOfWaiting)%")
        #expect(runs.allSatisfy { $0.figures.abandoned == 0 })
    }

    @Test func erlangAPredictsAbandonmentAndWaiting() throws {
        let runs = try Self.simulate("erlang-a.yaml", agents: 26, seeds: 1...3)
        let theory = QueueingTheory.erlangA(arrivalsPerSecond: 0.1, meanHandleSeconds: 240, agents: 26, meanPatienceSeconds: 120)
        #expect(runs[0].prediction?.model == "erlang_a")
        let abandoned = Self.mean(runs.map(\.figures.abandonPercent))
        let waited = Self.mean(runs.map(\.figures.waitedPercent))
        let wait = Self.mean(runs.map { $0.figures.averageWaitSeconds! })
        #expect(abs(abandoned - theory.abandonPercent) < 0.5, "abandoned \(abandoned)% vs Erlang A \(theory.abandonPercent)%")
        #expect(abs(waited - 100 * theory.probabilityOfWaiting) < 1.5, "waited \(waited)% vs \(100 * theory.probabilityOfWaiting)%")
        #expect(abs(wait - theory.averageWait) < 0.12 * theory.averageWait, "mean wait \(wait) vs \(theory.averageWait)")
    }

    /// The formulas themselves, against values worked out by hand or published: a sanity anchor for the above.
    @Test func formulasMatchKnownValues() throws {
        // M/M/1 at load 0.5: P(wait) = 0.5, ASA = ρ/(μ-λ) = 0.5/0.5 = 1 s with μ = 1.
        let single = try #require(QueueingTheory.erlangC(arrivalsPerSecond: 0.5, meanHandleSeconds: 1, agents: 1, targetSeconds: 0))
        #expect(abs(single.probabilityOfWaiting - 0.5) < 1e-12 && abs(single.averageSpeedOfAnswer - 1) < 1e-12)
        #expect(abs(single.serviceLevelPercent - 50) < 1e-9)
        // 10 erlangs on 11 agents: Erlang C = 0.6821 (standard tables).
        let tables = try #require(QueueingTheory.erlangC(arrivalsPerSecond: 10, meanHandleSeconds: 1, agents: 11, targetSeconds: 0))
        #expect(abs(tables.probabilityOfWaiting - 0.6821) < 5e-4)
        #expect(QueueingTheory.erlangC(arrivalsPerSecond: 2, meanHandleSeconds: 1, agents: 2, targetSeconds: 0) == nil)
        // Erlang A tends to Erlang C as patience grows, and to fewer waits as it shrinks.
        let patient = QueueingTheory.erlangA(arrivalsPerSecond: 10, meanHandleSeconds: 1, agents: 11, meanPatienceSeconds: 1e7)
        #expect(abs(patient.probabilityOfWaiting - tables.probabilityOfWaiting) < 1e-3 && patient.abandonPercent < 0.01)
        let impatient = QueueingTheory.erlangA(arrivalsPerSecond: 10, meanHandleSeconds: 1, agents: 11, meanPatienceSeconds: 0.5)
        #expect(impatient.probabilityOfWaiting < patient.probabilityOfWaiting && impatient.abandonPercent > 1)
    }
}
