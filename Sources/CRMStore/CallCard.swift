import GRDB
import RoutingCore

/// One row of `call_cards` (read as `interactions`): what happened to one contact, from its arrival to the end of its
/// wrap-up. Names are held as their numbers in `card_names` (`CardNames`), times as Unix ms. The writer keeps the
/// cards in progress in slots of one array (`CallCardWriter.cards`) and changes them there, in place.
struct CallCard {
    /// The row's key (`CardKey`).
    var cardID: Int64
    var contactID: UInt64
    var externalID: String?
    var tenant: Int64
    var channel: Int64
    var firstQueue: Int64
    var queue: Int64
    var customerID: String?
    var customerTier: Int64?
    var language: Int64?
    var priority: Int32
    var ivrData: String?
    var callbackNumber: String?
    var receivedAt: Int64
    var firstOfferedAt: Int64?
    var answeredAt: Int64?
    var endedAt: Int64?
    var wrapUpEndedAt: Int64?
    var agent: Int64?
    var waitMs: Int64?
    var talkMs: Int64?
    var wrapUpMs: Int64?
    /// The outcome's number; `agentDisconnected` tells the one outcome `isFinished` needs to know.
    var outcome: Int64?
    var agentDisconnected = false
    var offers: Int32 = 0
    var offersDeclined: Int32 = 0
    var offersMissed: Int32 = 0
    var overflows: Int32 = 0
    var overflowedTo: Int64?
    /// The sequence number of the last event applied to the card. A store that starts again from a cursor held back
    /// for cards it had not saved (`CallCardWriter.CardHolding`) meets events its saved cards already show, and
    /// skips them by it: an offer counted twice would be wrong.
    var eventsThrough: UInt64 = 0

    /// Whether the card changed during the write in progress.
    var isDirty = false
    /// The first change not saved yet: its event's sequence number and time; nil when the row shows every change.
    var unsavedSince: (sequence: UInt64, at: Int64)?
    /// Whether the card has a row: a later save updates only what can change, and no index.
    var isSaved = false

    /// A card with nothing in it yet: what a slot holds before `start` fills it.
    static let blank = CallCard()

    private init() {
        cardID = 0
        contactID = 0
        tenant = 0
        channel = 0
        firstQueue = 0
        queue = 0
        priority = 0
        receivedAt = 0
    }

    /// Makes this the card of a contact just received, by the event of sequence number `sequence` at `at`, in place:
    /// the writer reuses the slots of finished cards (`CallCardWriter.openSlot(for:)`). Blank first, so that nothing
    /// of the card the slot held before is left.
    mutating func start(
        cardID: Int64, contact: ContactID, submission: ContactSubmission, sequence: UInt64, at: Int64,
        names: CardNames, db: Database
    ) throws {
        self = Self.blank
        self.cardID = cardID
        contactID = contact.rawValue
        externalID = submission.externalID
        tenant = try names.number(for: submission.tenant, db: db)
        channel = try names.number(for: submission.channel.description, db: db)
        firstQueue = try names.number(for: submission.queue, db: db)
        queue = firstQueue
        // The submission's getters are inlinable: each of these takes its one field out of the shared storage.
        customerID = submission.profile.customerID
        customerTier = try names.numberIfAny(for: submission.profile.tier, db: db)
        language = try names.numberIfAny(for: submission.profile.language, db: db)
        priority = Int32(clamping: submission.priority)
        ivrData = submission.ivrData.isEmpty ? nil : IVRDataJSON.encode(submission.ivrData)
        callbackNumber = submission.callbackNumber
        receivedAt = at
        eventsThrough = sequence
    }

    /// Sets the outcome, `number` being `outcome`'s name's.
    mutating func setOutcome(_ outcome: ContactOutcome, number: Int64) {
        self.outcome = number
        agentDisconnected = outcome == .agentDisconnected
    }

    /// Nothing more will happen to the contact: it ended without an agent, or its wrap-up is over.
    var isFinished: Bool {
        guard endedAt != nil else { return false }
        return answeredAt == nil || wrapUpEndedAt != nil || agentDisconnected
    }

    /// The columns of `call_cards`, in the order of their parameters' numbers: row r's are numbered from r × 28 + 1.
    private static let columns = """
        card_id, external_id, tenant_name, channel_name, first_queue_name, queue_name, customer_id, customer_tier_name,
        language_name, priority, ivr_data, callback_number, received_at, first_offered_after, answered_after,
        ended_after, wrap_up_ended_after, agent_name, wait_ms, talk_ms, wrap_up_ms, outcome_name, offers,
        offers_declined, offers_missed, overflows, overflowed_to_name, events_through
        """

    static let parametersPerRow: Int32 = 28

    /// Inserts `rows` cards in one statement: statement start and end cost SQLite about 2,500 instructions, whatever
    /// the rows. `OR ROLLBACK`, as the update: a refused row takes the whole transaction back, as the writer does
    /// after any failure anyway, so SQLite keeps no statement journal (the pages a statement changes, copied to undo
    /// that statement alone): 1.8 % of the writer's instructions (callgrind on `acd-bench crm --anonymous`, session
    /// 30).
    static func insertSQL(rows: Int) -> String {
        let tuples = (0..<Int32(rows)).map { row in
            "(" + (1...parametersPerRow).map { "?\(row * parametersPerRow + $0)" }.joined(separator: ", ") + ")"
        }
        return "INSERT OR ROLLBACK INTO call_cards (\(columns)) VALUES " + tuples.joined(separator: ", ")
    }

