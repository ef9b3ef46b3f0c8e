import Foundation

/// Counts and service figures for a set of contacts (a queue, a tier, everything).
public struct Figures: Sendable {
    public var offered = 0
    public var answered = 0
    public var abandoned = 0
    public var overflowedOut = 0
    public var overflowedToIVR = 0
    public var closed = 0
    /// Answered within the target / (answered + abandoned after the target), as the daemon's statistics count it.
    public var serviceLevelPercent: Double?
    public var averageSpeedOfAnswerSeconds: Double?
    public var p90WaitSeconds: Double?
    /// Mean time in queue of every contact that left the queue (answered, abandoned, overflowed to the IVR).
    public var averageWaitSeconds: Double?
    public var abandonPercent = 0.0
    /// Share of contacts that waited at all.
    public var waitedPercent = 0.0
    public var occupancyPercent: Double?
}

/// What Erlang C (or A) predicts for a queue that fits the model.
public struct Prediction: Sendable {
    public var model: String
    public var agents: Int
    public var serviceLevelPercent: Double?
    public var averageSpeedOfAnswerSeconds: Double?
    public var abandonPercent: Double
    public var waitProbabilityPercent: Double
    public var occupancyPercent: Double
    public var averageWaitSeconds: Double?
}

public struct QueueReport: Sendable {
    public var name: String
    public var serviceLevelTarget: String
    public var figures: Figures
    public var prediction: Prediction?
}

public struct TierReport: Sendable {
    public var tier: String
    public var figures: Figures
}

public struct AgentReport: Sendable {
    public var id: String
    public var group: String
    public var handled: Int
    public var utilizationPercent: Double
    public var occupancyPercent: Double
}

/// One point of the charts.
public struct Sample: Sendable {
    public var time: Double
    public var waiting: [String: Int]
    /// Service level of the contacts answered or abandoned since the previous sample.
    public var serviceLevelPercent: [String: Double]
    public var agentsByState: [String: Int]
}

public struct SimulationReport: Sendable {
    public var scenario: String
    public var durationSeconds: Double
    public var warmupSeconds: Double
    public var seed: UInt64
    public var queues: [QueueReport]
    public var overall: Figures
    public var tiers: [TierReport]
    public var agents: [AgentReport]
    public var samples: [Sample]
    public var rejectedCommands: Int
    /// What the backend has to say: a live run's schedule keeping and reconciliation with the daemon.
    public var backendNotes: [String]

    public func queue(_ name: String) -> QueueReport? { queues.first { $0.name == name } }

    /// The report as people read it: a table per queue, tiers, agent groups, and the model beside the figures.
    public var text: String {
        var lines: [String] = []
        lines.append("scenario \(scenario): \(format(durationSeconds / 3600)) h simulated, warm-up \(Int(warmupSeconds)) s, seed \(seed)")
        let header = "queue".padding(toLength: 16, withPad: " ", startingAt: 0)
            + " offered answered abandoned  SL%    ASA s  avg wait  p90 wait  occ%  overflow"
        lines.append(header)
        for queue in queues {
            lines.append(row(queue.name, queue.figures))
            if let worst = worstMoments(of: queue.name) { lines.append("  " + worst) }
            if let p = queue.prediction {
                var model = "  \(p.model == "erlang_c" ? "Erlang C" : "Erlang A") with \(p.agents) agents:"
                if let sl = p.serviceLevelPercent { model += " SL \(format(sl))%" }
                if let asa = p.averageSpeedOfAnswerSeconds { model += ", ASA \(format(asa)) s" }
                if let wait = p.averageWaitSeconds { model += " avg wait \(format(wait)) s" }
                model += ", abandoned \(format(p.abandonPercent))%, waited \(format(p.waitProbabilityPercent))%, occupancy \(format(p.occupancyPercent))%"
                model += "   (simulated: abandoned \(format(queue.figures.abandonPercent))%, waited \(format(queue.figures.waitedPercent))%)"
                lines.append(model)
            }
        }
        lines.append(row("overall", overall))
        lines.append("by tier:")
        for tier in tiers { lines.append(row("  " + tier.tier, tier.figures)) }
        lines.append("agent groups:")
        for group in Set(agents.map(\.group)).sorted() {
            let members = agents.filter { $0.group == group }
            let utilization = members.map(\.utilizationPercent).reduce(0, +) / Double(members.count)
            let handled = members.map(\.handled).reduce(0, +)
            lines.append("  \(group): \(members.count) agents, \(handled) handled, utilization \(format(utilization))%")
        }
        lines += backendNotes
        if rejectedCommands > 0 { lines.append("commands the engine refused (offers gone by the time a desktop answered, ...): \(rejectedCommands)") }
        return lines.joined(separator: "\n")
    }

