import Foundation
import Yams

/// A load scenario: the rules to route with, who calls when, who answers and how. Read from YAML; every field is
/// documented in simulators/README.md. Times are seconds from the start of the simulated day.
public struct Scenario: Decodable, Sendable {
    public var name: String
    public var description: String?
    /// A rule file or directory, relative to the scenario file.
    public var rules: String
    public var tenant: String
    public var duration: Double
    /// Contacts arriving before this are routed but left out of the report (the system starts empty).
    public var warmup: Double = 0
    public var seed: UInt64 = 1
    public var arrivals: [ArrivalStream]
    public var customers: CustomerMix = CustomerMix()
    /// How long a caller waits before hanging up; absent: forever.
    public var patience: Distribution?
    public var agents: [AgentGroup]
    /// After-call work for queues whose rules say `wrap_up: manual`: how long the agent takes before ending it.
    public var wrapUp: Distribution = .constant(0)
    public var offers: OfferBehaviour = OfferBehaviour()
    public var outages: [Outage] = []
    /// Seconds between the samples of the report's charts; default: duration / 240.
    public var sampleEvery: Double?

    enum CodingKeys: String, CodingKey {
        case name, description, rules, tenant, duration, warmup, seed, arrivals, customers, patience, agents, offers, outages
        case wrapUp = "wrap_up"
        case sampleEvery = "sample_every"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        rules = try c.decode(String.self, forKey: .rules)
        tenant = try c.decode(String.self, forKey: .tenant)
        duration = try c.decode(Double.self, forKey: .duration)
        warmup = try c.decodeIfPresent(Double.self, forKey: .warmup) ?? 0
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        arrivals = try c.decode([ArrivalStream].self, forKey: .arrivals)
        customers = try c.decodeIfPresent(CustomerMix.self, forKey: .customers) ?? CustomerMix()
        patience = try c.decodeIfPresent(Distribution.self, forKey: .patience)
        agents = try c.decode([AgentGroup].self, forKey: .agents)
        wrapUp = try c.decodeIfPresent(Distribution.self, forKey: .wrapUp) ?? .constant(0)
        offers = try c.decodeIfPresent(OfferBehaviour.self, forKey: .offers) ?? OfferBehaviour()
        outages = try c.decodeIfPresent([Outage].self, forKey: .outages) ?? []
        sampleEvery = try c.decodeIfPresent(Double.self, forKey: .sampleEvery)
    }

    /// Reads a scenario; `rules` becomes an absolute path.
    public static func load(path: String) throws -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioError("\(path): cannot read: \(error.localizedDescription)")
        }
        var scenario: Scenario
        do {
            scenario = try YAMLDecoder().decode(Scenario.self, from: text)
        } catch {
            throw ScenarioError("\(path): \(error)")
        }
        if !scenario.rules.hasPrefix("/") {
            scenario.rules = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(scenario.rules).standardized.path
        }
        let problems = scenario.problems()
        guard problems.isEmpty else { throw ScenarioError("\(path): " + problems.joined(separator: "\n\(path): ")) }
        return scenario
    }

    /// Every inconsistency at once.
    public func problems() -> [String] {
        var found: [String] = []
        if !(duration > 0) { found.append("duration must be > 0") }
        if !(warmup >= 0 && warmup < duration) { found.append("warmup must be 0 ... duration") }
        if arrivals.isEmpty { found.append("arrivals: at least one stream") }
        if agents.isEmpty { found.append("agents: at least one group") }
        let groups = Set(agents.map(\.name))
        if groups.count != agents.count { found.append("agents: group names must be unique") }
        for (index, outage) in outages.enumerated() where !groups.contains(outage.group) {
            found.append("outages.\(index).group: unknown group '\(outage.group)'")
        }
        for (index, stream) in arrivals.enumerated() where stream.ratePerHour < 0 || stream.schedule.contains(where: { $0.ratePerHour < 0 }) {
            found.append("arrivals.\(index): rates must be >= 0")
        }
        let shares = customers.tiers.values.reduce(0, +)
        if shares > 1 { found.append("customers.tiers: shares add up to more than 1") }
        if offers.declineRate + offers.missRate > 1 { found.append("offers: decline_rate + miss_rate must be <= 1") }
        return found
    }
}

public struct ScenarioError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Contacts for one queue: a Poisson process whose rate may change over the day, plus bursts.
public struct ArrivalStream: Decodable, Sendable {
    public var queue: String
    public var ratePerHour: Double
    /// From `from` seconds on, the rate becomes `rate_per_hour`.
    public var schedule: [RateChange] = []
    public var bursts: [Burst] = []
    public var handleTime: Distribution
    public var priority: Int = 0
    public var requiredSkills: [String: Int] = [:]
    /// Overrides the scenario's patience for this stream.
    public var patience: Distribution?
    /// Every contact of this stream has this tier (a VIP line), instead of one drawn from the customer mix.
    public var tier: String?

