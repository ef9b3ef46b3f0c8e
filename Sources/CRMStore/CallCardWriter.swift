import CPrefetch
import DequeModule
import GRDB
import RoutingCore

/// Writes the daemon's event stream into the CRM database: call cards (`interactions`), agents and their skills,
/// customers' last agent, and the stream cursor. The cursor makes writing idempotent: an event at or below it is
/// skipped, so a batch replayed after a crash or a reconnect is not written twice.
///
/// A write may leave its transaction open for the next ones to add to (`write(taking:through:at:commit:)`), so
/// that one commit carries several batches: a commit costs the same whatever it carries, 8 % of the writer's time
/// with one per 5 ms of events at 72,000 contacts/s (`acd-bench crm --writes-per-commit`, bench/README.md, session
/// 29). Nothing is committed, and the cursor does not move, until `commit()`; a failure rolls back every batch
/// since the last commit.
///
/// A card in progress may also be held back from the database for a while (`CardHolding`), so that a contact's
/// card is written once when it ends instead of at every write it spans. The cursor then stops before the first
/// change of the oldest card held: a store starting again from it meets events that cards it saved already show,
/// and skips them by the card's `events_through`.
public final class CallCardWriter {
    /// How long the writer may keep a card in progress to itself before it saves it; a finished card is saved by
    /// the write that finishes it. Saved at every write, a card whose contact spanned several was updated each time:
    /// one random page of the table rewritten per update. The further routing fell behind, the longer contacts
    /// lasted and the more updates each one cost, until updates were 47 % of the store's saves at 120,000
    /// contacts/s end to end and it could not catch up (bench/README.md, session 31).
    public struct CardHolding: Sendable, Equatable {
        /// A card whose first unsaved change is this many events older than the newest is saved: it bounds how
        /// far the cursor stays behind, which is what the daemon keeps in its replay buffer for the store.
        public var events: UInt64
        /// A card whose first unsaved change is this much older (in the events' time) is saved: how late a card
        /// in progress may show in the database under a steady stream.
        public var milliseconds: Int64

        /// Every card saved by each write.
        public static let none = CardHolding(events: 0, milliseconds: 0)
        /// What the store runs with: a quarter of the daemon's default replay buffer, and a second.
        public static let standard = CardHolding(events: 65_536, milliseconds: 1_000)
    }

    // One thread writes (the store's); its state skips Swift's run-time exclusivity checks: nothing lends a
    // property out while another access changes it, so the check could never fire.
    public let database: CRMDatabase
    public let holding: CardHolding
    /// The daemon run being followed, and the sequence number written through in it.
    @exclusivity(unchecked) public private(set) var stream: UInt64 = 0
    /// The run's number in `event_streams`, the high bits of its cards' keys (`CardKey`).
    @exclusivity(unchecked) private var streamNumber: Int64 = 0
    /// The cursor committed: every event through it is in the database, cards held or not.
    @exclusivity(unchecked) public private(set) var writtenThrough: UInt64 = 0
    /// Every event through it was applied when the cursor was committed; the database may show some after
    /// `writtenThrough` (in the cards it saved).
    @exclusivity(unchecked) private var committedAppliedThrough: UInt64 = 0
    /// The sequence number applied through: in the open transaction, committed, or held in cards.
    @exclusivity(unchecked) public private(set) var appliedThrough: UInt64 = 0
    /// Events up to here may already be in saved cards: after the writer started again from a cursor held back.
    @exclusivity(unchecked) private var mayBeSavedThrough: UInt64 = 0
    /// When the newest event applied happened (Unix ms): what a card held is aged against.
    @exclusivity(unchecked) private var newestEventAt: Int64 = 0
    /// What the open transaction will set the cursor to; nil when none is open.
    @exclusivity(unchecked) private var uncommittedCursor: Cursor?
    /// Events of the kinds it applies that named a contact whose card was never started (its `received` event came
    /// before the cursor of a run the store joined late). Counted, not written.
    @exclusivity(unchecked) public private(set) var orphanEvents = 0

