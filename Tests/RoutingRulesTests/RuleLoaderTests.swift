import Foundation
import Testing
import RoutingCore
@testable import RoutingRules

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func diagnostics(_ yaml: String, file: String = "rules.yaml") -> [RuleDiagnostic] {
    do {
        _ = try RuleLoader.load(sources: [RuleLoader.Source(name: file, text: yaml)])
        return []
    } catch {
        return error.diagnostics
    }
}

@Suite struct ShippedRulesTests {
    @Test func everyShippedRuleFileLoadsAndRunsInTheEngine() throws {
        let rules = try RuleLoader.load(path: repositoryRoot.appendingPathComponent("routing-rules").path)
        #expect(Set(rules.tenants.map(\.name)) == ["default", "telco", "bank"])
        let engine = try RoutingEngine(rules: rules)
        #expect(engine.allQueueStatistics().count == rules.tenants.reduce(0) { $0 + $1.queues.count })
    }

    @Test func embeddedDefaultIsTheShippedDefaultFile() throws {
        let file = try String(contentsOf: repositoryRoot.appendingPathComponent("routing-rules/default.yaml"), encoding: .utf8)
        #expect(EmbeddedRules.defaultYAML + "\n" == file, "run scripts/embed-default-rules after editing default.yaml")
        #expect(try RuleLoader.loadEmbeddedDefault().tenants.map(\.name) == ["default"])
    }

    @Test func bankFraudHotlineOpensAroundTheClockAndCardsFollowLondonTime() throws {
        let rules = try RuleLoader.load(path: repositoryRoot.appendingPathComponent("routing-rules/examples/bank.yaml").path)
        let queues = Dictionary(uniqueKeysWithValues: rules.tenants[0].queues.map { ($0.name, $0) })
        #expect(queues["fraud_hotline"]?.hours == nil)
        let cards = try #require(queues["cards"]?.hours)
        // Mondays 2026-07-06 and 2026-01-05. 07:30 UTC is 08:30 in London in summer (BST): open.
        // In winter 07:30 UTC is 07:30 local: closed until 08:00.
        #expect(cards.isOpen(at: Instant(seconds: 1_783_323_000)))
        #expect(!cards.isOpen(at: Instant(seconds: 1_767_598_200)))
        #expect(cards.isOpen(at: Instant(seconds: 1_767_598_200 + 3_600)))
    }
}

@Suite struct RuleDiagnosticsTests {
    @Test func everyMistakeIsReportedAtOnceWithItsLine() {
        let yaml = """
        tenant: shop
        skills: [billing, sales]
        teams: [care]
        scoring:
          aging_per_secnd: 1
        queues:
          - name: billing
            skills: {billing: 5, fraud: 3}
            relaxation:
              - after: 60
                min_proficiency: 2
              - after: 30
                add_teams: [nobody]
            max_wait: 300
            overflow: sales
            strategy: longest_idel
            hours: {mon-fri: "09:00-25:00", sat: "18:00-09:00", funday: "10:00-12:00"}
          - name: sales
            max_wait: 200
            overflow: billing
            offer_timeout: soon
          - name: chat
            channel: chat
            max_wait: 60
            overflow: billing
        """
        let found = diagnostics(yaml).map { "\($0.line): \($0.message)" }
        let expected = [
            "5: unknown key 'aging_per_secnd' in 'scoring'; did you mean 'aging_per_second'?",
            "8: queues[0].skills.fraud: unknown skill 'fraud'",
            "12: queues[0].relaxation[1].after: steps must be in increasing order of wait: 30 s comes after 60 s",
            "13: queues[0].relaxation[1].add_teams: unknown team 'nobody'",
            "15: queues[0].overflow: overflow loop: billing -> sales -> billing",
            "16: unknown strategy 'longest_idel' (longest_idle, least_occupied, highest_proficiency, fewest_contacts, round_robin, random); did you mean 'longest_idle'?",
            "17: '09:00-25:00' is not HH:MM-HH:MM in hours for 'mon-fri'",
            "17: '18:00-09:00' ends before it starts in hours for 'sat'",
            "17: unknown day 'funday' in hours (mon ... sun, a range like mon-fri, or time_zone)",
            "21: 'queues[1].offer_timeout' must be a whole number, got 'soon'",
            "25: queues[2].overflow: overflow target 'billing' is a voice queue, not chat",
        ]
        #expect(found == expected)
        #expect(diagnostics(yaml).allSatisfy { $0.description.hasPrefix("rules.yaml:") })
    }

