import ACDProtocol
import CRMStore
import Foundation
import RoutingCore

/// A scenario played in real time against a running acdd, then reconciled: what the simulator sent and the
/// outcomes it saw on the event stream must equal the daemon's own statistics and, when a CRM database is
/// named, the call cards in it.
public enum LiveSimulation {
    /// `speedup` runs the callers' and desktops' clock faster than real time; the daemon's own timers (offer
    /// timeout, timed wrap-up, relaxation) keep real time.
    public static func run(
        scenario: Scenario, rules: RuleSet, endpoints: LiveBackend.Endpoints, speedup: Double, crmDatabase: String?,
        progress: (Double) -> Void = { _ in }
    ) throws -> SimulationReport {
        let backend = try LiveBackend(endpoints: endpoints, speedup: speedup)
        let startedMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let before = try backend.admin.statistics()
        var player = try ScenarioPlayer(scenario: scenario, rules: rules, backend: backend)
        var report = player.run(progress: progress)
        var live = player.backend
        let after = try live.admin.statistics()
        live.catchUp(to: after.daemon.lastSequence)
        var lines = live.summary
        lines += reconcile(live, before: before, after: after, tenant: scenario.tenant)
        if let crmDatabase {
            lines += try reconcileCallCards(live, statistics: after, database: crmDatabase, since: startedMilliseconds)
        }
        report.backendNotes = lines
        return report
    }

    private static func totals(_ statistics: Acd_V1_Statistics, tenant: String) -> (submitted: Int64, answered: Int64, abandoned: Int64) {
        statistics.queues.filter { $0.tenant == tenant }.reduce((0, 0, 0)) {
            ($0.0 + $1.submitted, $0.1 + $1.answered, $0.2 + $1.abandoned)
        }
    }

    private static func reconcile(_ live: LiveBackend, before: Acd_V1_Statistics, after: Acd_V1_Statistics, tenant: String) -> [String] {
        let start = totals(before, tenant: tenant), end = totals(after, tenant: tenant)
        let rows: [(String, Int64, Int)] = [
            ("submitted", end.submitted - start.submitted, live.accepted),
            ("answered", end.answered - start.answered, live.observed["answered"] ?? 0),
            ("abandoned", end.abandoned - start.abandoned, live.observed["abandoned"] ?? 0),
        ]
        var lines = rows.map { name, daemon, simulator in
            "live: \(name): daemon \(daemon), simulator \(simulator) \(daemon == Int64(simulator) ? "(reconciled)" : "(MISMATCH)")"
        }
        if live.gaps > 0 { lines.append("live: \(live.gaps) gaps in the event sequence (events dropped on the way)") }
        if !live.refusals.isEmpty {
            lines.append("live: refused by the daemon: " + live.refusals.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        return lines
    }

    /// Waits (up to 30 s) for the CRM store to write this run's events, then compares its call cards.
    private static func reconcileCallCards(_ live: LiveBackend, statistics: Acd_V1_Statistics, database path: String, since: Int64) throws -> [String] {
        let database = try CRMDatabase(path: path)
        let stream = statistics.daemon.streamID
        let deadline = ContinuousClock.now + .seconds(30)
        var counts = try database.callCardCounts(stream: stream, receivedSince: since)
        while counts.writtenThrough < statistics.daemon.lastSequence, ContinuousClock.now < deadline {
            usleep(100_000)
            counts = try database.callCardCounts(stream: stream, receivedSince: since)
        }
        let rows: [(String, Int64, Int64)] = [
            ("call cards", Int64(counts.cards), Int64(live.observed["received"] ?? 0)),
            ("answered cards", Int64(counts.answered), Int64(live.observed["answered"] ?? 0)),
            ("abandoned cards", Int64(counts.abandoned), Int64(live.observed["abandoned"] ?? 0)),
            // The report's waits are the daemon's (`LiveBackend`), so they are the call cards' too.
            ("answered waits (ms)", counts.answeredWaitMilliseconds, live.answeredWaitMilliseconds),
        ]
        return rows.map { name, cards, observed in
            "live: \(name): CRM \(cards), simulator \(observed) \(cards == observed ? "(reconciled)" : "(MISMATCH)")"
        }
    }
}
