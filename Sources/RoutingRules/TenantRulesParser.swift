import RoutingCore
import Yams

/// Reads one tenant's rule file into `TenantRules`. Shapes and types are checked here, with the line of each
/// mistake; meaning (unknown skills, step order, overflow loops) is checked by `RuleSet.problems()`.
struct TenantRulesParser {
    var reader: YAMLReader

    init(file: String) { reader = YAMLReader(file: file) }

    static let topKeys = [
        "tenant", "time_zone", "skills", "teams", "languages", "language_level", "agent_defaults", "scoring",
        "statistics_window", "queues",
    ]
    static let queueKeys = [
        "name", "channel", "skills", "relaxation", "service_level", "max_size", "max_wait", "overflow", "hours",
        "offer_timeout", "wrap_up", "strategy", "weight", "decline_block", "preferred_agent_wait", "expected_handle_time",
    ]

    mutating func parse(_ root: Node) -> TenantRules? {
        guard let top = reader.mapping(root, path: "", known: Self.topKeys) else { return nil }
        let name = top["tenant"].flatMap { reader.string($0, path: "tenant") }
        if top["tenant"] == nil { reader.error("missing 'tenant': every rule file names the tenant it routes for", at: root) }
        var timeZone = "UTC"
        if let node = top["time_zone"], let zone = reader.string(node, path: "time_zone") {
            if TimeZoneOffsets(identifier: zone) == nil { reader.error("unknown time zone '\(zone)'", at: node) } else { timeZone = zone }
        }
        var tenant = TenantRules(name: name ?? "", skills: [], queues: [])
        if let node = top["skills"] { tenant.skills = reader.strings(node, path: "skills") }
        if let node = top["teams"] { tenant.teams = reader.strings(node, path: "teams") }
        if let node = top["agent_defaults"] { tenant.agentDefaults = parseAgentDefaults(node) }
        if let node = top["scoring"] { tenant.scoring = parseScoring(node) }
        if let node = top["statistics_window"], let seconds = reader.int(node, path: "statistics_window") {
            tenant.statisticsWindowSeconds = seconds
        }
        if let node = top["languages"] {
            for (language, _, value) in reader.freeMapping(node, path: "languages") {
                if let skill = reader.string(value, path: "languages.\(language)") { tenant.languageSkills[language] = skill }
            }
        }
        if let node = top["language_level"], let level = reader.int(node, path: "language_level") { tenant.languageLevel = level }
        if let node = top["queues"] {
            tenant.queues = reader.sequence(node, path: "queues").enumerated().compactMap {
                parseQueue($0.element, path: "queues.\($0.offset)", defaultTimeZone: timeZone)
            }
        } else {
            reader.error("missing 'queues': a tenant needs at least one queue", at: root)
        }
        return name == nil ? nil : tenant
    }

    private mutating func parseAgentDefaults(_ node: Node) -> AgentDefaults {
        var defaults = AgentDefaults()
        guard let map = reader.mapping(node, path: "agent_defaults", known: ["capacity", "voice_exclusive", "max_missed_offers"]) else {
            return defaults
        }
        if let capacityNode = map["capacity"] {
            for (key, keyNode, value) in reader.freeMapping(capacityNode, path: "agent_defaults.capacity") {
                guard let channel = Channel(name: key) else {
                    reader.error("unknown channel '\(key)' (voice, chat, email, callback)", at: keyNode)
                    continue
                }
                if let count = reader.int(value, path: "agent_defaults.capacity.\(key)") { defaults.capacity[channel] = count }
            }
        }
        if let node = map["voice_exclusive"], let value = reader.bool(node, path: "agent_defaults.voice_exclusive") {
            defaults.voiceExclusive = value
        }
        if let node = map["max_missed_offers"], let value = reader.int(node, path: "agent_defaults.max_missed_offers") {
            defaults.maxMissedOffers = value
        }
        return defaults
    }

    private mutating func parseScoring(_ node: Node) -> ScoringRules {
        var scoring = ScoringRules()
        let keys = ["priority_weight", "tier_boost", "lifetime_value_weight", "churn_risk_boost", "aging_per_second", "strict_tiers"]
        guard let map = reader.mapping(node, path: "scoring", known: keys) else { return scoring }
        if let n = map["priority_weight"], let v = reader.number(n, path: "scoring.priority_weight") { scoring.priorityWeight = v }
        if let n = map["lifetime_value_weight"], let v = reader.number(n, path: "scoring.lifetime_value_weight") { scoring.lifetimeValueWeight = v }
        if let n = map["churn_risk_boost"], let v = reader.number(n, path: "scoring.churn_risk_boost") { scoring.churnRiskBoost = v }
        if let n = map["aging_per_second"], let v = reader.number(n, path: "scoring.aging_per_second") { scoring.agingPerSecond = v }
        if let n = map["strict_tiers"] { scoring.strictTiers = reader.strings(n, path: "scoring.strict_tiers") }
        if let n = map["tier_boost"] {
            for (tier, _, value) in reader.freeMapping(n, path: "scoring.tier_boost") {
                if let boost = reader.number(value, path: "scoring.tier_boost.\(tier)") { scoring.tierBoost[tier] = boost }
            }
        }
        return scoring
    }

