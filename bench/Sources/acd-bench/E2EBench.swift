import ACDClient
import ACDProtocol
import ArgumentParser
import CRMStore
import Foundation
import Histogram
import ZeroMQ

/// End to end over ZeroMQ on loopback: a real acdd process (release), a load generator playing the IVR and the
/// desktops, and the same generator against a plain relay for the transport's ceiling.
struct E2EBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Contacts per second end to end and submit-to-offer latency, against a real acdd and a plain relay.")

    @Option(help: "Agent desktops.") var agents = 200
    @Option(help: "Seconds per load step.") var step = 2.0
    @Option(help: "Seconds per latency run.") var latencyRun = 4.0
    @Option(help: "First rate tried, contacts per second; doubled until the target cannot keep up.") var startRate = 2_000
    @Option(help: "For profiling: only load acdd (or the relay) at this rate for --latency-run seconds.") var fixedRate: Int?
    @Flag(help: "With --fixed-rate: the CRM store on.") var crm = false
    @Option(help: "With --fixed-rate: first load acdd at this rate for one step and let it settle, as the full run's steps do before its latency runs.")
    var overloadFirst: Int?
    @Flag(name: .customLong("relay"), help: "With --fixed-rate: load the plain relay instead of acdd, for the transport's own latency at that rate.")
    var relayOnly = false
    @Option(help: "Full runs, one after the other, each with processes of its own; the last line then gives each figure's median over them.")
    var runs = 1

    func run() throws {
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("rules/e2e.yaml").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("acd-e2e-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let machineBefore = MachineSpeed.measure()
        print("acd-bench e2e: \(agents) desktops, steps of \(step) s, machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(machineBefore.text)")
        if let fixedRate, relayOnly {
            let target = try Target.start(binaries.appendingPathComponent("acd-bench").path, ["relay", "--agents", "\(agents)"], tenant: "relay")
            report("relay", try LoadGenerator(target: target.loadTarget).run(rate: fixedRate, seconds: latencyRun))
            target.stop()
            return
        }
        if let fixedRate {
            let storeArguments = crm ? ["--crm", scratch.appendingPathComponent("crm.sqlite").path] : []
            let daemon = try Target.start(binaries.appendingPathComponent("acdd").path, daemonArguments(rules) + storeArguments, tenant: "bench")
            try staff(daemon)
            let name = crm ? "acdd, CRM store on" : "acdd, CRM store off"
            if let overloadFirst {
                let (overloaded, store) = try loadWatchingStore(daemon, rate: overloadFirst, seconds: step)
                report(name + " (first)", overloaded, store)
                try settle(daemon)
            }
            let (result, store) = try loadWatchingStore(daemon, rate: fixedRate, seconds: latencyRun)
            report(name, result, store)
            let usage = daemon.usage()
            print("daemon: \(String(format: "%.1f", usage.cpuSeconds)) CPU s, peak RSS \(Int(usage.peakMiB)) MiB")
            if crm { print("  \(try checkCallCards(daemon, crmPath: storeArguments[1]).text)") }
            daemon.stop()
            return
        }
        guard runs > 1 else {
            print(Self.jsonLine(try fullRun(binaries: binaries, rules: rules, scratch: scratch, machineBefore: machineBefore)))
            return
        }
        var figures: [[String: Any]] = []
        for run in 1...runs {
            print("run \(run) of \(runs):")
            let machine = run == 1 ? machineBefore : MachineSpeed.measure()
            let runScratch = scratch.appendingPathComponent("run-\(run)")
            try FileManager.default.createDirectory(at: runScratch, withIntermediateDirectories: true)
            figures.append(try fullRun(binaries: binaries, rules: rules, scratch: runScratch, machineBefore: machine))
            print(Self.jsonLine(figures[figures.count - 1]))
        }
        let summary = RunSummary(figures)
        for line in summary.lines { print(line) }
        print(Self.jsonLine(summary.json))
    }

    static func jsonLine(_ object: [String: Any]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// One whole measurement: the three targets started, searched, measured at 25, 50 and 90 % and at one common
    /// rate, stopped; printed as it goes, and returned as the figures of the JSON line.
    private func fullRun(binaries: URL, rules: String, scratch: URL, machineBefore: MachineSpeed) throws -> [String: Any] {
        // The three targets run side by side and take turns, step by step: the VM's speed drifts over minutes, and
        // measured one after the other each met it at a different speed (bench/README.md, session 19).
        let relay = try Target.start(binaries.appendingPathComponent("acd-bench").path, ["relay", "--agents", "\(agents)"], tenant: "relay")
        let crmPath = scratch.appendingPathComponent("crm.sqlite").path
        let withCRM = try Target.start(binaries.appendingPathComponent("acdd").path, daemonArguments(rules) + ["--crm", crmPath], tenant: "bench")
        let withoutCRM = try Target.start(binaries.appendingPathComponent("acdd").path, daemonArguments(rules), tenant: "bench")
        try staff(withCRM)
        try staff(withoutCRM)
        let measured = try measure([
            RateSearch(name: "relay", target: relay, startRate: startRate),
            RateSearch(name: "acdd, CRM store on", target: withCRM, startRate: startRate),
            RateSearch(name: "acdd, CRM store off", target: withoutCRM, startRate: startRate),
        ])
        let (relayRun, acdd, bare) = (measured[0], measured[1], measured[2])
        // Each target's 50 % above is a rate of its own, the relay's the highest: at acdd's, the same load on all
        // three tells what the transport and the generator alone give, what routing adds, and what the store adds.
        let sameRate = max(1, Int(acdd.maximum * 0.5))
        let sameRateTargets = [("relay", relay), ("acdd, CRM store off", withoutCRM), ("acdd, CRM store on", withCRM)]
        var sameRateP99: [UInt64] = []
        // The target process's CPU per contact, from the start of its run until it has written every event: what
        // the store costs at one rate, steadier from run to run than the two maxima whose ratio is its cost in
        // throughput.
        var sameRateCPU: [Double] = []
        for (name, target) in sameRateTargets {
            for other in [relay, withCRM, withoutCRM] { try settle(other) }
            let cpuBefore = target.usage().cpuSeconds
            let (result, store) = try loadWatchingStore(target, rate: sameRate, seconds: latencyRun)
            try settle(target)
            sameRateCPU.append((target.usage().cpuSeconds - cpuBefore) / Double(max(1, result.sent)) * 1e6)
            print("  \(name) at the store-on 50 % rate:", terminator: "")
            report("", result, store)
            sameRateP99.append(result.histogram.valueAtPercentile(99))
        }
        let usage = withCRM.usage()
        let crmCheck = try checkCallCards(withCRM, crmPath: crmPath)
        for target in [relay, withCRM, withoutCRM] { target.stop() }

        let machineAfter = MachineSpeed.measure()
        print("machine: \(machineBefore.text) before; \(machineAfter.text) after")
        func us(_ h: Histogram<UInt64>, _ p: Double) -> UInt64 { h.valueAtPercentile(p) }
        let half = acdd.latency[1].histogram, relayHalf = relayRun.latency[1].histogram
        print(String(format: "acdd (CRM on): %d contacts/s; relay %d; ratio %.2f; p99 at 50%%: %d us vs relay %d us (ratio %.2f)",
                     Int(acdd.maximum), Int(relayRun.maximum), acdd.maximum / relayRun.maximum,
                     us(half, 99), us(relayHalf, 99), Double(us(half, 99)) / Double(max(1, us(relayHalf, 99)))))
        print("p99 at \(sameRate)/s, one after the other: relay \(sameRateP99[0]) us, store off \(sameRateP99[1]) us, store on \(sameRateP99[2]) us")
        print(String(format: "CPU of the target's process per contact at %d/s: relay %.1f us, store off %.1f us, store on %.1f us (the store adds %.1f us, %.0f %%)",
                     sameRate, sameRateCPU[0], sameRateCPU[1], sameRateCPU[2], sameRateCPU[2] - sameRateCPU[1],
                     100 * (sameRateCPU[2] / max(0.001, sameRateCPU[1]) - 1)))
        // Rounded once, so that this line and the JSON (and the summary of several runs) agree: printf's %.0f
        // rounds a half to even, and 12.5 % printed 12 here and 13 there.
        let costPercent = Int((100 * (1 - acdd.maximum / bare.maximum)).rounded())
        print(String(format: "CRM store off: %d contacts/s (store on costs %d%%); %@", Int(bare.maximum), costPercent, crmCheck.text))
        print("daemon (CRM on run): \(String(format: "%.1f", usage.cpuSeconds)) CPU s, peak RSS \(Int(usage.peakMiB)) MiB")
        return [
            "contacts_per_sec": Int(acdd.maximum), "p50_us": us(half, 50), "p90_us": us(half, 90), "p99_us": us(half, 99),
            "p999_us": us(half, 99.9), "max_us": half.max,
            "relay_contacts_per_sec": Int(relayRun.maximum), "relay_p99_us": us(relayHalf, 99),
            "ratio_throughput": (acdd.maximum / relayRun.maximum * 100).rounded() / 100,
            "ratio_p99": (Double(us(half, 99)) / Double(max(1, us(relayHalf, 99))) * 100).rounded() / 100,
            "rss_mb": Int(usage.peakMiB), "cpu_s": (usage.cpuSeconds * 10).rounded() / 10,
            "reference_loop_ms": [machineBefore.loopMilliseconds, machineAfter.loopMilliseconds],
            "memory_latency_ns": [machineBefore.memoryNanoseconds, machineAfter.memoryNanoseconds],
            "crm_store": [
                "on_contacts_per_sec": Int(acdd.maximum), "off_contacts_per_sec": Int(bare.maximum),
                "cost_percent": costPercent,
                "call_cards": crmCheck.text, "call_cards_complete": crmCheck.complete,
            ],
            "same_rate": [
                "contacts_per_sec": sameRate, "relay_p99_us": sameRateP99[0], "store_off_p99_us": sameRateP99[1],
                "store_on_p99_us": sameRateP99[2],
                "cpu_us_per_contact": [
                    "relay": (sameRateCPU[0] * 100).rounded() / 100, "store_off": (sameRateCPU[1] * 100).rounded() / 100,
                    "store_on": (sameRateCPU[2] * 100).rounded() / 100,
                ],
                "ratio_p99": (Double(sameRateP99[2]) / Double(max(1, sameRateP99[0])) * 100).rounded() / 100,
            ],
        ]
    }

    private func daemonArguments(_ rules: String) -> [String] {
        ["run", "--rules", rules, "--contacts", "tcp://127.0.0.1:*", "--agents", "tcp://127.0.0.1:*",
         "--events", "tcp://127.0.0.1:*", "--admin", "tcp://127.0.0.1:*", "--log-level", "error", "--heartbeat-timeout", "0"]
    }

    private func staff(_ target: Target) throws {
        let context = try ZMQContext()
        let admin = try AdminConnection(context: context, endpoint: target.endpoints["admin"]!, name: "admin")
        let desktops = try DesktopConnection(context: context, endpoint: target.endpoints["agents"]!, name: "setup")
        for n in 0..<agents {
            _ = try admin.call(.addAgent(.with { $0.agentID = "bench-\(n)"; $0.name = "Bench \(n)"; $0.tenant = "bench"; $0.skills = ["general": 5] }))
            for body: Acd_V1_AgentRequest.OneOf_Body in [.login(.init()), .ready(.init())] {
                _ = try desktops.call(.with { $0.agentID = "bench-\(n)"; $0.body = body }, build: { $0.requestID = $1 }, id: \.requestID)
            }
        }
    }

    struct Measured {
        var maximum: Double
        /// At 25 %, 50 % and 90 % of the maximum.
        var latency: [LoadGenerator.Result]
    }

    /// Finds each target's highest sustained rate (`RateSearch`), then measures latency at 25 %, 50 % and 90 % of
    /// it; the targets take turns at every step.
    private func measure(_ searches: [RateSearch]) throws -> [Measured] {
        var searches = searches
        let targets = searches.map(\.target)
        func run(_ target: Target, rate: Int, seconds: Double) throws -> (LoadGenerator.Result, StoreInterference) {
            try loadSettled(target, among: targets, rate: rate, seconds: seconds)
        }
        while searches.contains(where: { $0.nextRate != nil }) {
            for index in searches.indices {
                guard let rate = searches[index].nextRate else { continue }
                let (result, store) = try run(searches[index].target, rate: rate, seconds: step)
                report(searches[index].name, result, store)
                searches[index].record(rate: rate, sustained: result.sustained)
            }
        }
        var latency = [[LoadGenerator.Result]](repeating: [], count: searches.count)
        for share in [0.25, 0.5, 0.9] {
            for (index, search) in searches.enumerated() {
                let (result, store) = try run(search.target, rate: max(1, Int(search.maximum * share)), seconds: latencyRun)
                print("  \(search.name) at \(Int(share * 100))% of \(Int(search.maximum))/s:", terminator: "")
                report("", result, store)
                latency[index].append(result)
            }
        }
        return searches.indices.map { Measured(maximum: searches[$0].maximum, latency: latency[$0]) }
    }

    /// Loads `target` once every one of `targets` has settled, not only this one: a store still writing the last
    /// overloaded step would take CPU from the next target's.
    private func loadSettled(_ target: Target, among targets: [Target], rate: Int, seconds: Double) throws -> (LoadGenerator.Result, StoreInterference) {
        for other in targets { try settle(other) }
        return try loadWatchingStore(target, rate: rate, seconds: seconds)
    }

    /// Loads `target`, and returns with the result what the daemon's CRM store took from routing meanwhile: its
    /// intake pauses (one holds every contact submitted during it, and in a latency run it alone can set the p99)
    /// and the time the store competed for the CPU.
    private func loadWatchingStore(_ target: Target, rate: Int, seconds: Double) throws -> (LoadGenerator.Result, StoreInterference) {
        let before = try StoreInterference(of: target)
        let result = try LoadGenerator(target: target.loadTarget).run(rate: rate, seconds: seconds)
        return (result, try StoreInterference(of: target).since(before))
    }

    /// Waits until acdd has nothing left of the previous step: no contact queued or ringing, and its CRM store has
    /// written every event. A step that overloaded the daemon left the store minutes of writing behind at times,
    /// and the steps after it were measured against that work as well as their own (40,000/s failed after an
    /// overloaded 64,000/s step and passed alone). The relay holds nothing to wait for.
    private func settle(_ target: Target) throws {
        guard let endpoint = target.endpoints["admin"] else { return }
        let context = try ZMQContext()
        let admin = try AdminConnection(context: context, endpoint: endpoint, name: "settle")
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(120) {
            let statistics = try admin.statistics()
            let storeDone = statistics.daemon.crmWrittenThrough == 0 || statistics.daemon.crmWrittenThrough >= statistics.daemon.lastSequence
            if storeDone, statistics.queues.allSatisfy({ $0.waiting == 0 && $0.ringing == 0 }) { break }
            usleep(50_000)
        }
        let waited = ContinuousClock.now - start
        if waited > .milliseconds(200) { print("  (waited \(waited.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))) for acdd to finish the previous step)") }
    }

    private func report(_ name: String, _ r: LoadGenerator.Result, _ store: StoreInterference = StoreInterference()) {
        let h = r.histogram
        var paused = store.pauses > 0 ? ", intake paused \(store.pauses) times (\(store.pausedMilliseconds) ms ended)" : ""
        if store.competingMilliseconds > 0 { paused += ", store competing \(store.competingMilliseconds) ms" }
        print("  \(name) \(r.rate)/s: handled \(r.handled)/\(r.sent) (\(Int(r.perSecond))/s), submit-to-offer us p50 \(h.valueAtPercentile(50)) p90 \(h.valueAtPercentile(90)) p99 \(h.valueAtPercentile(99)) p99.9 \(h.valueAtPercentile(99.9)) max \(h.max)\(r.refused > 0 ? ", refused \(r.refused)" : "")\(paused)\(r.sustained ? "" : "  NOT SUSTAINED")")
    }

    /// What the daemon's CRM store took from routing: its intake pauses for the store and their time (added when
    /// each pause ends), and the time the store ran at an ordinary priority, competing for the CPU instead of
    /// writing on spare time; zero for the relay, which has no store.
    struct StoreInterference {
        var pauses: UInt64 = 0
        var pausedMilliseconds: UInt64 = 0
        var competingMilliseconds: UInt64 = 0

        init() {}

        init(of target: Target) throws {
            guard let endpoint = target.endpoints["admin"] else { return }
            let daemon = try AdminConnection(context: try ZMQContext(), endpoint: endpoint, name: "store").statistics().daemon
            (pauses, pausedMilliseconds, competingMilliseconds) = (daemon.crmIntakePauses, daemon.crmIntakePausedMs, daemon.crmStoreCompetingMs)
        }

        func since(_ earlier: StoreInterference) -> StoreInterference {
            var difference = StoreInterference()
            difference.pauses = pauses - earlier.pauses
            difference.pausedMilliseconds = pausedMilliseconds - earlier.pausedMilliseconds
            difference.competingMilliseconds = competingMilliseconds - earlier.competingMilliseconds
            return difference
        }
    }

    /// The CRM store drops nothing: once it has written the last event, the answered call cards equal the
    /// daemon's answered contacts (`complete`) and no event was lost on the way.
    private func checkCallCards(_ target: Target, crmPath: String) throws -> (text: String, complete: Bool) {
        let context = try ZMQContext()
        let admin = try AdminConnection(context: context, endpoint: target.endpoints["admin"]!, name: "check")
        var statistics = try admin.statistics()
        let deadline = ContinuousClock.now + .seconds(60)
        while statistics.daemon.crmWrittenThrough < statistics.daemon.lastSequence, ContinuousClock.now < deadline {
            usleep(200_000)
            statistics = try admin.statistics()
        }
        let answered = statistics.queues.reduce(0) { $0 + $1.answered }
        let cards = try CRMDatabase(path: crmPath).callCardCounts(stream: statistics.daemon.streamID, receivedSince: 0)
        let daemon = statistics.daemon
        let matched = Int64(cards.answered) == answered
        let text = "\(cards.answered) answered call cards for \(answered) answered contacts\(matched ? "" : " (MISMATCH)")"
            + "; \(daemon.crmHandoffDropped) events not handed over (fetched again), \(daemon.crmLostEvents) lost"
            + "; intake paused \(daemon.crmIntakePauses) times for the store, \(daemon.crmIntakePausedMs) ms in all"
            + "; store competing \(daemon.crmStoreCompetingMs) ms in all"
        return (text, matched && daemon.crmLostEvents == 0)
    }
}

/// A process the benchmark starts and reads the endpoints of from its first line.
final class Target {
    let process = Process()
    var endpoints: [String: String] = [:]
    let tenant: String

    private init(tenant: String) { self.tenant = tenant }

    static func start(_ executable: String, _ arguments: [String], tenant: String) throws -> Target {
        let target = Target(tenant: tenant)
        target.process.executableURL = URL(fileURLWithPath: executable)
        target.process.arguments = arguments
        let output = Pipe()
        target.process.standardOutput = output
        try target.process.run()
        var line = [UInt8]()
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { line.append(byte) }
        target.endpoints = ListeningBanner.endpoints(String(decoding: line, as: UTF8.self))
        return target
    }

    /// The endpoints the load generator connects to.
    var loadTarget: LoadGenerator.Target {
        .init(contacts: endpoints["contacts"]!, agents: endpoints["agents"]!, events: endpoints["events"]!, tenant: tenant)
    }

    /// CPU seconds used so far and peak resident memory, from /proc.
    func usage() -> (cpuSeconds: Double, peakMiB: Double) {
        let pid = process.processIdentifier
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        let ticks = fields.count > 13 ? (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0) : 0
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return (ticks / Double(sysconf(Int32(_SC_CLK_TCK))), peak / 1024)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
