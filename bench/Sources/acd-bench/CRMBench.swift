import ArgumentParser
import CRMStore
import Foundation
import RoutingCore

/// What the CRM costs: reading the customers into the routing thread's cache, a caller lookup on the routing
/// thread, and the store writing call cards from the event stream into SQLite.
struct CRMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm",
        abstract: "Customer cache load and lookup cost, and call-card writes per second into SQLite.")

    @Option(help: "Customers in the CRM database.") var customers = 1_000_000
    @Option(help: "Caller lookups to time.") var lookups = 2_000_000
    @Option(help: "Contacts whose events the store writes.") var contacts = 200_000
    @Option(help: "Events per write, as the store takes them from the daemon.") var batch = 4096
    @Option(help: "Writes per commit: the in-process store commits every 25 ms, five of its 5 ms takes.")
    var writesPerCommit = 1
    @Flag(help: "Contacts without a customer or IVR data, as `acd-bench e2e` submits them.") var anonymous = false

    func validate() throws {
        guard batch > 0, writesPerCommit > 0 else { throw ValidationError("--batch and --writes-per-commit must be at least 1") }
    }

    func run() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("acd-bench-crm-\(getpid()).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let database = try CRMDatabase(path: path)
        let tiers: [String?] = [nil, nil, nil, "silver", "gold", "vip"]
        let records = (0..<customers).map { n in
            CustomerRecord(id: "C-\(n)", name: "Customer \(n)", phone: "+1555\(10_000_000 + n)", tier: tiers[n % tiers.count],
                           lifetimeValue: Double(n % 10_000), churnRisk: Double(n % 100) / 100, language: "en")
        }
        var start = monotonicNanoseconds()
        try database.importRecords(customers: records, agents: [])
        let importSeconds = seconds(since: start)

        start = monotonicNanoseconds()
        var directory = CustomerDirectory()
        directory.apply(try database.customerChanges(since: 0))
        let loadSeconds = seconds(since: start)
        let rss = residentMemoryMiB().current

        var random = SplitMix64(seed: 7)
        let phones = (0..<4096).map { _ in "+1555\(10_000_000 + Int(random.next() % UInt64(customers * 2)))" }
        var hits = 0
        start = monotonicNanoseconds()
        for n in 0..<lookups where directory.profile(customerID: nil, ani: phones[n & 4095]) != nil { hits += 1 }
        let lookupNanoseconds = Double(monotonicNanoseconds() - start) / Double(lookups)

        let events = try Self.events(contacts: contacts, anonymous: anonymous)
        let writer = CallCardWriter(database: database)
        _ = try writer.follow(stream: 1)
        start = monotonicNanoseconds()
        for (write, first) in stride(from: 0, to: events.count, by: batch).enumerated() {
            var taken = Array(events[first..<min(events.count, first + batch)])
            try writer.write(taking: &taken, commit: (write + 1) % writesPerCommit == 0)
        }
        try writer.commit()
        let writeSeconds = seconds(since: start)

        print("customers \(customers): import \(format(importSeconds)) s, cache load \(format(loadSeconds)) s, RSS after load \(format(rss)) MiB")
        print("lookup by ANI: \(format(lookupNanoseconds)) ns (\(hits * 100 / lookups)% known callers)")
        print("store: \(events.count) events of \(contacts) contacts in \(format(writeSeconds)) s: \(Int(Double(events.count) / writeSeconds)) events/s, \(Int(Double(contacts) / writeSeconds)) contacts/s")
        print(#"{"customers":\#(customers),"cache_load_s":\#(format(loadSeconds)),"lookup_ns":\#(format(lookupNanoseconds)),"store_events_per_sec":\#(Int(Double(events.count) / writeSeconds)),"store_contacts_per_sec":\#(Int(Double(contacts) / writeSeconds))}"#)
    }

    /// The events of `contacts` contacts each answered, completed and wrapped up by one agent.
    static func events(contacts: Int, anonymous: Bool) throws -> [Event] {
        let queue = QueueRules(name: "q", channel: .voice, skills: ["general": 1], wrapUp: .manual)
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])]), seed: 1)
        var now = Instant(seconds: 1_800_000_000)
        var events: [Event] = []
        events += engine.handle(.addAgent(AgentProfile(id: "a", name: "A", tenant: "t", skills: ["general": 5])), now: now)
        events += engine.handle(.login("a"), now: now)
        events += engine.handle(.ready("a"), now: now)
        for n in 1...contacts {
            let id = ContactID(UInt64(n))
            now = now.adding(milliseconds: 100)
            let submission = anonymous
                ? ContactSubmission(tenant: "t", queue: "q", channel: .voice)
                : ContactSubmission(
                    tenant: "t", queue: "q", channel: .voice, profile: CustomerProfile(customerID: "C-\(n)"),
                    ivrData: ["intent": "billing"])
            events += engine.handle(.submit(submission), now: now)
            events += engine.handle(.accept("a", id), now: now.adding(milliseconds: 10))
            events += engine.handle(.complete("a", id), now: now.adding(milliseconds: 50))
            events += engine.handle(.endWrapUp("a", id), now: now.adding(milliseconds: 60))
        }
        return events
    }

    private func seconds(since start: UInt64) -> Double { Double(monotonicNanoseconds() - start) / 1e9 }
    private func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
