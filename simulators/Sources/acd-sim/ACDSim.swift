import ACDSimulation
import ArgumentParser
import Foundation
import RoutingCore
import RoutingRules

@main
struct ACDSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acd-sim",
        abstract: "Load simulator for acdd: scenarios in virtual time against the routing core.",
        subcommands: [RunScenario.self])
}

struct RunScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario and print its report; the last line is one JSON object with the same figures.")

    @Argument(help: "Scenario file (YAML; see simulators/README.md).") var scenario: String
    @Flag(help: "Simulate in virtual time against the routing core (the default).") var virtual = false
    @Option(help: "Override the scenario's seed.") var seed: UInt64?
    @Option(help: "Override the scenario's duration, in seconds.") var duration: Double?
    @Option(help: "Also write a self-contained HTML page with charts.") var html: String?
    @Flag(help: "No progress line.") var quiet = false

    func run() throws {
        var loaded: Scenario
        do {
            loaded = try Scenario.load(path: scenario)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        if let seed { loaded.seed = seed }
        if let duration { loaded.duration = duration }
        let rules: RuleSet
        do {
            rules = try RuleLoader.load(path: loaded.rules)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        var simulation = try VirtualSimulation(scenario: loaded, rules: rules)
        let started = ContinuousClock.now
        let quiet = quiet
        let report = simulation.run { done in
            guard !quiet else { return }
            let line = String(format: "\r%@: %3.0f%% simulated, %.1f s", loaded.name, done * 100,
                              Double((ContinuousClock.now - started).components.seconds))
            FileHandle.standardError.write(Data(line.utf8))
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        if let html {
            try HTMLReport.render(report).write(toFile: html, atomically: true, encoding: .utf8)
        }
        print(report.text)
        print(report.json)
    }
}