    enum CodingKeys: String, CodingKey {
        case queue, schedule, bursts, priority, patience, tier
        case ratePerHour = "rate_per_hour"
        case handleTime = "handle_time"
        case requiredSkills = "required_skills"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        queue = try c.decode(String.self, forKey: .queue)
        ratePerHour = try c.decode(Double.self, forKey: .ratePerHour)
        schedule = try c.decodeIfPresent([RateChange].self, forKey: .schedule) ?? []
        bursts = try c.decodeIfPresent([Burst].self, forKey: .bursts) ?? []
        handleTime = try c.decode(Distribution.self, forKey: .handleTime)
        priority = try c.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        requiredSkills = try c.decodeIfPresent([String: Int].self, forKey: .requiredSkills) ?? [:]
        patience = try c.decodeIfPresent(Distribution.self, forKey: .patience)
        tier = try c.decodeIfPresent(String.self, forKey: .tier)
    }

    /// The rate in force at `time`.
    func rate(at time: Double) -> Double {
        schedule.last { $0.from <= time }?.ratePerHour ?? ratePerHour
    }
}

public struct RateChange: Decodable, Sendable {
    public var from: Double
    public var ratePerHour: Double
    enum CodingKeys: String, CodingKey {
        case from
        case ratePerHour = "rate_per_hour"
    }
}

public struct Burst: Decodable, Sendable {
    public var at: Double
    public var contacts: Int
    /// Spread over this many seconds (0: all at once).
    public var over: Double = 0
    enum CodingKeys: String, CodingKey { case at, contacts, over }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        at = try c.decode(Double.self, forKey: .at)
        contacts = try c.decode(Int.self, forKey: .contacts)
        over = try c.decodeIfPresent(Double.self, forKey: .over) ?? 0
    }
}

/// Who calls: tier shares, value, churn risk, language shares, and how many are returning callers.
public struct CustomerMix: Decodable, Sendable {
    /// Share of contacts per tier (the rest have no tier).
    public var tiers: [String: Double] = [:]
    public var lifetimeValue: Distribution = .constant(0)
    /// Churn risk, clamped to 0 ... 1.
    public var churnRisk: Distribution = .constant(0)
    public var languages: [String: Double] = [:]
    /// Share of contacts from a customer who called before, and so has a last agent.
    public var repeatCallers: Double = 0

    enum CodingKeys: String, CodingKey {
        case tiers, languages
        case lifetimeValue = "lifetime_value"
        case churnRisk = "churn_risk"
        case repeatCallers = "repeat_callers"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tiers = try c.decodeIfPresent([String: Double].self, forKey: .tiers) ?? [:]
        lifetimeValue = try c.decodeIfPresent(Distribution.self, forKey: .lifetimeValue) ?? .constant(0)
        churnRisk = try c.decodeIfPresent(Distribution.self, forKey: .churnRisk) ?? .constant(0)
        languages = try c.decodeIfPresent([String: Double].self, forKey: .languages) ?? [:]
        repeatCallers = try c.decodeIfPresent(Double.self, forKey: .repeatCallers) ?? 0
    }
}

/// `count` agents alike: ids `<name>-001`, ...
public struct AgentGroup: Decodable, Sendable {
    public var name: String
    public var count: Int
    public var team: String?
    public var skills: [String: Int]
    /// Logged in from `start` to `end` seconds; default: the whole run.
    public var shift: Shift?
    public var breaks: [Break] = []

    enum CodingKeys: String, CodingKey { case name, count, team, skills, shift, breaks }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        count = try c.decode(Int.self, forKey: .count)
        team = try c.decodeIfPresent(String.self, forKey: .team)
        skills = try c.decode([String: Int].self, forKey: .skills)
        shift = try c.decodeIfPresent(Shift.self, forKey: .shift)
        breaks = try c.decodeIfPresent([Break].self, forKey: .breaks) ?? []
    }
}

public struct Shift: Decodable, Sendable {
    public var start: Double
    public var end: Double
}

/// Every agent of the group goes not ready (reason `break`) at `at` for `duration` seconds, staggered by `stagger`
/// seconds per agent so the whole group is not away at once.
public struct Break: Decodable, Sendable {
    public var at: Double
    public var duration: Double
    public var stagger: Double = 0
    enum CodingKeys: String, CodingKey { case at, duration, stagger }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        at = try c.decode(Double.self, forKey: .at)
        duration = try c.decode(Double.self, forKey: .duration)
        stagger = try c.decodeIfPresent(Double.self, forKey: .stagger) ?? 0
    }
}

/// How desktops answer offers: after a ring time, some decline, some let the offer time out.
public struct OfferBehaviour: Decodable, Sendable {
    public var ringTime: Distribution = .constant(0)
    public var declineRate: Double = 0
    public var missRate: Double = 0

    enum CodingKeys: String, CodingKey {
        case ringTime = "ring_time"
        case declineRate = "decline_rate"
        case missRate = "miss_rate"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ringTime = try c.decodeIfPresent(Distribution.self, forKey: .ringTime) ?? .constant(0)
        declineRate = try c.decodeIfPresent(Double.self, forKey: .declineRate) ?? 0
        missRate = try c.decodeIfPresent(Double.self, forKey: .missRate) ?? 0
    }
}

/// `count` agents of `group` drop out (forced logout, as a failed site or network would) from `from` to `to`.
public struct Outage: Decodable, Sendable {
    public var group: String
    public var count: Int
    public var from: Double
    public var to: Double
}
