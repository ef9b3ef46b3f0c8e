@testable import CRMStore
import Foundation
import GRDB
import GRDBSQLite
import RoutingCore
import Synchronization
import Testing

/// A CRM database in a fresh temporary file, removed afterwards.
final class TemporaryCRM {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("crm-\(UUID().uuidString).sqlite").path
    let database: CRMDatabase

    init() throws {
        database = try CRMDatabase(path: path)
    }

    func rows(_ sql: String) throws -> [Row] {
        try database.pool.read { try Row.fetchAll($0, sql: sql) }
    }

    deinit {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

@Suite struct CustomerDirectoryTests {
    @Test func changesAreReadByRevisionAndTheCacheFollowsThem() throws {
        let crm = try TemporaryCRM()
        try crm.database.importRecords(customers: [
            CustomerRecord(id: "a", name: "A", phone: "+1", tier: "gold", lifetimeValue: 10, churnRisk: 0.5, language: "es"),
            CustomerRecord(id: "b", name: "B", phone: "+2"),
        ], agents: [])
        var directory = CustomerDirectory()
        directory.apply(try crm.database.customerChanges(since: 0))
        #expect(directory.count == 2)
        #expect(directory.profile(customerID: nil, ani: "+1")?.tier == "gold")
        #expect(directory.profile(customerID: "a", ani: nil)?.language == "es")
        #expect(directory.profile(customerID: "zz", ani: "+9") == nil)

        // Edited by any SQL client: only the changed row comes back, and an old phone number stops matching.
        try crm.database.pool.write { db in
            try db.execute(sql: "UPDATE customers SET phone = '+3', last_agent_id = 'ann' WHERE id = 'a'")
        }
        let changes = try crm.database.customerChanges(since: directory.revision)
        #expect(changes.changed.map(\.profile.customerID) == ["a"])
        directory.apply(changes)
        #expect(directory.profile(customerID: nil, ani: "+1") == nil)
        #expect(directory.profile(customerID: nil, ani: "+3")?.lastAgent == AgentID("ann"))

        try crm.database.pool.write { try $0.execute(sql: "DELETE FROM customers WHERE id = 'b'") }
        let deletion = try crm.database.customerChanges(since: directory.revision)
        #expect(deletion.deleted == ["b"] && deletion.changed.isEmpty)
        directory.apply(deletion)
        #expect(directory.count == 1 && directory.profile(customerID: nil, ani: "+2") == nil)
        #expect(try crm.database.customerChanges(since: directory.revision).isEmpty)
    }
}

@Suite struct CallCardWriterTests {
    /// The events of a small day: a contact handled with a decline on the way, one abandoned, one closed
    /// by overflow to the IVR, and an agent added and retrained.
    static func dayOfEvents() throws -> [Event] {
        let rules = try RuleSetFixture.rules()
        var engine = try RoutingEngine(rules: rules, seed: 1)
        var events: [Event] = []
        var now = Instant(seconds: 1_800_000_000)
        func run(_ command: Command) { events += engine.handle(command, now: now) }
        run(.addAgent(AgentProfile(id: "ann", name: "Ann", tenant: "t", skills: ["general": 5])))
        run(.addAgent(AgentProfile(id: "bob", name: "Bob", tenant: "t", skills: ["general": 7])))
        run(.setSkills("ann", skills: ["general": 6]))
        run(.login("ann"))
        run(.login("bob"))
        run(.submit(ContactSubmission(
            tenant: "t", queue: "q", channel: .voice, profile: CustomerProfile(customerID: "C-1", tier: "gold"),
            ivrData: ["intent": "invoice"], externalID: "call-1")))
        run(.ready("ann"))
        now = now.adding(seconds: 2)
        run(.decline("ann", ContactID(1)))
        run(.ready("bob"))
        now = now.adding(seconds: 3)
        run(.accept("bob", ContactID(1)))
        now = now.adding(seconds: 60)
        run(.complete("bob", ContactID(1)))
        now = now.adding(seconds: 5)
        run(.endWrapUp("bob", ContactID(1)))
        run(.notReady("ann", reason: "lunch"))
        run(.notReady("bob", reason: "lunch"))
        run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        now = now.adding(seconds: 4)
        run(.abandon(ContactID(2)))
        run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        events += engine.advance(to: now.adding(seconds: 120))
        return events
    }

    @Test func cardsRecordEachContactFromArrivalToWrapUp() throws {
        let crm = try TemporaryCRM()
        try crm.database.importRecords(customers: [CustomerRecord(id: "C-1", name: "One")], agents: [])
        let revisionBefore = try crm.database.customerChanges(since: 0).revision
        let writer = CallCardWriter(database: crm.database)
        #expect(try writer.follow(stream: 42) == 0)
        let events = try Self.dayOfEvents()
        try writer.write(events)
        #expect(writer.writtenThrough == events.last!.sequence && writer.orphanEvents == 0)

        let cards = try crm.rows("SELECT * FROM interactions ORDER BY contact_id")
        #expect(cards.count == 3)
        let handled = cards[0]
        let text: [String?] = ["external_id", "customer_id", "customer_tier", "agent_id", "outcome"].map { handled[$0] }
        #expect(text == ["call-1", "C-1", "gold", "bob", "completed"])
        let numbers: [Int64?] = ["offers", "offers_declined", "wait_ms", "talk_ms", "wrap_up_ms"].map { handled[$0] }
        #expect(numbers == [2, 1, 5_000, 60_000, 5_000])
        #expect(handled["ivr_data"] == #"{"intent":"invoice"}"#)
        #expect(cards[1]["outcome"] == "abandoned" && cards[1]["wait_ms"] == 4_000)
        #expect(cards[2]["outcome"] == "overflowed_to_ivr" && cards[2]["overflowed_to"] == "ivr")
        #expect(try crm.rows("SELECT last_agent_id FROM customers").first?["last_agent_id"] == "bob")
        #expect(try crm.rows("SELECT proficiency FROM agent_skills WHERE agent_id = 'ann'").first?["proficiency"] == 6)
        // The routing thread's profile cache sees the new last agent, as it sees any other edit.
        let changes = try crm.database.customerChanges(since: revisionBefore)
        #expect(changes.revision > revisionBefore)
        #expect(changes.changed.map(\.profile.lastAgent) == [AgentID("bob")])
        #expect(try crm.database.customerChanges(since: changes.revision).isEmpty)
    }

    /// The writer holds a card until nothing more can happen to its contact; with no wrap-up, that is at once.
    @Test func cardsOfFinishedContactsAreNotHeldWhateverTheWrapUpRule() throws {
        let crm = try TemporaryCRM()
        let writer = CallCardWriter(database: crm.database)
        _ = try writer.follow(stream: 5)
        let queues = [QueueRules(name: "none", skills: ["general": 1]), QueueRules(name: "manual", skills: ["general": 1], wrapUp: .manual)]
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: queues)]), seed: 1)
        var now = Instant(seconds: 1_800_000_000)
        var events = engine.handle(.addAgent(AgentProfile(id: "a", name: "A", tenant: "t", skills: ["general": 5])), now: now)
        events += engine.handle(.login("a"), now: now)
        events += engine.handle(.ready("a"), now: now)
        var manual: ContactID?
        for queue in ["none", "none", "manual"] {
            let submitted = engine.handle(.submit(ContactSubmission(tenant: "t", queue: queue, channel: .voice)), now: now)
            events += submitted
            let id = try #require(submitted.lazy.compactMap { if case .offered(let id, _, _, _) = $0.kind { id } else { nil } }.first)
            now = now.adding(seconds: 10)
            events += engine.handle(.accept("a", id), now: now)
            now = now.adding(seconds: 60)
            events += engine.handle(.complete("a", id), now: now)
            if queue == "manual" { manual = id }
        }
        try writer.write(events)
        #expect(writer.openCardCount == 1, "only the card still in wrap-up")
        let cards = try crm.rows("SELECT wrap_up_ms, wrap_up_ended_at = ended_at AS at_once FROM interactions ORDER BY contact_id")
        #expect(cards.map { $0["wrap_up_ms"] as Int64? } == [0, 0, nil])
        #expect(cards.map { $0["at_once"] as Bool? } == [true, true, nil])
        try writer.write(engine.handle(.endWrapUp("a", try #require(manual)), now: now.adding(seconds: 5)))
        #expect(writer.openCardCount == 0)
    }

    /// Hundreds of contacts with long and short text, in one batch: every bound value reaches its column, whether
    /// it fits the binding arena's chunk or not, and the batch asks its pacer as often as it says (a pacer whose
    /// runs end at once rests at every check).
    @Test func aLargeBatchKeepsEveryTextAndPausesOnTheWay() throws {
        let crm = try TemporaryCRM()
        let pauses = Mutex(0)
        let pacer = WorkPacer(runNanoseconds: 0, rest: .yield, clock: { 0 }, performRest: { _ in pauses.withLock { $0 += 1 } })
        let writer = CallCardWriter(database: crm.database, pacer: pacer)
        _ = try writer.follow(stream: 9)
        let queue = QueueRules(name: "q", channel: .voice, skills: ["general": 1])
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])]), seed: 1)
        var events: [Event] = []
        var expected: [String] = []
        for n in 0..<300 {
            let note = String(repeating: "é\(n % 10)", count: n % 7 == 0 ? 3_000 : n % 5)
            expected.append(IVRDataJSON.encode(["note": note]))
            events += engine.handle(
                .submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, ivrData: ["note": note], externalID: "x-\(n)")),
                now: Instant(seconds: 1_800_000_000 + Double(n)))
        }
        try writer.write(events)
        let rows = try crm.rows("SELECT external_id, ivr_data FROM interactions ORDER BY contact_id")
        #expect(rows.map { $0["external_id"] as String? } == (0..<300).map { "x-\($0)" })
        #expect(rows.map { $0["ivr_data"] as String? } == expected)
        // The 300 cards go in 18 statements of 16 rows and 12 of one. Of the events, only the 300 `received` are
        // work for the pacer: the `queued` ones change no card and are passed over.
        let insertStatements = 300 / CallCardWriter.insertRows + 300 % CallCardWriter.insertRows
        #expect(events.count == 600)
        #expect(pauses.withLock { $0 } == 300 / CallCardWriter.pacingCheckInterval + insertStatements)
    }

    /// The writer keeps its statements and what they have bound from one write to the next, but not the bytes of
    /// the texts: a text equal to the one its parameter held in the last write is bound again, from this write's
    /// bytes. Taken as bound still, the second card's external id would read the bytes its customer id was just
    /// copied to.
    @Test func aTextBoundInTheLastWriteIsBoundAgainFromThisOnesBytes() throws {
        let crm = try TemporaryCRM()
        let writer = CallCardWriter(database: crm.database)
        _ = try writer.follow(stream: 8)
        let queue = QueueRules(name: "q", channel: .voice, skills: ["general": 1])
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])]), seed: 1)
        for (n, customer) in [nil, "customer-2"].enumerated() {
            try writer.write(engine.handle(
                .submit(ContactSubmission(
                    tenant: "t", queue: "q", channel: .voice, profile: CustomerProfile(customerID: customer),
                    externalID: "external-1")),
                now: Instant(seconds: 1_800_000_000 + Double(n))))
        }
        let rows = try crm.rows("SELECT external_id, customer_id FROM interactions ORDER BY contact_id")
        #expect(rows.map { $0["external_id"] as String? } == ["external-1", "external-1"])
        #expect(rows.map { $0["customer_id"] as String? } == [nil, "customer-2"])
    }

    @Test func ivrDataIsStoredAsJSONWithSortedKeysWhateverItHolds() throws {
        let crm = try TemporaryCRM()
        let writer = CallCardWriter(database: crm.database)
        _ = try writer.follow(stream: 7)
        let data = ["zone": "Zürich \"Nord\"", "account": "a\\b\nc\t\u{1}", "intent": "invoice", "empty": ""]
        let queue = QueueRules(name: "q", channel: .voice, skills: ["general": 1])
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])]), seed: 1)
        let events = engine.handle(
            .submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, ivrData: data)),
            now: Instant(seconds: 1_800_000_000))
        try writer.write(events)
        let json: String = try #require(try crm.rows("SELECT ivr_data FROM interactions").first?["ivr_data"])
        #expect(json.hasPrefix(#"{"account":"a\\b\nc\t\u0001","empty":"","intent":"invoice","zone":"#))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(parsed == data)
    }

    @Test func theHandoffKeepsWhatFitsAndCountsWhatItDrops() {
        let handoff = EventHandoff(capacity: 3)
        let events = (1...4).map { Event(sequence: $0, at: Instant(seconds: 1), kind: .agentRemoved("a")) }
        func hand(_ range: Range<Int>) {
            var turn = Array(events[range])
            handoff.hand(&turn)
            #expect(turn.isEmpty, "the routing thread's buffer comes back empty, handed or dropped")
        }
        hand(0..<1)  // to an empty handoff: the arrays trade places
        hand(1..<2)  // behind an event not yet taken: appended
        hand(2..<4)
        hand(0..<0)
        var taken: [Event] = []
        handoff.take(into: &taken)
        #expect(taken == Array(events[0..<2]) && handoff.droppedEvents == 2 && handoff.latestSequence == 4)
        taken.removeAll()
        hand(2..<4)
        handoff.take(into: &taken)
        #expect(taken == Array(events[2..<4]))
    }

    /// `handIfTaken` hands only to an empty handoff; meanwhile the caller keeps its events and adds the next ones,
    /// until they reach the capacity and are dropped.
    @Test func handingIfTakenKeepsTheEventsUntilTheStoreHasTakenTheLast() {
        let handoff = EventHandoff(capacity: 4)
        let events = (1...9).map { Event(sequence: $0, at: Instant(seconds: 1), kind: .agentRemoved("a")) }
        var turn = [events[0]]
        #expect(handoff.handIfTaken(&turn) && turn.isEmpty)
        turn.append(events[1])
        #expect(!handoff.handIfTaken(&turn) && turn == [events[1]], "the first is not taken: kept")
        turn.append(events[2])
        #expect(!handoff.handIfTaken(&turn) && turn == Array(events[1...2]))
        #expect(handoff.latestSequence == 1 && handoff.droppedEvents == 0)
        var taken: [Event] = []
        handoff.take(into: &taken)
        #expect(taken == [events[0]])
        #expect(handoff.handIfTaken(&turn) && turn.isEmpty)
        #expect(handoff.latestSequence == 3)
        // Not taken again: four kept are the capacity, dropped and counted.
        turn = Array(events[3...6])
        #expect(!handoff.handIfTaken(&turn) && turn.isEmpty)
        #expect(handoff.droppedEvents == 4 && handoff.latestSequence == 7)
        taken.removeAll()
        handoff.take(into: &taken)
        #expect(taken == Array(events[1...2]))
        #expect(handoff.handIfTaken(&turn), "nothing to hand, nothing kept")
    }

    /// The routing thread hands only when the store has taken the last events and the lock is free, and keeps what
    /// it could not hand for its next turn: against a store taking all the while, every event arrives once and in
    /// order.
    @Test func eventsKeptWhileTheStoreHoldsTheLockArriveLaterInOrder() async {
        let handoff = EventHandoff(capacity: 1 << 20)
        let total: UInt64 = 200_000
        let store = Task.detached {
            var received: [UInt64] = []
            var taken: [Event] = []
            while received.last != total {
                handoff.take(into: &taken)
                received += taken.map(\.sequence)
                taken.removeAll(keepingCapacity: true)
            }
            return received
        }
        var turn: [Event] = []
        for sequence in 1...total {
            turn.append(Event(sequence: sequence, at: Instant(seconds: 1), kind: .agentRemoved("a")))
            handoff.handIfTaken(&turn)
        }
        handoff.hand(&turn)
        let received = await store.value
        #expect(received == Array(1...total))
        #expect(handoff.droppedEvents == 0)
    }

    @Test func batchesResentAfterARestartAreNotWrittenTwice() throws {
        let events = try Self.dayOfEvents()
        let once = try TemporaryCRM()
        let oneWriter = CallCardWriter(database: once.database)
        _ = try oneWriter.follow(stream: 42)
        try oneWriter.write(events)

        // In pieces, each resent with some of the previous one, and a writer restarted half-way.
        let pieces = try TemporaryCRM()
        var writer = CallCardWriter(database: pieces.database)
        _ = try writer.follow(stream: 42)
        var start = 0
        var random = SplitMix64(seed: 5)
        while start < events.count {
            let end = min(events.count, start + 1 + Int(random.next() % 7))
            let overlap = max(0, start - Int(random.next() % 4))
            try writer.write(Array(events[overlap..<end]))
            start = end
            if start > events.count / 2, start < events.count, random.next() % 3 == 0 {
                writer = CallCardWriter(database: pieces.database)
                #expect(try writer.follow(stream: 42) == events[end - 1].sequence)
            }
        }
        try writer.write(events)
        let all = "SELECT * FROM interactions ORDER BY contact_id"
        #expect(try pieces.rows(all) == once.rows(all))
        #expect(try pieces.rows("SELECT * FROM event_cursor") == once.rows("SELECT * FROM event_cursor"))
    }

    /// `write(taking:)` writes what `write` writes, and leaves the caller's array empty with its storage: the
    /// store reuses it for the next events. Taking events already written writes nothing again.
    @Test func writingTakesTheEventsAndKeepsTheirStorage() throws {
        let (borrowed, taking) = (try TemporaryCRM(), try TemporaryCRM())
        let events = try Self.dayOfEvents()
        let reference = CallCardWriter(database: borrowed.database)
        _ = try reference.follow(stream: 42)
        try reference.write(events)
        let writer = CallCardWriter(database: taking.database)
        _ = try writer.follow(stream: 42)
        var taken: [Event] = []
        taken.append(contentsOf: events)  // storage of its own, as the store's is
        let capacity = taken.capacity
        try writer.write(taking: &taken)
        #expect(taken.isEmpty && taken.capacity >= capacity)
        let all = "SELECT * FROM interactions ORDER BY contact_id"
        #expect(try taking.rows(all) == borrowed.rows(all))
        taken = events
        try writer.write(taking: &taken)
        #expect(taken.isEmpty && writer.writtenThrough == events.last!.sequence)
        #expect(try taking.rows(all) == borrowed.rows(all))
    }

    @Test func aNewDaemonRunStartsItsOwnCards() throws {
        let crm = try TemporaryCRM()
        let events = try Self.dayOfEvents()
        let writer = CallCardWriter(database: crm.database)
        _ = try writer.follow(stream: 42)
        try writer.write(events)
        #expect(try writer.follow(stream: 43) == 0)
        try writer.write(events)
        #expect(try crm.rows("SELECT count(*) AS n FROM interactions").first?["n"] == 6)
        #expect(try crm.rows("SELECT count(*) AS n FROM event_cursor").first?["n"] == 2)
    }

    /// A database written before call cards had an integer key: its cards keep their runs apart under the new
    /// key, and a card still open when the daemon stopped is found and finished by the writer.
    @Test func cardsWrittenBeforeTheCardKeyAreMigratedAndStillUpdated() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crm-v1-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let events = try Self.dayOfEvents()
        let completed = try #require(events.first { if case .completed = $0.kind { true } else { false } })
        do {
            _ = CRMDatabase.sqliteSetup
            let v1 = try DatabaseQueue(path: path)
            try CRMSchema.migrator.migrate(v1, upTo: "v1: customers, agents, skills, interactions, event cursor")
            try v1.write { db in
                try db.execute(sql: """
                    INSERT INTO interactions (stream_id, contact_id, tenant, channel, first_queue, queue, received_at, outcome)
                        VALUES (7, 1, 't', 'voice', 'q', 'q', 1000, 'abandoned'), (7, 2, 't', 'voice', 'q', 'q', 2000, 'abandoned');
                    INSERT INTO interactions (stream_id, contact_id, tenant, channel, first_queue, queue, customer_id, received_at,
                                              answered_at, agent_id, offers)
                        VALUES (42, 1, 't', 'voice', 'q', 'q', 'C-1', 3000, 8000, 'bob', 2);
                    INSERT INTO event_cursor VALUES (7, 90, 2000), (42, \(completed.sequence - 1), 8000);
                    """)
            }
        }
        let database = try CRMDatabase(path: path)
        let writer = CallCardWriter(database: database)
        #expect(try writer.follow(stream: 42) == completed.sequence - 1)
        try writer.write(events)
        #expect(writer.orphanEvents == 0)

        let cards = try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT card_id, stream_id, contact_id, outcome, talk_ms FROM interactions ORDER BY card_id")
        }
        let keys = cards.map { [$0["card_id"], $0["stream_id"], $0["contact_id"]] as [Int64] }
        let first: Int64 = 1 << 40, second: Int64 = 2 << 40
        let expected: [[Int64]] = [[first + 1, 7, 1], [first + 2, 7, 2], [second + 1, 42, 1], [second + 2, 42, 2], [second + 3, 42, 3]]
        #expect(keys == expected)
        #expect(cards[2]["outcome"] == "completed" && cards[2]["talk_ms"] == 60_000)
        #expect(cards.map { $0["outcome"] as String? } == ["abandoned", "abandoned", "completed", "abandoned", "overflowed_to_ivr"])
        // A caller's history is still read through the index, which leaves out the unidentified callers.
        let plan = try database.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM interactions WHERE customer_id = ? ORDER BY received_at",
                             arguments: ["C-1"]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("interactions_customer") }, "\(plan)")
    }

    /// Cards of a v3 database, every column set in some and NULL in others: read through the `interactions` view
    /// once migration v4 has moved them into `call_cards`, each row is what the v3 table held, column for column.
    @Test func migrationV4KeepsEveryColumnOfEveryCard() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("crm-v3-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        _ = CRMDatabase.sqliteSetup
        let v3 = try DatabaseQueue(path: path)
        try CRMSchema.migrator.migrate(v3, upTo: "v3: the last event in each call card, and how far the store has applied")
        let first: Int64 = 1 << 40, second: Int64 = 2 << 40
        let before = try v3.write { db -> [Row] in
            try db.execute(sql: """
                INSERT INTO event_streams (number, stream_id) VALUES (1, -5), (2, 9223372036854775807);
                INSERT INTO interactions VALUES
                    (\(first + 1), -5, 1, 'ext-1', 't', 'voice', 'q', 'q-overflow-target-with-a-long-name', 'C-1', 'gold',
                     'es', 3, '{"a":1}', '+15550001', 1764930000000, 1764930000100, 1764930000200, 1764930060200,
                     1764930065200, 'agent-with-a-name-longer-than-fifteen-bytes', 200, 60000, 5000, 'completed', 2, 1, 0,
                     1, 'q-overflow-target-with-a-long-name', 17),
                    (\(first + 2), -5, 2, NULL, 't', 'chat', 'q', 'q', NULL, NULL, NULL, 0, NULL, NULL, 1764930001000,
                     NULL, NULL, 1764930002000, NULL, NULL, 1000, NULL, NULL, 'abandoned', 0, 0, 0, 0, NULL, NULL),
                    (\(second + 7), 9223372036854775807, 7, NULL, 'u', 'email', 'r', 'r', 'C-2', NULL, 'fr', 0, NULL,
                     NULL, 1764930003000, 1764930003000, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 0, 1, 0, NULL, 30);
                """)
            return try Row.fetchAll(db, sql: "SELECT * FROM interactions ORDER BY card_id")
        }
        try CRMSchema.migrator.migrate(v3)
        let after = try v3.read { try Row.fetchAll($0, sql: "SELECT * FROM interactions ORDER BY card_id") }
        #expect(after == before)
        #expect(after.first?.columnNames.map { $0 } == before.first?.columnNames.map { $0 })
        let names = try v3.read { try String.fetchAll($0, sql: "SELECT name FROM card_names ORDER BY name") }
        #expect(names == ["abandoned", "agent-with-a-name-longer-than-fifteen-bytes", "chat", "completed", "email", "es",
                          "fr", "gold", "q", "q-overflow-target-with-a-long-name", "r", "t", "u", "voice"])
    }

    /// Names take numbers from `card_names` once each, whatever string object carries them: short ones held in the
    /// string itself and long ones in storage of their own, more names than the lookup has slots, so that they
    /// collide in it; and after `forget` (a rollback) the numbers are read back, not made again.
    @Test func everyNameKeepsOneNumber() throws {
        let crm = try TemporaryCRM()
        let names = CardNames()
        let texts = (0..<600).map { $0 % 2 == 0 ? "n\($0)" : "a name longer than fifteen bytes, number \($0)" }
        var first: [String: Int64] = [:]
        try crm.database.pool.write { db in
            for text in texts { first[text] = try names.number(for: text, db: db) }
            // Equal strings in other storage, asked again in another order.
            for text in texts.reversed() {
                let number = try names.number(for: String(text.utf8.map { Character(UnicodeScalar($0)) }), db: db)
                #expect(number == first[text])
            }
        }
        #expect(Set(first.values).count == texts.count)
        names.forget()
        try crm.database.pool.write { db in
            for text in texts {
                let number = try names.number(for: text, db: db)
                #expect(number == first[text])
            }
            let none = try names.numberIfAny(for: nil, db: db)
            #expect(none == nil)
        }
        let stored = try crm.rows("SELECT id, name FROM card_names")
        #expect(Dictionary(uniqueKeysWithValues: stored.map { ($0["name"] as String, $0["id"] as Int64) }) == first)
    }

    /// The slots of the writer's open cards, in the engine's table from another module (`ContactIndex` keeps
    /// contacts that outlive its window there): thousands of random inserts, replacements and removals, dense ids as
    /// the engine gives them and sparse ones that collide; the table answers as a dictionary does after every step.
    @Test func openCardSlotsAnswerAsADictionaryDoes() {
        var table = CheapHashTable<ContactID, Int32>()
        var model: [UInt64: Int32] = [:]
        var random = SplitMix64(seed: 11)
        for step in 0..<20_000 {
            let contact = step % 3 == 0 ? random.next() % 64 << 40 : 1 + random.next() % 2_000
            if random.next() % 3 == 0 {
                table[ContactID(contact)] = nil
                model[contact] = nil
            } else {
                table[ContactID(contact)] = Int32(step)
                model[contact] = Int32(step)
            }
            if step % 97 == 0 || step > 19_900 {
                #expect(table.count == model.count)
                for probe in model.keys.prefix(50) { #expect(table[ContactID(probe)] == model[probe]) }
                #expect(table[ContactID(UInt64.max)] == nil)
            }
        }
        for (contact, slot) in model { #expect(table[ContactID(contact)] == slot) }
    }

    /// Multi-thread mode and no memory statistics took effect: SQLite was not initialized before.
    @Test func sqliteIsSetUpBeforeItsFirstDatabase() throws {
        _ = try TemporaryCRM()
        #expect(CRMDatabase.sqliteSetup == SQLITE_OK)
    }

    @Test func aContactIdBeyondTheCardKeyIsRefused() throws {
        let largest: Int64 = 3 << 40 + (1 << 40 - 1)
        #expect(try CardKey.cardID(streamNumber: 3, contact: CardKey.contactLimit - 1) == largest)
        #expect(throws: CRMError.self) { try CardKey.cardID(streamNumber: 3, contact: CardKey.contactLimit) }
    }
}

@Suite struct ThreadPriorityTests {
    /// A store that falls behind competes in short runs, flat out only far behind or missing events, and once flat
    /// out stays so until it has caught up; it yields again once a take is back under `caughtUpEvents`, and keeps
    /// its priority in between.
    @Test func theStoreCompetesInShortRunsOnceBehindAndFlatOutFarBehind() {
        func priority(
            _ backlog: Int, at current: ThreadPriority? = .idle, dropped: Bool = false, replaying: Bool = false, reversible: Bool = true
        ) -> ThreadPriority? {
            CRMStoreFollower.priority(
                afterTaking: backlog, at: current, newlyDropped: dropped, replaying: replaying, idleIsReversible: reversible)
        }
        #expect(priority(32_768) == .catchingUp)
        #expect(priority(32_767) == .paced)
        #expect(priority(16_384) == .paced)
        #expect(priority(16_384, at: nil) == .paced)
        #expect(priority(16_384, reversible: false) == .paced)
        #expect(priority(32_767, at: .catchingUp) == nil, "flat out until caught up")
        #expect(priority(16_384, at: .paced) == .paced)
        #expect(priority(16_383) == nil)
        #expect(priority(8_193, at: .catchingUp) == nil)
        #expect(priority(8_192) == .idle)
        #expect(priority(8_192, at: .catchingUp) == .idle)
        #expect(priority(0) == .idle)
        #expect(priority(0, reversible: false) == nil)
        #expect(priority(10, dropped: true) == .catchingUp)
        #expect(priority(10, replaying: true) == .catchingUp)
    }

    /// A store that keeps up yields after each tenth of a millisecond of a write; one behind rests as long again
    /// and twice over; one far behind writes without giving the CPU up.
    @Test func howEachPriorityGivesTheCPUUpDuringAWrite() {
        #expect(ThreadPriority.idle.longWorkPacer.rest == .yield)
        #expect(ThreadPriority.background.longWorkPacer.rest == .yield)
        #expect(ThreadPriority.paced.longWorkPacer.rest == .sleep(nanoseconds: 200_000))
        #expect(ThreadPriority.paced.longWorkPacer.runNanoseconds == 100_000)
        #expect(ThreadPriority.idle.longWorkPacer.runNanoseconds == 100_000)
        #expect(ThreadPriority.catchingUp.longWorkPacer.rest == .none)
    }

    #if os(Linux)
    /// The policy and nice value the calling thread has after each change, read back from the kernel.
    @Test func theStoreThreadSwitchesBetweenIdleNice10AndBatchNice0() throws {
        let seen = Mutex<[(policy: Int32, nice: Int32)]>([])
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            func read() -> (Int32, Int32) { (sched_getscheduler(0), getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
            ThreadPriority.idle.applyToCurrentThread()
            let idle = read()
            ThreadPriority.background.applyToCurrentThread()
            let background = read()
            ThreadPriority.idle.applyToCurrentThread()
            ThreadPriority.catchingUp.applyToCurrentThread()
            let catchingUp = read()
            ThreadPriority.idle.applyToCurrentThread()
            ThreadPriority.paced.applyToCurrentThread()
            let paced = read()
            seen.withLock { $0 = [idle, background, catchingUp, paced] }
            done.signal()
        }
        thread.start()
        done.wait()
        let observed = seen.withLock { $0 }
        try #require(observed.count == 4)
        #expect(observed[0].policy == 5)
        // Coming back needs CAP_SYS_NICE or RLIMIT_NICE >= 10; the probe must say which this process has.
        #expect((observed[1].policy == SCHED_OTHER) == ThreadPriority.idleIsReversible)
        if ThreadPriority.idleIsReversible {
            #expect(observed[1].nice == 10)
            // Nice 0 again needs CAP_SYS_NICE or RLIMIT_NICE 20; without them the thread keeps nice 10.
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(13), &limit)  // RLIMIT_NICE, which Glibc's Swift module does not export
            let mayRaise = limit.rlim_cur >= 20 || Self.hasSysNiceCapability
            // SCHED_BATCH, which Glibc's Swift module does not export: the store must not preempt routing on waking.
            #expect(observed[2].policy == 3)
            #expect(observed[2].nice == (mayRaise ? 0 : 10))
            #expect(observed[3].policy == observed[2].policy && observed[3].nice == observed[2].nice, "paced is catchingUp's priority")
        }
    }

    /// The routing thread raises a store thread left at `SCHED_IDLE` from outside it, once per idle spell; the
    /// store learns it was raised (`takeBoost`). Without a registered thread, or while the store is not idle,
    /// nothing happens.
    @Test func theDaemonRaisesAnIdleStoreThreadFromOutside() throws {
        let boost = StorePriorityBoost()
        #expect(!boost.boost())
        let policy = Mutex<Int32>(-1)
        let (idle, raised, done) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let thread = Thread {
            boost.register(thread: currentKernelThreadID() ?? 0)
            ThreadPriority.catchingUp.applyToCurrentThread()
            boost.noteApplied(.catchingUp)
            idle.signal()
            raised.wait()
            ThreadPriority.idle.applyToCurrentThread()
            boost.noteApplied(.idle)
            idle.signal()
            raised.wait()
            policy.withLock { $0 = sched_getscheduler(0) }
            done.signal()
        }
        thread.start()
        idle.wait()
        #expect(!boost.boost())
        raised.signal()
        idle.wait()
        #expect(boost.boost())
        #expect(!boost.boost())
        raised.signal()
        done.wait()
        // Leaving SCHED_IDLE (for SCHED_BATCH) needs what the store's own way back needs (CAP_SYS_NICE or
        // RLIMIT_NICE >= 10).
        #expect((policy.withLock { $0 } == 3) == ThreadPriority.idleIsReversible)
        #expect(boost.takeBoost())
        #expect(!boost.takeBoost())
        // The calling thread's own id: one of this process's tasks.
        let id = try #require(currentKernelThreadID())
        #expect(FileManager.default.fileExists(atPath: "/proc/self/task/\(id)"))
    }

    /// The time away from `idle` adds up over spells, whoever ended `idle` (the store itself or the routing
    /// thread's raise), the spell under way included, and stands still while the store is at `idle`.
    @Test func timeAwayFromIdleAddsUpAndStandsStillAtIdle() throws {
        let boost = StorePriorityBoost()
        #expect(boost.competingMilliseconds == 0)
        boost.noteApplied(.catchingUp)
        usleep(30_000)
        let during = boost.competingMilliseconds
        #expect(during >= 30, "the spell under way counts")
        boost.noteApplied(.idle)
        let first = boost.competingMilliseconds
        #expect(first >= during)
        usleep(20_000)
        #expect(boost.competingMilliseconds == first, "nothing is added at idle")
        let (ready, raised, done) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let thread = Thread {
            boost.register(thread: currentKernelThreadID() ?? 0)
            ThreadPriority.idle.applyToCurrentThread()
            ready.signal()
            raised.wait()  // alive while it is raised: its id names no other thread
            boost.register(thread: 0)
            done.signal()
        }
        thread.start()
        ready.wait()
        #expect(boost.boost(), "the raise from outside starts a spell")
        raised.signal()
        done.wait()
        usleep(20_000)
        boost.noteApplied(.idle)
        #expect(boost.competingMilliseconds >= first + 20)
        boost.noteApplied(.background)
        usleep(10_000)
        boost.noteApplied(.catchingUp)  // the same spell: its start stays
        boost.noteApplied(.idle)
        #expect(boost.competingMilliseconds >= first + 30)
    }

    /// CAP_SYS_NICE (bit 23) among the effective capabilities in /proc/self/status.
    static var hasSysNiceCapability: Bool {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << 23) != 0
    }
    #endif
}

enum RuleSetFixture {
    /// One tenant `t`, one voice queue `q` that overflows to the IVR after 60 s.
    static func rules() throws -> RuleSet {
        let queue = QueueRules(
            name: "q", channel: .voice, skills: ["general": 1], maxWaitSeconds: 60, overflow: .ivr, wrapUp: .manual)
        return RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])])
    }
}