    /// The slot in `cards` of each contact still in progress, so that each event does not read its card back.
    /// Looked up at every event after `received` that changes a card, four times an answered contact (ten, every
    /// event, until session 38): a `Dictionary`'s seeded SipHash cost 2,500 instructions per contact then (callgrind
    /// on `acd-bench crm --anonymous`), and a hash table, even an unseeded one, a cache miss per event in the daemon
    /// (`ContactIndex`).
    @exclusivity(unchecked) private var openCards = ContactIndex<Int32>()
    /// The cards of contacts in progress, as values in slots, changed in place (`withCard`). As objects, each card
    /// was retained and released twice around every event applied to it, and allocated and freed once: retains and
    /// releases were 18–20 % of the store thread's perf samples in a daemon at 100,000 contacts/s, 7–8 % with slots,
    /// and `acd-bench crm --anonymous` writes 7–9 % more contacts a second (session 36).
    @exclusivity(unchecked) private var cards: [CallCard] = []
    /// Slots free for the next cards.
    @exclusivity(unchecked) private var vacantSlots: [Int32] = []
    /// The slots of the cards the write in progress saves finished: vacant once they are written.
    @exclusivity(unchecked) private var finishedSlots: [Int32] = []
    /// How many contacts' cards the writer holds: those still queued, offered, connected or in wrap-up.
    public var openCardCount: Int { openCards.count }
    /// The slots of cards with changes not saved, by their first such change, oldest first. A card saved meanwhile
    /// leaves its entry behind, dropped once it reaches the front: its `unsavedSince` no longer matches, nor does
    /// that of a card given the slot since (the entry's event was another contact's).
    @exclusivity(unchecked) private var held = Deque<(sequence: UInt64, slot: Int32)>()
    /// Whether some card may hold changes that are not saved.
    public var hasHeldCards: Bool { !held.isEmpty }
    private let texts = BindingArena()
    /// The numbers of the names the cards hold (`call_cards` stores numbers).
    private let names = CardNames()
    /// The cards without a row that the write in progress saves, by key and slot (`insertNewCards`); empty between
    /// writes.
    @exclusivity(unchecked) private var newCards: [(cardID: Int64, slot: Int32)] = []
    /// Asked whether to rest each time a transaction has done `pacingCheckInterval` units of work: applying an
    /// event is one, updating a card `cardSaveWork`. An update is some 15,000 instructions of SQLite, against about
    /// 1,500 for applying an event (callgrind on `acd-bench crm`): counted alike, the updates went ten times longer
    /// between checks than the events. Sixteen units are a few microseconds of work, so a run ends close to the
    /// pacer's limit, for a clock read each. New cards are inserted at the end of the write, and the pacer asked
    /// after each statement, one row or sixteen. The store changes the pacer with its priority
    /// (`CRMStoreFollower`).
    @exclusivity(unchecked) var pacer: WorkPacer
    static let pacingCheckInterval = 16
    static let cardSaveWork = 10

    /// What a commit sets the cursor to.
    private struct Cursor {
        /// Every event through it is in the database.
        var written: UInt64
        /// Every event through it was applied.
        var applied: UInt64
        /// When the last of them happened (Unix ms).
        var updatedAt: Int64
    }

    /// `pacer` lets a long batch give way to other threads (the store yields or rests while it keeps up): a
    /// batch of 20 ms of events at 20,000 contacts/s ran 3 ms at a stretch, and the kernel left the routing
    /// thread waiting behind it for all of that, even with the store at `SCHED_IDLE`.
    init(database: CRMDatabase, holding: CardHolding = .none, pacer: WorkPacer) {
        self.database = database
        self.holding = holding
        self.pacer = pacer
    }

    /// A writer that never gives way during a batch.
    public convenience init(database: CRMDatabase, holding: CardHolding = .none) {
        self.init(database: database, holding: holding, pacer: .unpaced)
    }

    /// Whether a transaction is open with writes that are not committed yet.
    public var hasUncommittedWrites: Bool { uncommittedCursor != nil }

