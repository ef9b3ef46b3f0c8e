/// A mistake in a rule set. `path` names the field as the rule files spell it, e.g.
/// `queues.2.relaxation.1.after`, so the YAML loader can point at the line.
public struct RuleProblem: Sendable, Hashable, CustomStringConvertible {
    public var tenant: String
    public var path: String
    public var message: String

    public init(tenant: String, path: String, message: String) {
        self.tenant = tenant
        self.path = path
        self.message = message
    }

    public var description: String { "\(tenant): \(path): \(message)" }
}

public struct RulesRejected: Error, Sendable, CustomStringConvertible {
    public var code: RejectionCode
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

public let proficiencyRange = 1...10

/// The longest duration a rule may give (30 days): bounds every timer so millisecond arithmetic cannot overflow.
public let maximumRuleSeconds = 30 * 86_400

extension RuleSet {
    /// Every semantic mistake at once: unknown skills or teams, steps out of order or not widening,
    /// overflow loops and channel mismatches, values out of range.
    public func problems() -> [RuleProblem] {
        var problems: [RuleProblem] = []
        var seenTenants: Set<String> = []
        for (t, tenant) in tenants.enumerated() {
            if tenant.name.isEmpty {
                problems.append(RuleProblem(tenant: "tenants.\(t)", path: "tenant", message: "tenant name is empty"))
            } else if !seenTenants.insert(tenant.name).inserted {
                problems.append(RuleProblem(tenant: tenant.name, path: "tenant", message: "tenant '\(tenant.name)' is defined twice"))
            }
            problems += tenant.problems()
        }
        return problems
    }
}

extension TenantRules {
    func problems() -> [RuleProblem] {
        var problems: [RuleProblem] = []
        func problem(_ path: String, _ message: String) {
            problems.append(RuleProblem(tenant: name, path: path, message: message))
        }
        let skillSet = Set(skills)
        let teamSet = Set(teams)
        for (i, skill) in skills.enumerated() where skills[..<i].contains(skill) {
            problem("skills.\(i)", "skill '\(skill)' is listed twice")
        }
        for channel in Channel.allCases where !(0...ChannelCapacity.maximumPerChannel).contains(agentDefaults.capacity[channel]) {
            problem("agent_defaults.capacity.\(channel)", "capacity must be 0...\(ChannelCapacity.maximumPerChannel)")
        }
        if agentDefaults.maxMissedOffers < 1 { problem("agent_defaults.max_missed_offers", "must be at least 1") }
        if !(60...maximumRuleSeconds).contains(statisticsWindowSeconds) {
            problem("statistics_window", "must be 60...\(maximumRuleSeconds) seconds")
        }
        for (language, skill) in languageSkills.sorted(by: { $0.key < $1.key }) where !skillSet.contains(skill) {
            problem("languages.\(language)", "unknown skill '\(skill)'")
        }
        if !proficiencyRange.contains(languageLevel) { problem("language_level", "proficiency must be 1...10, got \(languageLevel)") }
        for (i, tier) in scoring.strictTiers.enumerated() where scoring.strictTiers[..<i].contains(tier) {
            problem("scoring.strict_tiers.\(i)", "tier '\(tier)' is listed twice")
        }
        let numbers: [(String, Double)] = [
            ("scoring.priority_weight", scoring.priorityWeight), ("scoring.lifetime_value_weight", scoring.lifetimeValueWeight),
            ("scoring.churn_risk_boost", scoring.churnRiskBoost), ("scoring.aging_per_second", scoring.agingPerSecond),
        ] + scoring.tierBoost.sorted { $0.key < $1.key }.map { ("scoring.tier_boost.\($0.key)", $0.value) }
        for (path, value) in numbers where !value.isFinite { problem(path, "must be a finite number") }
        if scoring.agingPerSecond < 0 { problem("scoring.aging_per_second", "must not be negative") }

        let queuesByName = Dictionary(queues.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        for (q, queue) in queues.enumerated() {
            let at = "queues.\(q)"
            if queue.name.isEmpty { problem("\(at).name", "queue name is empty") }
            if queues[..<q].contains(where: { $0.name == queue.name }) {
                problem("\(at).name", "queue '\(queue.name)' is defined twice")
            }
            for (skill, level) in queue.skills.sorted(by: { $0.key < $1.key }) {
                if !skillSet.contains(skill) { problem("\(at).skills.\(skill)", "unknown skill '\(skill)'") }
                if !proficiencyRange.contains(level) { problem("\(at).skills.\(skill)", "proficiency must be 1...10, got \(level)") }
            }
            if !(0...100).contains(queue.serviceLevel.percent) { problem("\(at).service_level.percent", "must be 0...100") }
            if let maxSize = queue.maxSize, maxSize < 1 { problem("\(at).max_size", "must be at least 1") }
            var durations: [(String, Int?, Int)] = [
                ("max_wait", queue.maxWaitSeconds, 1), ("offer_timeout", queue.offerTimeoutSeconds, 1),
                ("decline_block", queue.declineBlockSeconds, 0), ("preferred_agent_wait", queue.preferredAgentWaitSeconds, 0),
                ("expected_handle_time", queue.expectedHandleSeconds, 1), ("service_level.seconds", queue.serviceLevel.seconds, 1),
            ]
            if case .timed(let seconds) = queue.wrapUp { durations.append(("wrap_up", seconds, 1)) }
            for (key, value, minimum) in durations {
                if let value, !(minimum...maximumRuleSeconds).contains(value) {
                    problem("\(at).\(key)", "must be \(minimum)...\(maximumRuleSeconds) seconds, got \(value)")
                }
            }
            if !(queue.weight.isFinite && queue.weight > 0) { problem("\(at).weight", "must be a positive number") }
            if let hours = queue.hours, hours.weekly.allSatisfy(\.isEmpty) {
                problem("\(at).hours", "the queue is never open; remove 'hours' for a queue that is always open")
            }
            if let hours = queue.hours {
                for (day, intervals) in hours.weekly.enumerated() {
                    for interval in intervals where interval.lowerBound < 0 || interval.upperBound > 1440 || interval.isEmpty {
                        problem("\(at).hours", "day \(day): interval \(interval) is not inside one day")
                    }
                }
            }
            problems += relaxationProblems(queue, at: at, skills: skillSet, teams: teamSet)
            switch queue.overflow {
            case .queue(let target)?:
                if let targetIndex = queuesByName[target] {
                    if queues[targetIndex].channel != queue.channel {
                        problem("\(at).overflow", "overflow target '\(target)' is a \(queues[targetIndex].channel) queue, not \(queue.channel)")
                    }
                    if queue.maxWaitSeconds == nil { problem("\(at).overflow", "overflow needs 'max_wait'") }
                } else {
                    problem("\(at).overflow", "unknown overflow target queue '\(target)'")
                }
            case .ivr?, nil:
                break
            }
        }
        problems += overflowLoops(queuesByName: queuesByName).map { RuleProblem(tenant: name, path: $0.path, message: $0.message) }
        return problems
    }

    private func relaxationProblems(_ queue: QueueRules, at: String, skills: Set<String>, teams: Set<String>) -> [RuleProblem] {
        var problems: [RuleProblem] = []
        var previousAfter = 0
        var remaining = queue.skills
        for (s, step) in queue.relaxation.enumerated() {
            let path = "\(at).relaxation.\(s)"
            if step.afterSeconds > maximumRuleSeconds {
                problems.append(RuleProblem(tenant: name, path: "\(path).after", message: "must be at most \(maximumRuleSeconds) seconds"))
            } else if step.afterSeconds <= previousAfter {
                problems.append(RuleProblem(tenant: name, path: "\(path).after",
                    message: "steps must be in increasing order of wait: \(step.afterSeconds) s comes after \(previousAfter) s"))
            }
            if let maxWait = queue.maxWaitSeconds, step.afterSeconds >= maxWait {
                problems.append(RuleProblem(tenant: name, path: "\(path).after",
                    message: "step at \(step.afterSeconds) s is never reached: max_wait is \(maxWait) s"))
            }
            previousAfter = max(previousAfter, step.afterSeconds)
            if let cap = step.minProficiency, !proficiencyRange.contains(cap) {
                problems.append(RuleProblem(tenant: name, path: "\(path).min_proficiency", message: "proficiency must be 1...10, got \(cap)"))
            }
            for skill in step.dropSkills {
                if !skills.contains(skill) {
                    problems.append(RuleProblem(tenant: name, path: "\(path).drop_skills", message: "unknown skill '\(skill)'"))
                } else if remaining[skill] == nil {
                    problems.append(RuleProblem(tenant: name, path: "\(path).drop_skills", message: "skill '\(skill)' is not required at this step"))
                }
                remaining[skill] = nil
            }
            for team in step.addTeams where !teams.contains(team) {
                problems.append(RuleProblem(tenant: name, path: "\(path).add_teams", message: "unknown team '\(team)'"))
            }
            if step.minProficiency == nil, step.dropSkills.isEmpty, step.addTeams.isEmpty {
                problems.append(RuleProblem(tenant: name, path: path, message: "step widens nothing: give min_proficiency, drop_skills or add_teams"))
            }
        }
        return problems
    }

    private func overflowLoops(queuesByName: [String: Int]) -> [(path: String, message: String)] {
        var reported: Set<Int> = []
        var loops: [(String, String)] = []
        for start in queues.indices {
            var chain = [start]
            var current = start
            while case .queue(let target)? = queues[current].overflow, let next = queuesByName[target] {
                if let loopStart = chain.firstIndex(of: next) {
                    let cycle = Array(chain[loopStart...])
                    if reported.isDisjoint(with: cycle) {
                        reported.formUnion(cycle)
                        let names = (cycle + [next]).map { queues[$0].name }.joined(separator: " -> ")
                        loops.append(("queues.\(cycle.min()!).overflow", "overflow loop: \(names)"))
                    }
                    break
                }
                chain.append(next)
                current = next
            }
        }
        return loops
    }
}
