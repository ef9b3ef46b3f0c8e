import ACDClient
import Foundation
import Testing

/// `acd-sim --live` as a user runs it: against a real acdd process with a CRM database, over ZeroMQ on
/// loopback; what it sent and saw must reconcile with the daemon's statistics and the call cards.
@Suite struct LiveSimulationTests {
    @Test func aLiveRunReconcilesWithTheDaemonAndTheCallCards() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acd-sim-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let crm = directory.appendingPathComponent("crm.sqlite").path
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

        let daemon = Process()
        daemon.executableURL = binaries.appendingPathComponent("acdd")
        daemon.arguments = ["run", "--rules", ScenarioTests.root.appendingPathComponent("rules/single-skill.yaml").path,
                            "--crm", crm, "--contacts", "tcp://127.0.0.1:*", "--agents", "tcp://127.0.0.1:*",
                            "--events", "tcp://127.0.0.1:*", "--admin", "tcp://127.0.0.1:*", "--log-level", "warning"]
        let output = Pipe()
        daemon.standardOutput = output
        try daemon.run()
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        var banner = [UInt8]()
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { banner.append(byte) }
        let endpoints = ListeningBanner.endpoints(String(decoding: banner, as: UTF8.self))

        // Two simulated minutes of the Erlang C scenario, 20 times faster than real time, with patience added
        // so that abandons are reconciled too.
        let scenario = directory.appendingPathComponent("live.yaml").path
        let erlang = try String(contentsOf: ScenarioTests.root.appendingPathComponent("scenarios/erlang-c.yaml"), encoding: .utf8)
        try (erlang.replacingOccurrences(of: "../rules/", with: ScenarioTests.root.appendingPathComponent("rules").path + "/")
            + "patience: {distribution: exponential, mean: 30}\n").write(toFile: scenario, atomically: true, encoding: .utf8)
        let run = try ScenarioTests.run(binaries.appendingPathComponent("acd-sim").path, [
            "run", scenario, "--live", "--duration", "150", "--warmup", "0", "--speedup", "20", "--crm", crm,
            "--contacts", endpoints["contacts"]!, "--agents", endpoints["agents"]!, "--events", endpoints["events"]!,
            "--admin", endpoints["admin"]!, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let reconciled = run.stdout.split(separator: "\n").filter { $0.hasPrefix("live: ") && $0.contains("reconciled") }
        #expect(reconciled.count == 7, "\(run.stdout)")
        #expect(!run.stdout.contains("MISMATCH"), "\(run.stdout)")
        #expect(run.stdout.contains("live: kept to its schedule"), "\(run.stdout)")
        let submitted = try #require(reconciled.first { $0.contains("submitted") })
        #expect(!submitted.contains("daemon 0,"), "the run must have sent contacts: \(submitted)")

        // The report's speed of answer is the daemon's, as the call cards have it (20 times faster in the
        // scenario's clock), not the time the simulator saw the answer at, a few milliseconds later for each call.
        let waits = try #require(reconciled.first { $0.contains("answered waits") })
        let cardWaitMilliseconds = try #require(Double(waits.split(separator: " ")[5].dropLast()))
        let lastLine = try #require(run.stdout.split(separator: "\n").last)
        let report = try #require(JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
        let overall = try #require(report["overall"] as? [String: Any])
        let answered = try #require(overall["answered"] as? Double)
        let speedOfAnswer = try #require(overall["asa_s"] as? Double)
        #expect(answered > 0)
        #expect(abs(speedOfAnswer - cardWaitMilliseconds * 20 / 1000 / answered) < 0.006, "\(waits) \(overall)")
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }
}