    /// The columns an event after `received` may change, numbered as in `insertSQL`'s first row so that one binding
    /// serves both statements (the update leaves the other numbers unused). Replacing the whole row instead deleted
    /// and inserted it in the table and both indexes.
    static let updateSQL = """
        UPDATE OR ROLLBACK call_cards SET queue_name = ?6, callback_number = ?12, first_offered_after = ?14,
            answered_after = ?15, ended_after = ?16, wrap_up_ended_after = ?17, agent_name = ?18, wait_ms = ?19,
            talk_ms = ?20, wrap_up_ms = ?21, outcome_name = ?22, offers = ?23, offers_declined = ?24,
            offers_missed = ?25, overflows = ?26, overflowed_to_name = ?27, events_through = ?28
        WHERE card_id = ?1
        """

    /// Writes the changes of a card saved before.
    func update(through statement: DirectStatement) throws {
        bindKeyAndChanges(to: statement, row: 0)
        try statement.run()
    }

    /// Binds the card as row `row` of a statement of `insertSQL(rows:)`; the caller runs it.
    func bindInsert(to statement: DirectStatement, row: Int32) {
        let base = row * Self.parametersPerRow
        statement.bind(externalID, at: base + 2)
        statement.bind(tenant, at: base + 3)
        statement.bind(channel, at: base + 4)
        statement.bind(firstQueue, at: base + 5)
        statement.bind(customerID, at: base + 7)
        statement.bind(customerTier, at: base + 8)
        statement.bind(language, at: base + 9)
        statement.bind(priority, at: base + 10)
        statement.bind(ivrData, at: base + 11)
        statement.bind(receivedAt, at: base + 13)
        bindKeyAndChanges(to: statement, row: row)
    }

    /// The row's key and the columns `updateSQL` sets, at their numbers in row `row`. Times after `received_at` are
    /// written as milliseconds after it: a few bytes of the row instead of six each.
    private func bindKeyAndChanges(to statement: DirectStatement, row: Int32) {
        let base = row * Self.parametersPerRow
        statement.bind(cardID, at: base + 1)
        statement.bind(queue, at: base + 6)
        statement.bind(callbackNumber, at: base + 12)
        statement.bind(firstOfferedAt.map { $0 - receivedAt }, at: base + 14)
        statement.bind(answeredAt.map { $0 - receivedAt }, at: base + 15)
        statement.bind(endedAt.map { $0 - receivedAt }, at: base + 16)
        statement.bind(wrapUpEndedAt.map { $0 - receivedAt }, at: base + 17)
        statement.bind(agent, at: base + 18)
        statement.bind(waitMs, at: base + 19)
        statement.bind(talkMs, at: base + 20)
        statement.bind(wrapUpMs, at: base + 21)
        statement.bind(outcome, at: base + 22)
        statement.bind(offers, at: base + 23)
        statement.bind(offersDeclined, at: base + 24)
        statement.bind(offersMissed, at: base + 25)
        statement.bind(overflows, at: base + 26)
        statement.bind(overflowedTo, at: base + 27)
        statement.bind(Int64(bitPattern: eventsThrough), at: base + 28)
    }

    static func fetch(cardID: Int64, db: Database) throws -> CallCard? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT \(columns), (SELECT name FROM card_names WHERE id = outcome_name) AS outcome
            FROM call_cards WHERE card_id = ?
            """, arguments: [cardID]) else { return nil }
        return CallCard(row: row)
    }

    private init(row: Row) {
        cardID = row["card_id"]
        contactID = CardKey.contact(of: cardID)
        externalID = row["external_id"]
        tenant = row["tenant_name"]
        channel = row["channel_name"]
        firstQueue = row["first_queue_name"]
        queue = row["queue_name"]
        customerID = row["customer_id"]
        customerTier = row["customer_tier_name"]
        language = row["language_name"]
        priority = row["priority"]
        ivrData = row["ivr_data"]
        callbackNumber = row["callback_number"]
        receivedAt = row["received_at"]
        func time(_ column: String) -> Int64? { (row[column] as Int64?).map { receivedAt + $0 } }
        firstOfferedAt = time("first_offered_after")
        answeredAt = time("answered_after")
        endedAt = time("ended_after")
        wrapUpEndedAt = time("wrap_up_ended_after")
        agent = row["agent_name"]
        waitMs = row["wait_ms"]
        talkMs = row["talk_ms"]
        wrapUpMs = row["wrap_up_ms"]
        outcome = row["outcome_name"]
        agentDisconnected = (row["outcome"] as String?) == ContactOutcome.agentDisconnected.rawValue
        offers = row["offers"]
        offersDeclined = row["offers_declined"]
        offersMissed = row["offers_missed"]
        overflows = row["overflows"]
        overflowedTo = row["overflowed_to_name"]
        // Rows written before the column existed came under a cursor never held back: no event after it is in them.
        eventsThrough = UInt64(bitPattern: (row["events_through"] as Int64?) ?? 0)
        isSaved = true
    }
}
