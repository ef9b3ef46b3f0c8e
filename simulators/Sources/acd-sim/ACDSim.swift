import ACDSimulation
import ArgumentParser
import Foundation
import RoutingCore
import RoutingRules

@main
struct ACDSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acd-sim",
        abstract: "Load simulator for acdd: scenarios in virtual time against the routing core, or live against a running acdd.",
        subcommands: [RunScenario.self])
}

struct RunScenario: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario and print its report; the last line is one JSON object with the same figures.")

    @Argument(help: "Scenario file (YAML; see simulators/README.md).") var scenario: String
    @Flag(help: "Simulate in virtual time against the routing core (the default).") var virtual = false
    @Flag(help: "Play the IVR and every desktop over ZeroMQ against a running acdd, in real time.") var live = false
    @Option(help: "With --live: the host acdd listens on (its default ports 5570-5573).") var connect = "127.0.0.1"
    @Option(help: "With --live: endpoints, if not the defaults on --connect's host.") var contacts: String?
    @Option(help: "With --live: agents endpoint.") var agents: String?
    @Option(help: "With --live: events endpoint.") var events: String?
    @Option(help: "With --live: admin endpoint.") var admin: String?
    @Option(help: "With --live: run the scenario's clock this many times faster than real time.") var speedup = 1.0
    @Option(help: "With --live: the daemon's CRM database, to reconcile the call cards with the run.") var crm: String?
    @Option(help: "Override the scenario's seed.") var seed: UInt64?
    @Option(help: "Override the scenario's duration, in seconds.") var duration: Double?
    @Option(help: "Override the scenario's warm-up, in seconds.") var warmup: Double?
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
        if let warmup { loaded.warmup = warmup }
        let problems = loaded.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        let rules: RuleSet
        do {
            rules = try RuleLoader.load(path: loaded.rules)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        guard !(live && virtual) else { throw ValidationError("--live and --virtual exclude each other") }
        guard speedup > 0 else { throw ValidationError("--speedup must be > 0") }
        let started = ContinuousClock.now
        let quiet = quiet
        let progress: (Double) -> Void = { done in
            guard !quiet else { return }
            let line = String(format: "\r%@: %3.0f%% simulated, %.1f s", loaded.name, done * 100,
                              Double((ContinuousClock.now - started).components.seconds))
            FileHandle.standardError.write(Data(line.utf8))
        }
        let report: SimulationReport
        if live {
            var endpoints = LiveBackend.Endpoints(host: connect)
            endpoints.contacts = contacts ?? endpoints.contacts
            endpoints.agents = agents ?? endpoints.agents
            endpoints.events = events ?? endpoints.events
            endpoints.admin = admin ?? endpoints.admin
            report = try LiveSimulation.run(
                scenario: loaded, rules: rules, endpoints: endpoints, speedup: speedup, crmDatabase: crm, progress: progress)
        } else {
            var simulation = try VirtualSimulation(scenario: loaded, rules: rules)
            report = simulation.run(progress: progress)
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        if let html {
            try HTMLReport.render(report).write(toFile: html, atomically: true, encoding: .utf8)
        }
        print(report.text)
        print(report.json)
    }
}