    @Test func yamlSyntaxErrorsPointAtTheirLine() {
        let found = diagnostics("tenant: shop\nqueues:\n  - name: a\n   bad: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("YAML syntax") == true)
        #expect((3...5).contains(found.first?.line ?? 0))
    }

    @Test func missingFieldsAndWrongShapesAreReported() {
        let found = diagnostics("skills: billing\nqueues:\n  - channel: voice\n  - name: q\n    relaxation: [{min_proficiency: 2}]\n")
            .map(\.message)
        #expect(found.contains("missing 'tenant': every rule file names the tenant it routes for"))
        #expect(found.contains("'skills' must be a list"))
        #expect(found.contains("queue without 'name'"))
        #expect(found.contains("relaxation step without 'after' (seconds in queue)"))
    }

    @Test func stepsThatWidenNothingOrOutliveMaxWaitAreRejected() {
        let yaml = """
        tenant: shop
        skills: [a]
        queues:
          - name: q
            skills: {a: 5}
            max_wait: 100
            relaxation:
              - after: 50
              - after: 120
                drop_skills: [a]
        """
        let found = diagnostics(yaml).map { "\($0.line): \($0.message)" }
        #expect(found == [
            "8: queues[0].relaxation[0]: step widens nothing: give min_proficiency, drop_skills or add_teams",
            "9: queues[0].relaxation[1].after: step at 120 s is never reached: max_wait is 100 s",
        ])
    }

    @Test func durationsAreBoundedSoTimersCannotOverflow() {
        let yaml = """
        tenant: shop
        skills: [a]
        statistics_window: 10
        queues:
          - name: q
            skills: {a: 5}
            max_wait: 9223372036854775807
            offer_timeout: 0
            wrap_up: 99999999
            relaxation: [{after: 5000000000, min_proficiency: 2}]
        """
        let found = diagnostics(yaml).map { "\($0.line): \($0.message)" }
        #expect(found == [
            "3: statistics_window: must be 60...2592000 seconds",
            "7: queues[0].max_wait: must be 1...2592000 seconds, got 9223372036854775807",
            "8: queues[0].offer_timeout: must be 1...2592000 seconds, got 0",
            "9: queues[0].wrap_up: must be 1...2592000 seconds, got 99999999",
            "10: queues[0].relaxation[0].after: must be at most 2592000 seconds",
        ])
    }

    @Test func languagesMapToDeclaredSkills() throws {
        let good = try RuleLoader.load(sources: [RuleLoader.Source(name: "l.yaml", text: """
        tenant: shop
        skills: [spanish]
        languages: {es: spanish}
        language_level: 7
        queues: [{name: q}]
        """)])
        #expect(good.tenants[0].languageSkills == ["es": "spanish"] && good.tenants[0].languageLevel == 7)
        let found = diagnostics("tenant: shop\nskills: [spanish]\nlanguages: {fr: french}\nlanguage_level: 11\nqueues: [{name: q}]\n")
            .map { "\($0.line): \($0.message)" }
        #expect(found == ["3: languages.fr: unknown skill 'french'", "4: language_level: proficiency must be 1...10, got 11"])
    }

    @Test func hoursValidation() {
        let yaml = """
        tenant: shop
        skills: []
        queues:
          - name: q
            hours:
              time_zone: Mars/Olympus
              mon: ["09:00-12:00", "11:00-14:00"]
              mon-fri: "08:00-09:00"
        """
        let found = diagnostics(yaml).map { "\($0.line): \($0.message)" }
        #expect(found == [
            "6: unknown time zone 'Mars/Olympus'",
            "7: hours for 'mon' overlap at 11:00",
            "8: mon is given hours twice",
        ])
    }

    @Test func aTenantDefinedInTwoFilesIsReported() throws {
        let one = RuleLoader.Source(name: "a.yaml", text: "tenant: shop\nskills: []\nqueues: [{name: q}]\n")
        let two = RuleLoader.Source(name: "b.yaml", text: "skills: []\ntenant: shop\nqueues: [{name: q}]\n")
        do {
            _ = try RuleLoader.load(sources: [one, two])
            Issue.record("expected a duplicate-tenant error")
        } catch {
            #expect(error.diagnostics.map(\.description) == ["b.yaml:2: tenant 'shop' is already defined in a.yaml"])
        }
    }

    @Test func aValidFileBuildsTheRulesItSays() throws {
        let yaml = """
        tenant: shop
        time_zone: Europe/Madrid
        skills: [billing, spanish]
        teams: [care]
        agent_defaults: {capacity: {chat: 4}, voice_exclusive: false, max_missed_offers: 5}
        scoring: {tier_boost: {gold: 50}, strict_tiers: [vip], lifetime_value_weight: 0.5}
        queues:
          - name: billing
            skills: {billing: 6}
            relaxation: [{after: 30, min_proficiency: 3}, {after: 90, drop_skills: [billing], add_teams: [care]}]
            service_level: {percent: 90, seconds: 15}
            wrap_up: manual
            strategy: round_robin
            hours: {mon-fri: "08:00-20:00", sat: 24h}
        """
        let rules = try RuleLoader.load(sources: [RuleLoader.Source(name: "shop.yaml", text: yaml)])
        let tenant = try #require(rules.tenants.first)
        #expect(tenant.agentDefaults.capacity.chat == 4 && !tenant.agentDefaults.voiceExclusive && tenant.agentDefaults.maxMissedOffers == 5)
        #expect(tenant.scoring.tierBoost == ["gold": 50] && tenant.scoring.strictTiers == ["vip"])
        let queue = try #require(tenant.queues.first)
        #expect(queue.relaxation == [RelaxationStep(afterSeconds: 30, minProficiency: 3),
                                     RelaxationStep(afterSeconds: 90, dropSkills: ["billing"], addTeams: ["care"])])
        #expect(queue.wrapUp == .manual && queue.strategy == .roundRobin && queue.serviceLevel.seconds == 15)
        #expect(queue.hours?.timeZoneName == "Europe/Madrid")
        #expect(queue.hours?.weekly[5] == [0..<1440] && queue.hours?.weekly[6] == [])
    }
}
