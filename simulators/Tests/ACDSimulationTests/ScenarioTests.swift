import ACDSimulation
import Foundation
import RoutingCore
import RoutingRules
import Testing

/// The shipped scenarios run, say what simulators/README.md says they show, and the command line prints what
/// scripts and people read.
@Suite struct ScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func report(_ file: String, seed: UInt64? = nil) throws -> SimulationReport {
        var scenario = try Scenario.load(path: root.appendingPathComponent("scenarios/\(file)").path)
        if let seed { scenario.seed = seed }
        var simulation = try VirtualSimulation(scenario: scenario, rules: try RuleLoader.load(path: scenario.rules))
        return simulation.run()
    }

    @Test func crossTrainedAgentsBeatSeparatePoolsOfTheSameSize() throws {
        for seed: UInt64 in [7, 8] {
            let pooled = try Self.report("telecom-cross-trained.yaml", seed: seed).overall
            let separate = try Self.report("telecom-separate-pools.yaml", seed: seed).overall
            #expect(pooled.serviceLevelPercent! > separate.serviceLevelPercent! + 3, "seed \(seed): \(pooled) vs \(separate)")
            #expect(pooled.abandoned < separate.abandoned)
        }
    }

    @Test func vipsWaitLessThanEveryoneElseThroughTheSurge() throws {
        let report = try Self.report("vip-surge.yaml")
        let vip = try #require(report.tiers.first { $0.tier == "vip" }).figures
        let ordinary = try #require(report.tiers.first { $0.tier == "none" }).figures
        #expect(vip.averageSpeedOfAnswerSeconds! < ordinary.averageSpeedOfAnswerSeconds!)
        #expect(vip.abandonPercent < ordinary.abandonPercent / 2)
        #expect(vip.offered > 400, "the surge brings VIP calls: \(vip.offered)")
    }

    @Test func anOutageShowsInTheSamplesAndTheAgentsComeBack() throws {
        let report = try Self.report("agent-outage.yaml")
        let during = report.samples.filter { $0.time > 21_700 && $0.time < 25_100 }
        let after = report.samples.filter { $0.time > 27_000 }
        #expect(during.allSatisfy { $0.agentsByState["logged_out"] == 15 })
        #expect(after.allSatisfy { ($0.agentsByState["logged_out"] ?? 0) == 0 })
        #expect(during.map { $0.waiting["support"] ?? 0 }.max()! > 5)
        #expect(report.queue("support")!.prediction == nil, "an outage does not fit Erlang C")
    }

    @Test func theSameSeedGivesTheSameReport() throws {
        let first = try Self.report("vip-surge.yaml", seed: 11).json
        #expect(try Self.report("vip-surge.yaml", seed: 11).json == first)
        #expect(try Self.report("vip-surge.yaml", seed: 12).json != first)
    }

    @Test func scenarioMistakesAreReportedTogether() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            name: bad
            rules: x.yaml
            tenant: t
            duration: 100
            warmup: 200
            arrivals: []
            agents: [{name: a, count: 1, skills: {s: 1}}, {name: a, count: 1, skills: {s: 1}}]
            outages: [{group: b, count: 1, from: 0, to: 1}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try Scenario.load(path: path)
        } throws: { error in
            let text = "\(error)"
            return ["warmup must be", "arrivals: at least one", "group names must be unique", "unknown group 'b'"].allSatisfy(text.contains)
        }
    }

    /// `acd-sim` as a user runs it: progress, report, a JSON last line, and an HTML page Chromium renders.
    @Test func theCommandPrintsJSONLastAndWritesAPageThatRenders() throws {
        let html = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html").path
        defer { try? FileManager.default.removeItem(atPath: html) }
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("acd-sim")
        let run = try Self.run(binary.path, ["run", Self.root.appendingPathComponent("scenarios/telecom-cross-trained.yaml").path,
                                             "--duration", "7200", "--html", html])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("100% simulated"))
        let last = try #require(run.stdout.split(separator: "\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let queues = try #require(json["queues"] as? [[String: Any]])
        #expect(queues.map { $0["name"] as? String } == ["billing", "technical"])
        for key in ["offered", "answered", "abandoned", "sl_pct", "asa_s", "occupancy_pct"] {
            #expect(queues.allSatisfy { $0[key] != nil }, "missing \(key)")
        }

        // Headless Chromium runs the page's script; the DOM it dumps has the three charts drawn.
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile),
                                    "Chromium is needed (Debian: chromium; scripts/install-deps installs it)")
        let dom = try Self.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + html])
        #expect(dom.stdout.contains(#"data-rendered="3""#), "\(dom.stdout.prefix(400)) \(dom.stderr.suffix(400))")
        #expect(dom.stdout.components(separatedBy: "<polyline").count > 2)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }
}