    private mutating func parseQueue(_ node: Node, path: String, defaultTimeZone: String) -> QueueRules? {
        guard let map = reader.mapping(node, path: path, known: Self.queueKeys) else { return nil }
        guard let nameNode = map["name"] else {
            reader.error("queue without 'name'", at: node)
            return nil
        }
        guard let name = reader.string(nameNode, path: "\(path).name") else { return nil }
        var queue = QueueRules(name: name)
        if let n = map["channel"], let text = reader.string(n, path: "\(path).channel") {
            if let channel = Channel(name: text) { queue.channel = channel } else {
                reader.error("unknown channel '\(text)' (voice, chat, email, callback)", at: n)
            }
        }
        if let n = map["skills"] {
            for (skill, _, value) in reader.freeMapping(n, path: "\(path).skills") {
                if let level = reader.int(value, path: "\(path).skills.\(skill)") { queue.skills[skill] = level }
            }
        }
        if let n = map["relaxation"] {
            queue.relaxation = reader.sequence(n, path: "\(path).relaxation").enumerated().compactMap {
                parseStep($0.element, path: "\(path).relaxation.\($0.offset)")
            }
        }
        if let n = map["service_level"],
           let sl = reader.mapping(n, path: "\(path).service_level", known: ["percent", "seconds"]) {
            if let p = sl["percent"], let v = reader.number(p, path: "\(path).service_level.percent") { queue.serviceLevel.percent = v }
            if let s = sl["seconds"], let v = reader.int(s, path: "\(path).service_level.seconds") { queue.serviceLevel.seconds = v }
        }
        if let n = map["max_size"] { queue.maxSize = reader.int(n, path: "\(path).max_size") }
        if let n = map["max_wait"] { queue.maxWaitSeconds = reader.int(n, path: "\(path).max_wait") }
        if let n = map["overflow"], let target = reader.string(n, path: "\(path).overflow") {
            queue.overflow = target == "ivr" ? .ivr : .queue(target)
        }
        if let n = map["hours"] { queue.hours = parseHours(n, path: "\(path).hours", defaultTimeZone: defaultTimeZone) }
        if let n = map["offer_timeout"], let v = reader.int(n, path: "\(path).offer_timeout") { queue.offerTimeoutSeconds = v }
        if let n = map["wrap_up"] {
            reader.note("\(path).wrap_up", n)
            switch n.string {
            case "manual": queue.wrapUp = .manual
            case "none": queue.wrapUp = WrapUpRule.none
            default:
                if let seconds = n.int { queue.wrapUp = seconds == 0 ? WrapUpRule.none : .timed(seconds: seconds) } else {
                    reader.error("'wrap_up' must be seconds, 'manual' or 'none', got '\(n.string ?? "a collection")'", at: n)
                }
            }
        }
        if let n = map["strategy"], let text = reader.string(n, path: "\(path).strategy") {
            if let strategy = AgentSelectionStrategy(rawValue: text) { queue.strategy = strategy } else {
                let names = AgentSelectionStrategy.allCases.map(\.rawValue)
                let hint = YAMLReader.closest(to: text, in: names).map { "; did you mean '\($0)'?" } ?? ""
                reader.error("unknown strategy '\(text)' (\(names.joined(separator: ", ")))\(hint)", at: n)
            }
        }
        if let n = map["weight"], let v = reader.number(n, path: "\(path).weight") { queue.weight = v }
        if let n = map["decline_block"], let v = reader.int(n, path: "\(path).decline_block") { queue.declineBlockSeconds = v }
        if let n = map["preferred_agent_wait"], let v = reader.int(n, path: "\(path).preferred_agent_wait") { queue.preferredAgentWaitSeconds = v }
        if let n = map["expected_handle_time"], let v = reader.int(n, path: "\(path).expected_handle_time") { queue.expectedHandleSeconds = v }
        return queue
    }

