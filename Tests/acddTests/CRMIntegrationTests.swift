import ACDProtocol
import Foundation
import GRDB
import Testing
import ZeroMQ

/// The daemon with a real CRM database: profiles from the customers table, call cards from the event stream,
/// in-process and as a separate `acdd crm-store`.
@Suite(.serialized) struct CRMIntegrationTests {
    @Test func aVIPCallerJumpsTheQueueAndBothCallCardsAreInSQLite() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        let seeded = try CommandLine.run(["seed-demo", "--crm", crm, "--customers", "10", "--agents", "0"])
        #expect(seeded.status == 0, "\(seeded.stderr)")
        #expect(seeded.stdout.contains("14 customers, 0 agents"))

        let daemon = try RunningDaemon(["--rules", "routing-rules/default.yaml", "--crm", crm])
        let session = try DaemonSession(daemon)
        #expect(try session.addAgent("ann").body == .ack(.init()))
        #expect(try session.agent("ann", .login(.init())).body == .ack(.init()))
        var warm = false
        let desk = try ZMQSocket.subscriber(session.context, daemon.endpoints["events"]!, topic: "agent.ann") {
            warm.toggle()
            try session.agent("ann", .notReady(.with { $0.reason = warm ? "warming" : "briefing" }))
        }

        // An ordinary caller first, then a VIP, both recognised by their number (ANI).
        let ordinary = try session.queuedContact(ani: "+15550100004")
        let vip = try session.queuedContact(ani: "+15550100001")
        #expect(try session.agent("ann", .ready(.init())).body == .ack(.init()))
        let offered = try desk.nextEvent { event -> UInt64? in
            if case .offered(let offer)? = event.kind { offer.contactID } else { nil }
        }
        #expect(offered == vip)
        usleep(20_000)
        try session.answer(vip, by: "ann")
        let statistics = try session.statistics()
        #expect(statistics.daemon.customerHits == 2)
        #expect(statistics.daemon.customersCached == 14)
        #expect(daemon.stop() == 0)

        // SIGTERM flushed the store: the VIP's card is complete, the ordinary caller's still open.
        let cards = try crmRows(crm, "SELECT * FROM interactions ORDER BY contact_id")
        #expect(cards.count == 2)
        let vipCard = try #require(cards.first { $0["contact_id"] == Int64(vip) })
        #expect(vipCard["customer_id"] == "C-VIP-1")
        #expect(vipCard["customer_tier"] == "vip")
        #expect(vipCard["channel"] == "voice" && vipCard["queue"] == "general")
        #expect(vipCard["agent_id"] == "ann" && vipCard["outcome"] == "completed")
        #expect(vipCard["ivr_data"] == #"{"intent":"invoice"}"#)
        #expect(vipCard["offers"] == 1 && vipCard["offers_missed"] == 0)
        let times: [Int64?] = ["received_at", "first_offered_at", "answered_at", "ended_at", "wrap_up_ended_at"].map { vipCard[$0] }
        #expect(times.allSatisfy { $0 != nil }, "\(vipCard)")
        let known = times.compactMap { $0 }
        #expect(known == known.sorted(), "times out of order: \(vipCard)")
        #expect(vipCard["wait_ms"] == known[2] - known[0])
        let ordinaryCard = try #require(cards.first { $0["contact_id"] == Int64(ordinary) })
        #expect(ordinaryCard["customer_id"] == "C-1")
        #expect((ordinaryCard["ended_at"] as Int64?) == nil && (ordinaryCard["outcome"] as String?) == nil)

