import RoutingCore

/// Midnight UTC starting the simulated day (a Friday), so that rule files' opening hours apply.
public let dayStart = Instant(seconds: 1_799_971_200)

/// What a `ScenarioPlayer` plays against. Commands go in; the events they cause come out, at once (the routing
/// core) or later (a daemon over the wire, whose events arrive while the player waits for its next step).
public protocol RoutingBackend {
    mutating func handle(_ command: Command, now: Instant, into events: inout [Event])
    /// The core's next timer, for a virtual clock to stop at; nil for a live one.
    var nextTimerDue: Instant? { get }
    /// Moves towards `time` and returns where it got: a virtual clock gets there; a live one may stop short
    /// when events arrive.
    mutating func advance(to time: Instant, into events: inout [Event]) -> Instant
    /// Called as the player carries out a step planned for `time` (a live backend measures its lateness).
    mutating func performing(appointmentDueAt time: Instant)
    /// Contacts waiting in a queue now, for the charts.
    func waiting(tenant: String, queue: String) -> Int
    /// Lines for the report.
    var summary: [String] { get }
}

/// The routing core itself, in virtual time.
public struct EngineBackend: RoutingBackend {
    public private(set) var engine: RoutingEngine

    public init(rules: RuleSet, seed: UInt64) throws {
        engine = try RoutingEngine(rules: rules, seed: seed, startingAt: dayStart)
    }

    public mutating func handle(_ command: Command, now: Instant, into events: inout [Event]) {
        engine.handle(command, now: now, into: &events)
    }

    public var nextTimerDue: Instant? { engine.nextTimerDue }

    public mutating func advance(to time: Instant, into events: inout [Event]) -> Instant {
        engine.advance(to: time, into: &events)
        return time
    }

    public mutating func performing(appointmentDueAt time: Instant) {}

    public func waiting(tenant: String, queue: String) -> Int {
        engine.queueStatistics(tenant: tenant, queue: queue)?.waiting ?? 0
    }

    public var summary: [String] { [] }
}

/// Discrete-event simulation in virtual time against the very routing core the daemon runs, same rule files:
/// the clock jumps from one step to the next, so a simulated day takes seconds.
public typealias VirtualSimulation = ScenarioPlayer<EngineBackend>

extension ScenarioPlayer where Backend == EngineBackend {
    public init(scenario: Scenario, rules: RuleSet) throws {
        try self.init(scenario: scenario, rules: rules, backend: EngineBackend(rules: rules, seed: scenario.seed))
    }
}
