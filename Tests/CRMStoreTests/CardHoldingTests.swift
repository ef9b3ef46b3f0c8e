@testable import CRMStore
import GRDB
import RoutingCore
import Testing

/// The writer may hold a card in progress instead of saving it at every write (`CallCardWriter.CardHolding`): the
/// cursor then stops before the card's first unsaved change, and a writer starting again from it skips what the
/// cards it saved already show.
@Suite struct CardHoldingTests {
    static let cards = "SELECT * FROM interactions ORDER BY contact_id"
    /// Everything a write changes but the cursor.
    static let tables = [cards, "SELECT * FROM agents ORDER BY id", "SELECT * FROM agent_skills ORDER BY agent_id, skill"]

    static func following(holding: CallCardWriter.CardHolding) throws -> (TemporaryCRM, CallCardWriter) {
        let crm = try TemporaryCRM()
        let writer = CallCardWriter(database: crm.database, holding: holding)
        _ = try writer.follow(stream: 42)
        return (crm, writer)
    }

    /// `events` written at once by a writer that holds nothing: what any split of them, held or not, must end as.
    static func reference(_ events: [Event]) throws -> TemporaryCRM {
        let (crm, writer) = try following(holding: .none)
        try writer.write(events)
        return crm
    }

    static func expect(_ crm: TemporaryCRM, toEqual reference: TemporaryCRM) throws {
        for table in tables + ["SELECT * FROM event_cursor"] { #expect(try crm.rows(table) == reference.rows(table)) }
    }

    /// Contacts in progress side by side, each offered, some declined first, one abandoned: a card saved in progress
    /// next to one held, so that a store starting again meets events of cards it saved.
    static func busyDay() throws -> [Event] {
        var engine = try RoutingEngine(rules: try RuleSetFixture.rules(), seed: 7)
        var events: [Event] = []
        var now = Instant(seconds: 1_800_000_000)
        var offers: [AgentID: ContactID] = [:]
        func run(_ command: Command) {
            let produced = engine.handle(command, now: now)
            for event in produced { if case .offered(let contact, let agent, _, _) = event.kind { offers[agent] = contact } }
            events += produced
        }
        let agents: [AgentID] = ["ann", "bob"]
        for agent in agents {
            run(.addAgent(AgentProfile(id: agent, name: agent.rawValue, tenant: "t", skills: ["general": 5])))
            run(.login(agent))
        }
        var submitted: UInt64 = 0
        func submit() {
            run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
            submitted += 1
        }
        for _ in 0..<4 { submit() }
        for agent in agents { run(.ready(agent)) }
        var declined: Set<ContactID> = []
        var round = 0
        while round < 3 || !offers.isEmpty {
            round += 1
            now = now.adding(seconds: 1)
            // Contacts keep arriving while older ones are in progress; the newest of round 3 hangs up in the queue.
            if round <= 3 { submit() }
            if round == 3 { run(.abandon(ContactID(submitted))) }
            for agent in agents {
                guard let contact = offers.removeValue(forKey: agent) else { continue }
                if contact.rawValue % 2 == 1, declined.insert(contact).inserted {
                    run(.decline(agent, contact))
                    continue
                }
                run(.accept(agent, contact))
                now = now.adding(seconds: 1)
                run(.complete(agent, contact))
                run(.endWrapUp(agent, contact))
            }
        }
        return events
    }

    static func index(of wanted: (EventKind) -> Bool, in events: [Event]) throws -> Int {
        try #require(events.firstIndex { wanted($0.kind) })
    }

    @Test func aCardInProgressIsHeldAndTheCursorStopsBeforeItsFirstChange() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let (crm, writer) = try Self.following(holding: .standard)
        let received = try Self.index(of: { if case .received = $0 { true } else { false } }, in: events)
        let offered = try Self.index(of: { if case .offered = $0 { true } else { false } }, in: events)

        try writer.write(Array(events[...offered]))
        #expect(try crm.rows(Self.cards).isEmpty)
        #expect(writer.hasHeldCards && !writer.hasUncommittedWrites)
        #expect(writer.writtenThrough == events[received].sequence - 1)
        #expect(writer.appliedThrough == events[offered].sequence)
        #expect(try crm.rows("SELECT last_sequence, applied_sequence FROM event_cursor").first
            == ["last_sequence": events[received].sequence - 1, "applied_sequence": events[offered].sequence])
        // Agents are written at once: they do not hold the cursor back.
        #expect(try crm.rows("SELECT id FROM agents").count == 2)