    /// The day's worst sample for a queue: what a day's average hides (an outage, a surge).
    func worstMoments(of queue: String) -> String? {
        let withSL = samples.filter { $0.serviceLevelPercent[queue] != nil }
        guard let lowest = withSL.min(by: { $0.serviceLevelPercent[queue]! < $1.serviceLevelPercent[queue]! }),
              let longest = samples.max(by: { ($0.waiting[queue] ?? 0) < ($1.waiting[queue] ?? 0) }) else { return nil }
        return "worst moments: SL \(format(lowest.serviceLevelPercent[queue]!))% just before \(clock(lowest.time)), "
            + "\(longest.waiting[queue] ?? 0) waiting at \(clock(longest.time))"
    }

    private func clock(_ seconds: Double) -> String {
        let minutes = Int(seconds / 60)
        return String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    private func row(_ name: String, _ f: Figures) -> String {
        func cell(_ value: Double?, _ width: Int) -> String {
            (value.map(format) ?? "-").leftPadded(to: width)
        }
        return name.padding(toLength: 16, withPad: " ", startingAt: 0)
            + String(f.offered).leftPadded(to: 8) + String(f.answered).leftPadded(to: 9) + String(f.abandoned).leftPadded(to: 10)
            + cell(f.serviceLevelPercent, 6) + cell(f.averageSpeedOfAnswerSeconds, 9) + cell(f.averageWaitSeconds, 10)
            + cell(f.p90WaitSeconds, 10) + cell(f.occupancyPercent, 6) + String(f.overflowedOut).leftPadded(to: 10)
    }

    /// One JSON object, for scripts: the report's last line.
    public var json: String {
        func figures(_ f: Figures) -> [String: Any] {
            var object: [String: Any] = [
                "offered": f.offered, "answered": f.answered, "abandoned": f.abandoned, "overflowed": f.overflowedOut,
                "overflowed_to_ivr": f.overflowedToIVR, "closed": f.closed, "abandon_pct": round2(f.abandonPercent),
                "waited_pct": round2(f.waitedPercent),
            ]
            object["sl_pct"] = f.serviceLevelPercent.map(round2) ?? NSNull()
            object["asa_s"] = f.averageSpeedOfAnswerSeconds.map(round2) ?? NSNull()
            object["avg_wait_s"] = f.averageWaitSeconds.map(round2) ?? NSNull()
            object["p90_wait_s"] = f.p90WaitSeconds.map(round2) ?? NSNull()
            object["occupancy_pct"] = f.occupancyPercent.map(round2) ?? NSNull()
            return object
        }
        let object: [String: Any] = [
            "scenario": scenario, "duration_s": durationSeconds, "seed": seed,
            "queues": queues.map { queue -> [String: Any] in
                var object = figures(queue.figures)
                object["name"] = queue.name
                object["sl_target"] = queue.serviceLevelTarget
                if let p = queue.prediction {
                    var model: [String: Any] = [
                        "model": p.model, "agents": p.agents, "abandon_pct": round2(p.abandonPercent),
                        "waited_pct": round2(p.waitProbabilityPercent), "occupancy_pct": round2(p.occupancyPercent),
                    ]
                    model["sl_pct"] = p.serviceLevelPercent.map(round2) ?? NSNull()
                    model["asa_s"] = p.averageSpeedOfAnswerSeconds.map(round2) ?? NSNull()
                    model["avg_wait_s"] = p.averageWaitSeconds.map(round2) ?? NSNull()
                    object["prediction"] = model
                }
                return object
            },
            "overall": figures(overall),
            "tiers": tiers.map { tier -> [String: Any] in
                var object = figures(tier.figures)
                object["tier"] = tier.tier
                return object
            },
            "agents": agents.map {
                ["id": $0.id, "group": $0.group, "handled": $0.handled,
                 "utilization_pct": round2($0.utilizationPercent), "occupancy_pct": round2($0.occupancyPercent)] as [String: Any]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }
func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