        // The customer's last agent, and the agent added over admin, are in the CRM too.
        #expect(try crmRows(crm, "SELECT last_agent_id FROM customers WHERE id = 'C-VIP-1'").first?["last_agent_id"] == "ann")
        let skills = try crmRows(crm, "SELECT skill, proficiency FROM agent_skills WHERE agent_id = 'ann'")
        #expect(skills.count == 1 && skills.first?["skill"] == "general" && skills.first?["proficiency"] == 6)
    }

    @Test func agentsInTheCRMAreStaffedAtStartAndTheirLastCustomersPreferThem() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        #expect(try CommandLine.run(["seed-demo", "--crm", crm, "--customers", "0"]).status == 0)
        let refused = try CommandLine.run(["seed-demo", "--crm", crm])
        #expect(refused.status != 0 && refused.stderr.contains("only fills an empty database"), "\(refused.stderr)")

        let daemon = try RunningDaemon(["--crm", crm])
        let session = try DaemonSession(daemon)
        let statistics = try session.statistics()
        #expect(statistics.agents.count == 12)
        #expect(statistics.agents.allSatisfy { $0.tenant == "default" && $0.state == "logged_out" })

        // The CRM is edited while the daemon runs: the change reaches routing within the refresh interval.
        try crmDatabase(crm).write { db in
            try db.execute(sql: "UPDATE customers SET last_agent_id = 'agent-02' WHERE id = 'C-GOLD-1'")
        }
        try session.agent("agent-02", .login(.init()))
        var phase = ""
        for _ in 0..<40 where phase != "holding_for_preferred_agent" {
            usleep(100_000)
            let contact = try session.queuedContact(customerID: "C-GOLD-1")
            let status = try session.ivr.call(Acd_V1_ContactRequest.with { $0.status = .with { $0.contactID = contact } }, reply: Acd_V1_ContactReply.self)
            if case .status(let s)? = status.body { phase = s.phase }
        }
        #expect(phase == "holding_for_preferred_agent")
        #expect(daemon.stop() == 0)
    }

    /// A separate store reports its progress, so the daemon waits for it: while it is down, the replay buffer (8
    /// events here) grows to keep everything it has not written, and it comes back to every event.
    @Test func aSeparateStoreThatCrashesAndRestartsWritesEveryCallCardOnce() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        let daemon = try RunningDaemon([
            "--crm", crm, "--crm-writer", "external", "--replay-buffer-events", "8", "--crm-store-silence-seconds", "60",
            "--log-level", "critical",
        ])
        let storeArguments = daemon.separateStoreCommand(crm: crm)
        var store = try RunningDaemon(command: storeArguments)
        #expect(store.banner.hasPrefix("acdd crm-store following"))
        let session = try DaemonSession(daemon)
        // The store prints its banner before it first reports, and the daemon keeps events for a store it has heard
        // from: published before that, they stay only while the 8-event buffer holds them, and the store, having
        // missed them live, would count them lost (as the test of a store started too late does).
        try #require(try session.statisticsOnceTheSeparateStoreHasWrittenEverything().daemon.followingStores.count == 1)
        try session.addAgent("ann")
        try session.agent("ann", .login(.init()))
        try session.agent("ann", .ready(.init()))

        // Ann is free for each contact in turn: it is offered to her as it arrives.
        func handle(_ count: Int) throws {
            for _ in 0..<count { try session.answer(try session.queuedContact(), by: "ann") }
        }
        try handle(10)
        var statistics = try session.statisticsOnceTheSeparateStoreHasWrittenEverything()
        try #require(statistics.daemon.followingStores.count == 1)
        store.crash()
        // More events than one replay batch (4096) while the store is down: it catches up in several.
        try handle(600)
        store = try RunningDaemon(command: storeArguments)
        try handle(10)

        statistics = try session.statisticsOnceTheSeparateStoreHasWrittenEverything()
        let following = try #require(statistics.daemon.followingStores.first)
        // Started again, the store reports under the same name (its host and database).
        #expect(statistics.daemon.followingStores.count == 1 && following.counted)
        #expect(following.writtenThrough == statistics.daemon.lastSequence)
        #expect(store.stop() == 0)
        #expect(daemon.stop() == 0)
        let cards = try crmRows(crm, "SELECT offers, outcome, wrap_up_ended_at FROM interactions")
        #expect(cards.count == 620)
        #expect(cards.allSatisfy { $0["offers"] == 1 && $0["outcome"] == "completed" && ($0["wrap_up_ended_at"] as Int64?) != nil })
    }

    /// A store that stops reporting holds intake up for the silence allowed (3 s here), not longer; a report for
    /// another daemon run is refused. The store reports every half second, so it crashes up to 0.5 s after its last
    /// report, and the contacts before the pause take their own time: with 1 s allowed, the pause came to under the
    /// 0.5 s this test asked for in a CI run on a slow machine.
    @Test func aSilentSeparateStoreStopsHoldingUpIntake() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        let daemon = try RunningDaemon([
            "--crm", crm, "--crm-writer", "external", "--crm-max-lag-events", "16", "--crm-store-silence-seconds", "3",
            "--log-level", "critical",
        ])
        let store = try RunningDaemon(command: daemon.separateStoreCommand(crm: crm, ["--name", "store-1"]))
        let session = try DaemonSession(daemon)
        _ = try session.queuedContact()
        let statistics = try session.statisticsOnceTheSeparateStoreHasWrittenEverything()
        #expect(statistics.daemon.followingStores.map(\.store) == ["store-1"])
        store.crash()
        // Two events per contact: the 9th submission finds the store 16 events behind and waits for its silence.
        var contacts: Set<UInt64> = []
        for _ in 0..<30 { contacts.insert(try session.queuedContact()) }
        #expect(contacts.count == 30)
        let after = try session.statistics().daemon
        #expect(after.crmIntakePauses >= 1 && after.crmIntakePausedMs >= 1_500)
        #expect(after.followingStores.first?.counted == false)

        let refused = try session.admin.call(Acd_V1_AdminRequest.with {
            $0.storeProgress = .with { $0.store = "store-2"; $0.streamID = after.streamID &+ 1; $0.writtenThrough = 1 }
        }, reply: Acd_V1_AdminReply.self)
        guard case .error(let error)? = refused.body else { Issue.record("not refused: \(refused)"); return }
        #expect(error.code == "unknown_stream")
        #expect(daemon.stop() == 0)
    }

    @Test func anInProcessStoreTooFarBehindFetchesWhatItWasNotHandedFromTheReplayBuffer() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        // A handoff of 4 events holds two submissions: most of this burst is dropped there and replayed.
        let daemon = try RunningDaemon(["--crm", crm, "--crm-handoff-events", "4", "--log-level", "warning"])
        let session = try DaemonSession(daemon)
        var contacts: Set<Int64> = []
        for _ in 0..<300 { contacts.insert(Int64(try session.queuedContact())) }
        let statistics = try session.statisticsOnceTheStoreHasWrittenEverything()
        #expect(statistics.daemon.crmHandoffDropped > 0 && statistics.daemon.crmLostEvents == 0)
        #expect(daemon.stop() == 0)
        let cards = try crmRows(crm, "SELECT contact_id, queue, ended_at FROM interactions")
        #expect(Set(cards.map { $0["contact_id"] as Int64 }) == contacts)
        #expect(cards.allSatisfy { $0["queue"] == "general" && ($0["ended_at"] as Int64?) == nil })
    }

    /// Every buffer far too small for the burst: new contacts wait while the store catches up, the replay buffer
    /// grows rather than drop what the store has not written, and every call card is there.
    @Test func aStoreFarBehindSlowsIntakeAndLosesNothing() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        let daemon = try RunningDaemon([
            "--crm", crm, "--crm-handoff-events", "4", "--replay-buffer-events", "8", "--crm-max-lag-events", "16",
            "--log-level", "critical",
        ])
        let session = try DaemonSession(daemon)
        var contacts: Set<Int64> = []
        for _ in 0..<100 { contacts.insert(Int64(try session.queuedContact())) }
        let statistics = try session.statisticsOnceTheStoreHasWrittenEverything()
        #expect(statistics.daemon.crmLostEvents == 0 && statistics.daemon.crmHandoffDropped > 0)
        #expect(statistics.daemon.crmIntakePauses > 0)
        #expect(daemon.stop() == 0)
        let cards = try crmRows(crm, "SELECT contact_id FROM interactions")
        #expect(Set(cards.map { $0["contact_id"] as Int64 }) == contacts)
    }

    /// A separate store started after the replay buffer moved on cannot have the first events: it counts them lost,
    /// writes its cursor through the end and goes on with what it could fetch.
    @Test func aSeparateStoreStartedTooLateCountsTheEventsItCannotFetchAndGoesOn() throws {
        let scratch = try ScratchDirectory()
        let crm = scratch.path("crm.sqlite")
        let daemon = try RunningDaemon(["--crm", crm, "--crm-writer", "external", "--replay-buffer-events", "8"])
        let session = try DaemonSession(daemon)
        for _ in 0..<300 { _ = try session.queuedContact() }
        let store = try RunningDaemon(command: daemon.separateStoreCommand(crm: crm))
        let last = try session.statistics().daemon.lastSequence
        var written: Int64 = 0
        for _ in 0..<200 where written < Int64(last) {
            usleep(50_000)
            written = try crmRows(crm, "SELECT max(last_sequence) AS s FROM event_cursor").first?["s"] ?? 0
        }
        #expect(written == Int64(last))
        #expect(store.stop() == 0)
        #expect(daemon.stop() == 0)
        let cards: Int64 = try crmRows(crm, "SELECT count(*) AS n FROM interactions").first?["n"] ?? 0
        #expect(cards < 300)
    }

    @Test func aConfigFileSetsWhatTheFlagsDoAndAnUnknownKeyIsRefused() throws {
        let scratch = try ScratchDirectory()
        let config = scratch.path("acdd.yaml")
        try """
            rules: \(CommandLine.repositoryRoot.path)/routing-rules/default.yaml
            crm: crm.sqlite
            contacts: tcp://127.0.0.1:*
            agents: tcp://127.0.0.1:*
            events: tcp://127.0.0.1:*
            admin: tcp://127.0.0.1:*
            heartbeat-timeout: 5
            log_level: warning
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(command: ["run", "--config", config])
        #expect(daemon.banner.hasPrefix("acdd listening contacts=tcp://127.0.0.1:"))
        #expect(daemon.stop() == 0)
        #expect(FileManager.default.fileExists(atPath: scratch.path("crm.sqlite")), "the CRM path is relative to the file")

        // The documented example parses; flags win over it (ports chosen by the system, a scratch database).
        let example = try RunningDaemon([
            "--config", CommandLine.repositoryRoot.appendingPathComponent("docs/acdd.example.yaml").path,
            "--crm", scratch.path("example.sqlite")])
        #expect(example.endpoints["contacts"]?.hasPrefix("tcp://127.0.0.1:") == true)
        #expect(example.endpoints["contacts"] != "tcp://127.0.0.1:5570")
        #expect(example.stop() == 0)

        try "rules: x\nheartbeat_timout: 5\n".write(toFile: config, atomically: true, encoding: .utf8)
        let refused = try CommandLine.run(["run", "--config", config])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("acdd.yaml:2: unknown setting 'heartbeat_timout'"), "\(refused.stderr)")
    }
}