        try writer.write(Array(events[(offered + 1)...]))
        #expect(!writer.hasHeldCards && writer.writtenThrough == events.last!.sequence)
        try Self.expect(crm, toEqual: Self.reference(events))
    }

    /// Held past `holding.milliseconds` of the events' time, or `holding.events` events, a card is saved in
    /// progress; a finished one at once.
    @Test func aCardInProgressIsSavedOnceItsFirstUnsavedChangeIsOldEnough() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let offered = try Self.index(of: { if case .offered = $0 { true } else { false } }, in: events)
        let declined = try Self.index(of: { if case .declined = $0 { true } else { false } }, in: events)
        #expect(events[declined].at.milliseconds - events[offered].at.milliseconds == 2_000)

        let (byTime, timed) = try Self.following(holding: .init(events: .max, milliseconds: 1_999))
        try timed.write(Array(events[...offered]))
        #expect(try byTime.rows(Self.cards).isEmpty)
        try timed.write(Array(events[(offered + 1)...declined]))
        #expect(try byTime.rows(Self.cards).map { $0["offers_declined"] as Int64 } == [1])
        // Saved with every change applied so far, the card no longer holds the cursor back.
        #expect(timed.writtenThrough == events[declined].sequence && !timed.hasHeldCards)

        let received = try Self.index(of: { if case .received = $0 { true } else { false } }, in: events)
        let (byCount, counted) = try Self.following(holding: .init(events: 3, milliseconds: .max))
        for index in 0...declined {
            try counted.write([events[index]])
            #expect(try byCount.rows(Self.cards).isEmpty == (events[index].sequence < events[received].sequence + 3))
        }
    }

    @Test func savingHeldCardsSavesEveryOneAndMovesTheCursorUp() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let (crm, writer) = try Self.following(holding: .standard)
        let connected = try Self.index(of: { if case .connected = $0 { true } else { false } }, in: events)
        try writer.write(Array(events[...connected]), commit: false)
        try writer.write([], savingHeldCards: true)
        #expect(!writer.hasHeldCards && writer.writtenThrough == events[connected].sequence)
        #expect(try crm.rows(Self.cards).map { $0["answered_at"] as Int64? } == [events[connected].at.milliseconds])
    }

    /// The store stops (a crash: what it held is lost) after any number of writes, and a new one starts from the
    /// cursor: it meets again events that saved cards show, and must not count an offer or a decline twice.
    @Test func aStoreStartingAgainFromAHeldBackCursorEndsAsIfItHadWrittenAtOnce() throws {
        let events = try Self.busyDay()
        let reference = try Self.reference(events)
        let totals = try #require(try reference.rows(
            "SELECT count(*) AS cards, sum(offers) AS offers, sum(offers_declined) AS declined FROM interactions").first)
        #expect(["cards", "offers", "declined"].map { totals[$0] as Int64 } == [7, 9, 3])
        // Holding little, each crash finds cards saved in progress beside cards held; holding everything in
        // progress, it finds cards saved once finished beside older ones still held.
        for holding in [CallCardWriter.CardHolding(events: 4, milliseconds: 2_500), .init(events: .max, milliseconds: .max)] {
            var random = SplitMix64(seed: 31)
            for crashAfter in 1..<events.count {
                let (crm, writer) = try Self.following(holding: holding)
                var start = 0
                while start < crashAfter {
                    let end = min(crashAfter, start + 1 + Int(random.next() % 5))
                    try writer.write(Array(events[start..<end]), commit: random.next() % 4 != 0)
                    start = end
                }
                try writer.commit()
                let restarted = CallCardWriter(database: crm.database, holding: holding)
                let resume = try restarted.follow(stream: 42)
                #expect(resume <= events[crashAfter - 1].sequence)
                let rest = events.filter { $0.sequence > resume }
                try restarted.write(Array(rest.prefix(rest.count / 2)))
                try restarted.write(Array(rest.dropFirst(rest.count / 2)), savingHeldCards: true)
                try Self.expect(crm, toEqual: reference)
                // Every contact of the day ended: no card read back on the way is left open.
                #expect(restarted.openCardCount == 0)
            }
        }
    }

    /// A write that fails takes the writer back to its last commit, whose cursor a held card kept behind: written
    /// again from there, the events end as they would have, the cards saved meanwhile included.
    @Test func aFailedWriteGoesBackToTheHeldBackCursorAndEndsAsIfWrittenAtOnce() throws {
        let events = try Self.busyDay()
        let (crm, writer) = try Self.following(holding: .init(events: .max, milliseconds: .max))
        let firstFinished = try Self.index(of: { if case .wrapUpEnded = $0 { true } else { false } }, in: events)
        try writer.write(Array(events[...firstFinished]))
        let written = writer.writtenThrough
        #expect(written < events[firstFinished].sequence && writer.hasHeldCards)
        #expect(try crm.rows(Self.cards).count == 1)

        let refused = Event(
            sequence: events[firstFinished].sequence + 1, at: events[firstFinished].at,
            kind: .skillsChanged("ann", skills: ["general": 11]))
        #expect(throws: CRMError.self) { try writer.write([refused]) }
        #expect(writer.writtenThrough == written && writer.appliedThrough == written && !writer.hasHeldCards)

        try writer.write(events.filter { $0.sequence > written }, savingHeldCards: true)
        try Self.expect(crm, toEqual: Self.reference(events))
    }

    /// A card saved finished leaves its slot to the next contact's card, and its entry among the held ones behind
    /// an older card still held. Once that older card is saved, the entry is dropped, not taken for the new card
    /// in its slot: the cursor stops right before the new card's first change, and the new card stays held.
    @Test func aSlotLeftByAFinishedCardIsNotMistakenForTheCardGivenItNext() throws {
        var engine = try RoutingEngine(rules: try RuleSetFixture.rules(), seed: 7)
        var now = Instant(seconds: 1_800_000_000)
        func run(_ command: Command) -> [Event] {
            now = now.adding(milliseconds: 100)
            return engine.handle(command, now: now)
        }
        func submit() -> [Event] { run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice))) }
        let (crm, writer) = try Self.following(holding: .init(events: .max, milliseconds: 60_000))
        // Nobody is logged in: every contact waits in the queue until it hangs up. Contact 1 is held throughout.
        let writes = [submit(), submit(), run(.abandon(ContactID(2))), submit(), run(.abandon(ContactID(1)))]
        for events in writes.prefix(4) { try writer.write(events) }
        #expect(try crm.rows("SELECT contact_id FROM interactions").map { $0["contact_id"] as Int64 } == [2])
        #expect(writer.writtenThrough == writes[0][0].sequence - 1)

        try writer.write(writes[4])
        #expect(try crm.rows(Self.cards).map { $0["contact_id"] as Int64 } == [1, 2])
        let thirdReceived = try #require(writes[3].first { if case .received = $0.kind { true } else { false } })
        #expect(writer.writtenThrough == thirdReceived.sequence - 1 && writer.hasHeldCards)

        try writer.write([], savingHeldCards: true)
        try Self.expect(crm, toEqual: Self.reference(writes.flatMap { $0 }))
    }

    /// A burst of contacts open at once takes as many slots; once every one has ended the slots are let go, and the
    /// next contacts start from an empty array.
    @Test func theSlotsOfABurstAreLetGoOnceEveryContactHasEnded() throws {
        var engine = try RoutingEngine(rules: try RuleSetFixture.rules(), seed: 7)
        let now = Instant(seconds: 1_800_000_000)
        let (crm, writer) = try Self.following(holding: .standard)
        let burst = CallCardWriter.slotsKeptWhenIdle + 500
        // Nobody is logged in: every contact waits in the queue until it hangs up.
        var arrivals: [Event] = []
        for _ in 0..<burst { arrivals += engine.handle(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)), now: now) }
        try writer.write(arrivals)
        #expect(writer.slotCount == burst && writer.openCardCount == burst)

        var hangUps: [Event] = []
        for contact in 1...UInt64(burst - 1) { hangUps += engine.handle(.abandon(ContactID(contact)), now: now.adding(seconds: 1)) }
        try writer.write(hangUps)
        #expect(writer.slotCount == burst && writer.openCardCount == 1, "a contact still open keeps every slot")

        try writer.write(engine.handle(.abandon(ContactID(UInt64(burst))), now: now.adding(seconds: 2)))
        #expect(writer.slotCount == 0 && writer.openCardCount == 0 && !writer.hasHeldCards)
        let next = engine.handle(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)), now: now.adding(seconds: 3))
        try writer.write(next)
        #expect(writer.slotCount == 1 && writer.openCardCount == 1)
        #expect(try crm.rows("SELECT count(*) AS n FROM interactions WHERE outcome = 'abandoned'").first?["n"] == burst)
    }

    /// Contacts ending in the reverse of the order they came: their cards still go into the table in the order of
    /// their keys, so that each new row is the table's last (SQLite then starts a new page for it instead of
    /// rebalancing the last ones).
    @Test func cardsHeldAndFinishedTogetherAreInsertedInTheOrderOfTheirKeys() throws {
        let (crm, writer) = try Self.following(holding: .standard)
        try crm.database.pool.write { db in
            try db.execute(sql: """
                CREATE TABLE insert_order (card_id INTEGER NOT NULL);
                CREATE TRIGGER insert_logged AFTER INSERT ON call_cards BEGIN
                    INSERT INTO insert_order VALUES (NEW.card_id);
                END;
                """)
        }
        let queue = QueueRules(name: "q", channel: .voice, skills: ["general": 1])
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])]), seed: 3)
        let now = Instant(seconds: 1_800_000_000)
        let contacts = 2 * CallCardWriter.insertRows + 3
        var events: [Event] = []
        var agentOf: [ContactID: AgentID] = [:]
        for n in 0..<contacts {
            let agent = AgentID("agent-\(n)")
            for command in [Command.addAgent(AgentProfile(id: agent, name: "A", tenant: "t", skills: ["general": 5])), .login(agent), .ready(agent)] {
                events += engine.handle(command, now: now)
            }
            let submitted = engine.handle(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)), now: now)
            events += submitted
            for event in submitted { if case .offered(let contact, let offeredTo, _, _) = event.kind { agentOf[contact] = offeredTo } }
        }
        #expect(agentOf.count == contacts)
        try writer.write(events)
        #expect(try crm.rows("SELECT card_id FROM insert_order").isEmpty, "every card held while its contact rings")

        var endings: [Event] = []
        for contact in agentOf.keys.sorted(by: { $0.rawValue > $1.rawValue }) {
            endings += engine.handle(.accept(agentOf[contact]!, contact), now: now.adding(seconds: 1))
            endings += engine.handle(.complete(agentOf[contact]!, contact), now: now.adding(seconds: 2))
        }
        try writer.write(endings)
        let inserted = try crm.rows("SELECT card_id FROM insert_order ORDER BY rowid").map { $0["card_id"] as Int64 }
        #expect(inserted.count == contacts && inserted == inserted.sorted())
        #expect(try crm.rows("SELECT count(*) AS n FROM interactions WHERE outcome = 'completed'").first?["n"] == contacts)
    }

    /// A write that fails after it queued a new card for insertion, on the update of another: written again once the
    /// cause is gone, the events end as they would have, at the first try.
    @Test func aWriteFailingAfterQueueingANewCardLeavesNothingForTheNext() throws {
        let events = try Self.busyDay()
        let (crm, writer) = try Self.following(holding: .none)
        let secondReceived = try #require(events.indices.filter { if case .received = events[$0].kind { true } else { false } }.dropFirst().first)
        try writer.write(Array(events[..<secondReceived]))
        let written = writer.writtenThrough
        #expect(try crm.rows(Self.cards).count == 1)
        try crm.database.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER no_update BEFORE UPDATE ON call_cards BEGIN SELECT RAISE(ABORT, 'refused'); END")
        }
        // The second contact's card comes first in the write, the first contact's update after it, and fails.
        let rest = Array(events[secondReceived...])
        #expect(throws: CRMError.self) { try writer.write(rest) }
        #expect(writer.writtenThrough == written)
        try crm.database.pool.write { db in try db.execute(sql: "DROP TRIGGER no_update") }
        try writer.write(rest)
        try Self.expect(crm, toEqual: Self.reference(events))
    }
}