    /// Starts following `stream`: returns the sequence number already written for it (0 for a new run), from which
    /// its events must come again. The cards held and what the open transaction holds are saved and committed first.
    public func follow(stream: UInt64) throws(CRMError) -> UInt64 {
        if stream == self.stream { return writtenThrough }
        if hasHeldCards { try write([], through: appliedThrough, savingHeldCards: true) }
        try commit()
        let id = Int64(bitPattern: stream)
        let (number, written, applied) = try database.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO event_streams (stream_id) VALUES (?)", arguments: [id])
            let number = try Int64.fetchOne(db, sql: "SELECT number FROM event_streams WHERE stream_id = ?", arguments: [id])
            let cursor = try Row.fetchOne(
                db, sql: "SELECT last_sequence, applied_sequence FROM event_cursor WHERE stream_id = ?", arguments: [id])
            let written: Int64 = cursor?["last_sequence"] ?? 0
            let applied: Int64? = cursor?["applied_sequence"]
            return (number ?? 0, written, applied ?? written)
        }
        self.stream = stream
        streamNumber = number
        writtenThrough = UInt64(written)
        committedAppliedThrough = UInt64(applied)
        appliedThrough = writtenThrough
        mayBeSavedThrough = committedAppliedThrough
        forgetOpenCards()
        return writtenThrough
    }

    /// As `write(taking:through:at:commit:savingHeldCards:)`, for events the caller keeps: they are copied first.
    public func write(
        _ events: [Event], through sequence: UInt64? = nil, at: Int64? = nil, commit: Bool = true,
        savingHeldCards: Bool = false
    ) throws(CRMError) {
        var copy = events
        try write(taking: &copy, through: sequence, at: at, commit: commit, savingHeldCards: savingHeldCards)
    }

    /// Writes the events of the followed stream through `sequence` (the last event's by default), in order, in the open
    /// transaction or a new one, and commits it unless `commit` is false: those at or below `appliedThrough` are
    /// skipped. The caller holds every event in between (the follower fetches missing ones first); it may leave out
    /// those the store has nothing to write for (a kind this version does not know) or that can no longer be had (they
    /// left the daemon's replay buffer), which the cursor passes over all the same. `at` dates the cursor (Unix ms).
    /// Cards in progress are saved as `holding` says, or all of them if `savingHeldCards`.
    /// The events are taken: each one's kind is moved out of `events` and applied without a copy, and `events` comes
    /// back empty with its storage kept, written or not. Applied from a borrowed array, every event was copied once and
    /// the copy destroyed: 1,226 instructions a contact, 6 % of the store's (callgrind over the whole of `acd-bench crm
    /// --anonymous --customers 2000 --lookups 10 --contacts 20000`, 994.4 M before and 969.9 M after; session 25).
    public func write(
        taking events: inout [Event], through sequence: UInt64? = nil, at: Int64? = nil, commit: Bool = true,
        savingHeldCards: Bool = false
    ) throws(CRMError) {
        defer { events.removeAll(keepingCapacity: true) }
        let lastSequence = events.isEmpty ? nil : events[events.count - 1].sequence
        let appliedThrough = self.appliedThrough
        let through = max(sequence ?? lastSequence ?? appliedThrough, appliedThrough)
        guard through > appliedThrough || (savingHeldCards && hasHeldCards) else {
            if commit { try self.commit() }
            return
        }
        // Events come in sequence order: the last one is fresh if any is.
        let lastFresh = lastSequence.flatMap { $0 > appliedThrough ? $0 : nil }
        precondition((lastFresh ?? 0) <= through, "event \(lastFresh ?? 0) is after \(through)")
        let newest = at ?? (lastFresh != nil ? events[events.count - 1].at.milliseconds : newestEventAt)
        var orphans = 0
        var cursor = Cursor(written: through, applied: through, updatedAt: newest)
        do {
            try inTransaction { db in
                let statements = try self.statements ?? Statements(db, texts: texts)
                self.statements = statements
                statements.reuse(texts)
                var batch = Batch(db, statements: statements)
                pacer.startRun()
                var workSinceCheck = 0
                func didWork(_ units: Int) {
                    workSinceCheck += units
                    if workSinceCheck >= Self.pacingCheckInterval {
                        pacer.mayRest()
                        workSinceCheck -= Self.pacingCheckInterval
                    }
                }
                try events.withUnsafeMutableBufferPointer { taken in
                    for index in taken.indices {
                        let slot = taken.baseAddress! + index
                        let sequence = slot.pointee.sequence
                        guard sequence > appliedThrough else { continue }
                        // Left for the array to destroy: moved out and applied, each cost about a hundred
                        // instructions for nothing, six times an answered contact.
                        if Self.changesNoRow(slot.pointee.kind) { continue }
                        let at = slot.pointee.at.milliseconds
                        // The kind is moved out, and one without a payload left in its place for the array to
                        // destroy: moved out as a whole event, and its kind passed on, each event was still
                        // copied twice.
                        let kindSlot = (UnsafeMutableRawPointer(slot) + Self.kindOffset).assumingMemoryBound(to: EventKind.self)
                        let kind = kindSlot.move()
                        kindSlot.initialize(to: .rulesReplaced(tenants: []))
                        if try apply(consume kind, sequence: sequence, at: at, batch: &batch) == false {
                            orphans += 1
                        }
                        didWork(1)
                    }
                }
                func save(_ slot: Int32) throws {
                    let (cardID, contact, wasSaved, finished) = withCard(slot) { card in
                        card.unsavedSince = nil
                        return (card.cardID, card.contactID, card.isSaved, card.isFinished)
                    }
                    if wasSaved {
                        try withCard(slot) { try $0.update(through: batch.statements.updateCard) }
                        didWork(Self.cardSaveWork)
                    } else {
                        newCards.append((cardID, slot))
                    }
                    if finished {
                        openCards.remove(ContactID(contact))
                        finishedSlots.append(slot)
                    }
                }
                for slot in batch.dirty {
                    let (finished, since) = withCard(slot) { card in
                        card.isDirty = false
                        return (card.isFinished, card.unsavedSince)
                    }
                    if finished || holding == .none {
                        try save(slot)
                    } else if let since, since.sequence > appliedThrough {
                        // Its first unsaved change came in this write: it is not held yet.
                        held.append((since.sequence, slot))
                    }
                }
                while let (sequence, slot) = held.first {
                    guard let since = withCard(slot, { $0.unsavedSince }), since.sequence == sequence else {
                        held.removeFirst()
                        continue
                    }
                    guard savingHeldCards || through - sequence >= holding.events || newest - since.at >= holding.milliseconds
                    else { break }
                    held.removeFirst()
                    try save(slot)
                }
                try insertNewCards(batch)
                vacateFinishedSlots()
                try batch.finish()
                if let (sequence, _) = held.first { cursor.written = sequence - 1 }
                if commit { try setCursor(cursor, db) }
            }
        } catch {
            throw rolledBack(error, writing: through)
        }
        self.appliedThrough = through
        newestEventAt = newest
        if commit {
            committed(cursor)
        } else {
            uncommittedCursor = cursor
        }
        orphanEvents += orphans
    }

    /// Commits the open transaction, if there is one: its cards, and the cursor through `appliedThrough`.
    public func commit() throws(CRMError) {
        guard let cursor = uncommittedCursor else { return }
        do {
            try inTransaction { db in try setCursor(cursor, db) }
        } catch {
            throw rolledBack(error, writing: cursor.applied)
        }
        committed(cursor)
    }

    private func committed(_ cursor: Cursor) {
        writtenThrough = cursor.written
        committedAppliedThrough = cursor.applied
        uncommittedCursor = nil
    }

    /// Runs `body` in the open transaction, or in a new one. A failure rolls the transaction back. The transaction
    /// outlives the database access, which the database's configuration allows (`CRMDatabase`): this writer is the
    /// only one to use the pool's writer connection.
    private func inTransaction(_ body: (Database) throws -> Void) throws {
        try database.pool.writeWithoutTransaction { db in
            do {
                if !db.isInsideTransaction { try db.beginTransaction(.immediate) }
                try body(db)
            } catch {
                if db.isInsideTransaction { try? db.rollback() }
                throw error
            }
        }
    }

    /// Sets the cursor and commits the transaction. The statement is GRDB's cached one: prepared at each commit, it
    /// cost 94,000 instructions (callgrind, `acd-bench crm`), about 70 a contact at 50,000 contacts/s.
    private func setCursor(_ cursor: Cursor, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO event_cursor (stream_id, last_sequence, applied_sequence, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(stream_id) DO UPDATE SET last_sequence = excluded.last_sequence,
                applied_sequence = excluded.applied_sequence, updated_at = excluded.updated_at
            """).execute(
                arguments: [Int64(bitPattern: stream), Int64(cursor.written), Int64(cursor.applied), cursor.updatedAt])
        try db.commit()
    }

    /// After a failed transaction: the cards are again what the database says, and what events after
    /// `writtenThrough` say once written again; the error names the events that were not written.
    private func rolledBack(_ error: any Error, writing through: UInt64) -> CRMError {
        forgetOpenCards()
        names.forget()
        newCards.removeAll(keepingCapacity: true)
        uncommittedCursor = nil
        appliedThrough = writtenThrough
        mayBeSavedThrough = max(mayBeSavedThrough, committedAppliedThrough)
        return CRMError(code: "crm_write_failed", message: "writing events \(writtenThrough + 1)...\(through) failed: \(error)")
    }

    /// Drops every card in progress: the next events read theirs back from the database.
    private func forgetOpenCards() {
        openCards = ContactIndex()
        cards.removeAll(keepingCapacity: true)
        vacantSlots.removeAll(keepingCapacity: true)
        finishedSlots.removeAll(keepingCapacity: true)
        held.removeAll()
    }

    /// The slots of the cards this write saved finished go to the next contacts. Once no card is open, the slots
    /// themselves go if there are many: the array keeps the size of its busiest moment, 416 bytes a card, and a
    /// burst of a million contacts open at once would otherwise keep 416 MB for good.
    private func vacateFinishedSlots() {
        vacantSlots.append(contentsOf: finishedSlots)
        finishedSlots.removeAll(keepingCapacity: true)
        // With no card open, every entry left among the held ones was stale and has been dropped.
        if openCards.count == 0, held.isEmpty, cards.count > Self.slotsKeptWhenIdle {
            cards = []
            vacantSlots = []
        }
    }

    /// Up to this many slots stay when no card is open, so that a quiet stream does not allocate its few cards' slots
    /// again and again.
    static let slotsKeptWhenIdle = 1_024

    /// How many slots the writer has, open or vacant.
    var slotCount: Int { cards.count }

    /// Gives `contact` a slot, for the caller to fill in place: a card made first and then moved into the slot was
    /// copied (each of its strings retained) and the original destroyed.
    private func openSlot(for contact: ContactID) -> Int32 {
        let slot: Int32
        if let vacant = vacantSlots.popLast() {
            slot = vacant
            if let next = vacantSlots.last { prefetchCard(next) }
        } else {
            slot = Int32(cards.count)
            cards.append(.blank)
        }
        openCards.insert(contact, slot)
        return slot
    }

    /// Starts loading the card in `slot` into the cache, line by line. A vacant slot was last written when
    /// its former card was saved, a write (5 ms) or more before, and a card about to be inserted was last read
    /// whole when its contact arrived; the daemon's other threads run in between. Moving new cards into their slots
    /// and copying cards out to bind them missed the cache on each line: 14 % of the store thread's perf samples at
    /// 100,000 contacts/s end to end, 2 % with these hints (session 36).
    @inline(__always)
    private func prefetchCard(_ slot: Int32) {
        cards.withUnsafeBufferPointer { cards in
            let card = UnsafeRawPointer(cards.baseAddress! + Int(slot))
            for line in stride(from: 0, to: MemoryLayout<CallCard>.size, by: 64) { acd_prefetch(card + line) }
        }
    }

    /// Runs `body` on the card in `slot`, in place: read through the array's getter, a card may be copied whole,
    /// each of its strings retained and released.
    @inline(__always)
    private func withCard<Result>(_ slot: Int32, _ body: (inout CallCard) throws -> Result) rethrows -> Result {
        try body(&cards[Int(slot)])
    }

    /// Kinds the store writes nothing for: agents' states are the daemon's to keep, not the CRM's, and a contact
    /// queued or accepted changes nothing on its card (its queue comes with `received`, `overflowed` and `connected`,
    /// its answer with `connected`). Such an event does not move a card's `eventsThrough` either: met again after a
    /// restart, it is passed over again.
    @inline(__always)
    private static func changesNoRow(_ kind: EventKind) -> Bool {
        switch kind {
        case .agentStateChanged, .rulesReplaced, .commandRejected, .queued, .accepted: true
        default: false
        }
    }

    /// Where an event's kind lies in it, for `write(taking:)` to move it out.
    private static let kindOffset = MemoryLayout<Event>.offset(of: \Event.kind)!

    /// New cards go in `insertRows` at a time; the last few one by one.
    static let insertRows = 16
    /// How many cards ahead of the one it binds an insert asks the cache for: binding one takes about as long as
    /// loading one from memory.
    static let prefetchedRows = 2
    /// Built once: every transaction looks its statements up by their text.
    private static let insertOneSQL = CallCard.insertSQL(rows: 1)
    private static let insertManySQL = CallCard.insertSQL(rows: insertRows)

    /// Inserts the cards `newCards` lists, in the order of their keys, and empties the list (keeping its storage).
    /// Cards are saved in the order their contacts' events came, and a contact received later often ends first:
    /// a row that is not the table's last, inserted into a full page, makes SQLite rebalance the page with its
    /// neighbours (`balance_nonroot`) instead of starting a new page after it, 1,200 instructions a contact
    /// (callgrind over the store of a daemon at 2,500 contacts/s).
    /// Each statement is work enough for the pacer to be asked after it.
    private func insertNewCards(_ batch: Batch) throws {
        defer { newCards.removeAll(keepingCapacity: true) }
        newCards.sort { $0.cardID < $1.cardID }
        for ahead in newCards.prefix(Self.prefetchedRows) { prefetchCard(ahead.slot) }
        func bind(_ index: Int, to statement: DirectStatement, row: Int32) {
            if index + Self.prefetchedRows < newCards.count { prefetchCard(newCards[index + Self.prefetchedRows].slot) }
            withCard(newCards[index].slot) { $0.bindInsert(to: statement, row: row) }
        }
        var next = 0
        while newCards.count - next >= Self.insertRows {
            for row in 0..<Self.insertRows { bind(next + row, to: batch.statements.insertCards, row: Int32(row)) }
            try batch.statements.insertCards.run()
            next += Self.insertRows
            pacer.mayRest()
        }
        for index in next..<newCards.count {
            bind(index, to: batch.statements.insertCard, row: 0)
            try batch.statements.insertCard.run()
            pacer.mayRest()
        }
        for (_, slot) in newCards { cards[Int(slot)].isSaved = true }
    }

    /// The writer's hot statements, prepared once on its connection and kept with what each has bound. Looked up
    /// again at every write (GRDB's cache hashes the text, four kilobytes for `insertManySQL`), each with a fresh
    /// record of its bindings, they cost about 74,000 instructions a write (callgrind, `acd-bench crm`;
    /// bench/README.md, session 38): by that count 500 a contact at 30,000 contacts/s, where a take of 5 ms brings
    /// 150. SQLite keeps a statement's bindings from one run to the next, and re-prepares it itself if the schema
    /// changes.
    private struct Statements {
        let insertCard: DirectStatement
        let insertCards: DirectStatement
        let updateCard: DirectStatement
        let rememberLastAgent: DirectStatement

        init(_ db: Database, texts: BindingArena) throws {
            insertCard = try DirectStatement(db, sql: CallCardWriter.insertOneSQL, texts: texts)
            insertCards = try DirectStatement(db, sql: CallCardWriter.insertManySQL, texts: texts)
            updateCard = try DirectStatement(db, sql: CallCard.updateSQL, texts: texts)
            rememberLastAgent = try DirectStatement(
                db, sql: "UPDATE customers SET last_agent_id = ?1, revision = ?3 WHERE id = ?2 AND last_agent_id IS NOT ?1",
                texts: texts)
        }

        /// `texts` starts again: the texts bound so far are about to be overwritten, so each is bound again before
        /// its statement next runs.
        func reuse(_ texts: BindingArena) {
            texts.reset()
            for statement in [insertCard, insertCards, updateCard, rememberLastAgent] { statement.forgetTexts() }
        }
    }

    /// The statements, once a write has prepared them.
    @exclusivity(unchecked) private var statements: Statements?

    /// What one transaction works with: its statements and the cards it changed.
    private struct Batch {
        let db: Database
        let statements: Statements
        /// The slots of the cards it changed.
        var dirty: [Int32] = []
        /// The revision every customer row this transaction changes gets (see `CRMSchema`), read once it is needed,
        /// and whether a row got it. The writer sets it itself: the update trigger that would otherwise do it ran
        /// two more statements per call.
        var customersRevision: (value: Int64, given: Bool)?

        init(_ db: Database, statements: Statements) {
            self.db = db
            self.statements = statements
        }

        mutating func remember(lastAgent agent: String, of customer: String) throws {
            let revision = try customersRevision?.value
                ?? (Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM crm_revision")) ?? 0) + 1
            let statement = statements.rememberLastAgent
            statement.bind(agent, at: 1)
            statement.bind(customer, at: 2)
            statement.bind(revision, at: 3)
            let changed = try statement.run() > 0
            customersRevision = (revision, changed || customersRevision?.given == true)
        }

        /// Publishes the revision the changed customers got, so that the profile cache fetches them.
        func finish() throws {
            guard let customersRevision, customersRevision.given else { return }
            try db.cachedStatement(sql: "UPDATE crm_revision SET value = ?")
                .execute(arguments: [customersRevision.value])
        }
    }

    /// Applies one event (its kind, sequence number, and when it happened); false when it names a contact without a
    /// card. The kind comes as a copy of its own and is taken apart without another: a loop over the events and a
    /// switch over each borrowed one copied every event twice, about 2,000 instructions a contact (callgrind,
    /// `acd-bench crm`).
    private func apply(
        _ kind: consuming EventKind, sequence: UInt64, at: Int64, batch: inout Batch
    ) throws -> Bool {
        func update(_ contact: ContactID, _ change: (inout CallCard) -> Void) throws -> Bool {
            try self.update(contact, sequence: sequence, at: at, &batch, change) != nil
        }
        switch consume kind {
        case .received(let id, let submission):
            let cardID = try CardKey.cardID(streamNumber: streamNumber, contact: id.rawValue)
            // Saved already: its next event reads it back, as any event of a card the writer does not hold.
            if sequence <= mayBeSavedThrough, try CallCard.fetch(cardID: cardID, db: batch.db) != nil { return true }
            let slot = openSlot(for: id)
            // A failure rolls the write back, and every open card with it (`rolledBack`).
            try cards[Int(slot)].start(
                cardID: cardID, contact: id, submission: submission, sequence: sequence, at: at, names: names, db: batch.db)
            markDirty(slot, sequence: sequence, at: at, &batch)
        case .offered(let id, _, _, _):
            return try update(id) { card in
                card.offers += 1
                if card.firstOfferedAt == nil { card.firstOfferedAt = at }
            }
        case .declined(let id, _):
            return try update(id) { $0.offersDeclined += 1 }
        case .offerTimedOut(let id, _):
            return try update(id) { $0.offersMissed += 1 }
        case .connected(let id, let agent, let queue, let wait):
            let agentName = try names.number(for: agent.rawValue, db: batch.db)
            let queueName = try names.number(for: queue, db: batch.db)
            guard let result = try self.update(id, sequence: sequence, at: at, &batch, { card in
                card.answeredAt = at
                card.agent = agentName
                card.queue = queueName
                card.waitMs = wait
            }) else { return false }
            if case .changed(let slot) = result, let customer = withCard(slot, { $0.customerID }) {
                try batch.remember(lastAgent: agent.rawValue, of: customer)
            }
        case .completed(let id, _, let talk, let outcome):
            let outcomeName = try names.number(for: outcome.rawValue, db: batch.db)
            return try update(id) { card in
                card.endedAt = at
                card.talkMs = talk
                card.setOutcome(outcome, number: outcomeName)
            }
        case .wrapUpEnded(let id, _, let wrapUp):
            return try update(id) { card in
                card.wrapUpEndedAt = at
                card.wrapUpMs = wrapUp
            }
        case .abandoned(let id, let queue, let wait, let outcome):
            let queueName = try names.number(for: queue, db: batch.db)
            let outcomeName = try names.number(for: outcome.rawValue, db: batch.db)
            return try update(id) { card in
                card.endedAt = at
                card.queue = queueName
                card.waitMs = wait
                card.setOutcome(outcome, number: outcomeName)
            }
        case .overflowed(let id, _, let target):
            let targetName = try names.number(for: target ?? "ivr", db: batch.db)
            // Overflowed to the IVR, the contact ends here.
            let endedInIVR = try target == nil ? names.number(for: ContactOutcome.overflowedToIVR.rawValue, db: batch.db) : nil
            return try update(id) { card in
                card.overflows += 1
                card.overflowedTo = targetName
                if let endedInIVR {
                    card.endedAt = at
                    card.setOutcome(.overflowedToIVR, number: endedInIVR)
                    card.waitMs = at - card.receivedAt
                } else {
                    card.queue = targetName
                }
            }
        case .closed(let id, _, _):
            let outcomeName = try names.number(for: ContactOutcome.closed.rawValue, db: batch.db)
            return try update(id) { card in
                card.endedAt = at
                card.setOutcome(.closed, number: outcomeName)
            }
        case .callbackRequested(let id, let number):
            return try update(id) { $0.callbackNumber = number }
        case .agentAdded(let profile):
            try AgentRows.upsert(profile, db: batch.db)
        case .agentRemoved(let agent):
            try batch.db.execute(sql: "UPDATE agents SET active = 0 WHERE id = ?", arguments: [agent.rawValue])
        case .skillsChanged(let agent, let skills):
            try AgentRows.replaceSkills(of: agent.rawValue, with: skills, db: batch.db)
        case .agentStateChanged, .rulesReplaced, .commandRejected, .queued, .accepted:
            break  // `write(taking:)` passes over them (`changesNoRow`)
        }
        return true
    }

    private func markDirty(_ slot: Int32, sequence: UInt64, at: Int64, _ batch: inout Batch) {
        let wasDirty = withCard(slot) { card in
            if card.unsavedSince == nil { card.unsavedSince = (sequence, at) }
            defer { card.isDirty = true }
            return card.isDirty
        }
        if !wasDirty { batch.dirty.append(slot) }
    }

    /// What an event did to the card it names.
    private enum CardUpdate {
        /// The card changed: the one in this slot.
        case changed(Int32)
        /// The card saved already shows the event: the writer started again from a cursor held back.
        case alreadySaved
    }

    /// Applies `change` to `contact`'s card, read back from the database if the writer does not hold it; nil when
    /// the contact has no card.
    private func update(
        _ contact: ContactID, sequence: UInt64, at: Int64, _ batch: inout Batch, _ change: (inout CallCard) -> Void
    ) throws -> CardUpdate? {
        let slot: Int32
        if let existing = openCards[contact] {
            guard sequence > withCard(existing, { $0.eventsThrough }) else { return .alreadySaved }
            slot = existing
        } else {
            let cardID = try CardKey.cardID(streamNumber: streamNumber, contact: contact.rawValue)
            guard let saved = try CallCard.fetch(cardID: cardID, db: batch.db) else { return nil }
            // A card read back is held open only once it changes: one that shows the event already, finished, would
            // stay open for good.
            guard sequence > saved.eventsThrough else { return .alreadySaved }
            slot = openSlot(for: contact)
            cards[Int(slot)] = saved
        }
        withCard(slot) { card in
            change(&card)
            card.eventsThrough = sequence
        }
        markDirty(slot, sequence: sequence, at: at, &batch)
        return .changed(slot)
    }
}