    private mutating func parseStep(_ node: Node, path: String) -> RelaxationStep? {
        guard let map = reader.mapping(node, path: path, known: ["after", "min_proficiency", "drop_skills", "add_teams"]) else { return nil }
        guard let afterNode = map["after"] else {
            reader.error("relaxation step without 'after' (seconds in queue)", at: node)
            return nil
        }
        guard let after = reader.int(afterNode, path: "\(path).after") else { return nil }
        var step = RelaxationStep(afterSeconds: after)
        if let n = map["min_proficiency"] { step.minProficiency = reader.int(n, path: "\(path).min_proficiency") }
        if let n = map["drop_skills"] { step.dropSkills = reader.strings(n, path: "\(path).drop_skills") }
        if let n = map["add_teams"] { step.addTeams = reader.strings(n, path: "\(path).add_teams") }
        return step
    }

    private mutating func parseHours(_ node: Node, path: String, defaultTimeZone: String) -> OpenHours? {
        var zoneName = defaultTimeZone
        var weekly = [[Range<Int>]](repeating: [], count: 7)
        var seenDays = Set<Int>()
        var valid = true
        for (key, keyNode, value) in reader.freeMapping(node, path: path) {
            if key == "time_zone" {
                guard let zone = reader.string(value, path: "\(path).time_zone") else { valid = false; continue }
                if TimeZoneOffsets(identifier: zone) == nil {
                    reader.error("unknown time zone '\(zone)'", at: value)
                    valid = false
                } else {
                    zoneName = zone
                }
                continue
            }
            guard let days = WeeklyHours.days(key) else {
                reader.error("unknown day '\(key)' in hours (mon ... sun, a range like mon-fri, or time_zone)", at: keyNode)
                valid = false
                continue
            }
            let texts: [(String, Node)]
            if case .sequence = value {
                texts = reader.sequence(value, path: "\(path).\(key)").compactMap { item in item.string.map { ($0, item) } }
            } else {
                texts = value.string.map { [($0, value)] } ?? []
            }
            var intervals: [Range<Int>] = []
            for (text, textNode) in texts {
                switch WeeklyHours.intervals(text) {
                case .success(let parsed): intervals += parsed
                case .failure(let problem):
                    reader.error("\(problem.message) in hours for '\(key)'", at: textNode)
                    valid = false
                }
            }
            if texts.isEmpty {
                reader.error("hours for '\(key)' must be \"HH:MM-HH:MM\", a list of those, \"closed\" or \"24h\"", at: value)
                valid = false
            }
            if let overlap = WeeklyHours.firstOverlap(intervals) {
                reader.error("hours for '\(key)' overlap at \(WeeklyHours.clock(overlap))", at: value)
                valid = false
            }
            for day in days {
                if !seenDays.insert(day).inserted {
                    reader.error("\(WeeklyHours.dayNames[day]) is given hours twice", at: keyNode)
                    valid = false
                }
                weekly[day] = intervals.sorted { $0.lowerBound < $1.lowerBound }
            }
        }
        guard valid, let offsets = TimeZoneOffsets(identifier: zoneName) else { return nil }
        return OpenHours(weekly: weekly, timeZoneName: zoneName, offsets: offsets)
    }
}

/// The small language of opening hours: days `mon`...`sun` or ranges `mon-fri`; intervals `08:00-20:00`,
/// `closed`, `24h`. An interval may end at `24:00`.
enum WeeklyHours {
    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    static func days(_ key: String) -> [Int]? {
        if let day = dayNames.firstIndex(of: key) { return [day] }
        let ends = key.split(separator: "-").map(String.init)
        guard ends.count == 2, let first = dayNames.firstIndex(of: ends[0]), let last = dayNames.firstIndex(of: ends[1]),
              first < last else { return nil }
        return Array(first...last)
    }

    static func intervals(_ text: String) -> Result<[Range<Int>], HoursError> {
        switch text {
        case "closed": return .success([])
        case "24h": return .success([0..<1440])
        default: break
        }
        let ends = text.split(separator: "-").map(String.init)
        guard ends.count == 2, let start = minutes(ends[0]), let end = minutes(ends[1]) else {
            return .failure(HoursError(message: "'\(text)' is not HH:MM-HH:MM"))
        }
        guard start < end else { return .failure(HoursError(message: "'\(text)' ends before it starts")) }
        return .success([start..<end])
    }

    static func firstOverlap(_ intervals: [Range<Int>]) -> Int? {
        let sorted = intervals.sorted { $0.lowerBound < $1.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.lowerBound < a.upperBound { return b.lowerBound }
        return nil
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...59).contains(m), (0...23).contains(h) || (h == 24 && m == 0) else { return nil }
        return h * 60 + m
    }

    static func clock(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    struct HoursError: Error { var message: String }
}
