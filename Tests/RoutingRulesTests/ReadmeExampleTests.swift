import Foundation
import Testing
import RoutingCore
import RoutingRules

/// The README's "Using the core" example, kept honest.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRoutesAsDescribed() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var engine = try RoutingEngine(rules: RuleLoader.load(path: root.appendingPathComponent("routing-rules").path), seed: 42)
        let t0 = Instant(seconds: 1_800_000_000)  // Friday 2027-01-15, 09:00 in Madrid: billing is open
        _ = engine.handle(.addAgent(AgentProfile(id: "ana", name: "Ana", tenant: "telco", team: "care",
                                                 skills: ["billing": 8, "spanish": 9])), now: t0)
        _ = engine.handle(.login("ana"), now: t0)
        _ = engine.handle(.ready("ana"), now: t0)
        let events = engine.handle(.submit(ContactSubmission(
            tenant: "telco", queue: "billing", channel: .voice,
            profile: CustomerProfile(tier: "gold", lifetimeValue: 12_000, churnRisk: 0.4),
            requiredSkills: ["spanish": 5])), now: t0.adding(seconds: 1))
        let contact = ContactID(1)
        guard case .received(contact, let submission)? = events.first?.kind else {
            Issue.record("expected received first, got \(events)")
            return
        }
        #expect(submission.profile.tier == "gold")
        #expect(events.dropFirst().map(\.kind) == [
            .queued(contact, tenant: "telco", queue: "billing", position: 1, estimatedWaitSeconds: 0),
            .offered(contact, agent: "ana", queue: "billing", expiresAt: t0.adding(seconds: 13)),
            .agentStateChanged("ana", state: .reserved, reason: nil),
        ])
        let later = engine.advance(to: t0.adding(seconds: 30))
        #expect(later.contains { $0.kind == .offerTimedOut(contact, agent: "ana") })
    }
}
